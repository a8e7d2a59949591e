import { Router } from 'express';
import { DataSource } from 'typeorm';
import type { EnginePool } from '../inference';
import { Registry } from 'prom-client';
import { StartupProgress } from './startup-progress';

/** What the health routes look at; the database and engine are set as start-up opens them. */
export interface HealthDeps {
  startup: StartupProgress;
  registry: Registry;
  dataSource?: DataSource;
  engine?: EnginePool;
}

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: every start-up step is done
 * (database, migrations, engine pool, jobs, API, and the demo seed where `npm start` runs one),
 * the database answers, every migration is applied and every engine device has workers; 503
 * otherwise, naming the pending steps and the failing checks. `GET /metrics`: Prometheus text.
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const pending = deps.startup.pendingSteps();
    if (pending.length) {
      res.status(503).setHeader('Retry-After', '1');
      res.json({ status: 'starting', pending });
      return;
    }
    const checks: Record<string, string> = {};
    try {
      await deps.dataSource!.query('SELECT 1');
      checks.database = 'ok';
      checks.migrations = (await deps.dataSource!.showMigrations()) ? 'pending' : 'ok';
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    const devices = deps.engine!.status();
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
