import { Router } from 'express';
import { DataSource } from 'typeorm';
import type { EnginePool } from '../inference';
import { Registry } from 'prom-client';

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: the database answers, every
 * migration is applied and every engine device has workers (503 with the failing checks otherwise).
 * `GET /metrics`: Prometheus text format.
 */
export function healthRouter(deps: { dataSource: DataSource; engine: EnginePool; registry: Registry }): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const checks: Record<string, string> = {};
    try {
      await deps.dataSource.query('SELECT 1');
      checks.database = 'ok';
      checks.migrations = (await deps.dataSource.showMigrations()) ? 'pending' : 'ok';
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    const devices = deps.engine.status();
    checks.engine = devices.length > 0 && devices.every((d) => d.workers > 0) ? 'ok' : 'no workers';
    const ready = Object.values(checks).every((c) => c === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });
  return router;
}
