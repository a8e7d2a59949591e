import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startApp } from '../../api/app';
import { configFromEnv } from '../../api/config';
import type { AppServer } from '../../api/server';
import { freePort } from '../support/server-process';
import { startTestServer, TestServer } from '../support/test-server';

// NOTE: this start is on the embedded database whatever TEST_DATABASE_URL says, so it is the same
// in both of CI's passes; it runs once, where the embedded database is the one under test.
const onEmbeddedPass = !process.env.TEST_DATABASE_URL;

(onEmbeddedPass ? describe : describe.skip)('readiness on a fresh embedded database (what npm start runs)', () => {
  let workDir: string;
  let app: Promise<AppServer> | undefined;
  afterAll(async () => {
    await (await app?.catch(() => undefined))?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('answers 503 naming the pending step until the demo keys file exists, then 200', async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-ready-'));
    const dataDir = path.join(workDir, 'data'); // not there yet, as on a fresh clone
    const keysFile = path.join(dataDir, 'demo-keys.json');
    const port = await freePort();
    // what `npm start` runs (api/main.ts -> startApp), on an embedded database on disk under DATA_DIR
    app = startApp(configFromEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ENGINE_WORKERS_PER_DEVICE: '1' }));
    let failed: unknown;
    app.catch((error) => (failed = error));
    const seen: Array<{ status: number; pending: string[]; keys: boolean }> = [];
    let graphqlWhileStarting: { status: number; body: any } | undefined;
    const until = Date.now() + 270_000; // a loaded 2-core machine takes minutes
    while (Date.now() < until) {
      expect(failed).toBeUndefined();
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      if (!response) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const body = (await response.json()) as { pending?: Array<{ step: string }> };
      seen.push({ status: response.status, pending: (body.pending ?? []).map((p) => p.step), keys: existsSync(keysFile) });
      if (response.status === 200) break;
      if (!graphqlWhileStarting) {
        const answer = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
        graphqlWhileStarting = { status: answer.status, body: await answer.json() };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const last = seen[seen.length - 1];
    expect(last.status).toBe(200);
    expect(last.keys).toBe(true);
    const notReady = seen.filter((s) => s.status !== 200);
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady.every((s) => s.status === 503 && s.pending.length > 0)).toBe(true);
    // the seed is the last step: every answer before the keys file existed named it as pending
    expect(seen.filter((s) => !s.keys).every((s) => s.status === 503 && s.pending.includes('demo seed'))).toBe(true);
    expect(graphqlWhileStarting!.status).toBe(503);
    expect(graphqlWhileStarting!.body.errors[0].extensions.code).toBe('UNAVAILABLE');
    expect(graphqlWhileStarting!.body.errors[0].message).toMatch(/starting \(pending: .*demo seed/);
  }, 300_000);
});

describe('readiness when the database goes away', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ seed: false });
  });
  afterAll(async () => {
    await t.stop().catch(() => undefined);
  });

  it('turns back to 503, naming the database', async () => {
    expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
    if (t.database.url) {
      // PostgreSQL: the database is dropped under the server, its connections cut
      const url = new URL(t.database.url);
      const name = url.pathname.slice(1);
      url.pathname = '/postgres';
      const admin = new Client({ connectionString: url.toString() });
      await admin.connect();
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    } else {
      // embedded: its one connection closes
      await t.server.dataSource.destroy();
    }
    const response = await fetch(`${t.url}/health/ready`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks.database).toMatch(/^unreachable: /);
  });
});
