import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, ServerProcess } from '../support/server-process';
import { demoModels, RUN_INFERENCE, subscribe } from '../support/subscription-fixtures';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * Shutdown proof: a real SIGTERM to `npm start`'s server (api/main.ts) in a child process with 50
 * calls in flight; every call is answered or refused cleanly (503 SHUTTING_DOWN with
 * Retry-After), none is reset, every answered call is billed once, and the process exits 0.
 *
 * What breaks it: closing sockets under requests in flight (resets), stopping the usage recorder
 * or the database before the calls in flight have answered (INTERNAL, or answered but unbilled),
 * a drain that does not refuse new work (a late call runs), a SIGTERM handler that exits at once.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(180_000);

/** Cutting the usage writes off from a second connection needs PostgreSQL (embedded PGlite is one process's). */
const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onPostgres('SIGTERM to the server process with 50 calls in flight', () => {
  let database: TestDatabase;
  let dataDir: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-sigterm-'));
  });
  afterAll(async () => {
    await server?.kill();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers or cleanly refuses every one, resets none, bills each answered one once, and exits 0', async () => {
    server = new ServerProcess(await freePort(), {
      LOG_LEVEL: 'warn', DATA_DIR: dataDir, DATABASE_URL: database.url!, ENGINE_WORKERS_PER_DEVICE: '1', BILLING_JOBS: 'false',
      SHUTDOWN_GRACE_MS: '20000', SHUTDOWN_LINGER_MS: '2000',
    });
    await server.start();
    const keys = await server.keys(dataDir);
    const s = server;
    const t = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const model = (await demoModels(t))['review-sentiment'];
    await subscribe(t, keys.partner, model.plans['Scale']);
    const call = async (i: number | string) => {
      const response = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.partner}` },
        body: JSON.stringify({ query: RUN_INFERENCE, variables: { input: { modelId: model.id, texts: [`call ${i} was great`], requestId: `sigterm-${i}` } } }),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
    };

    expect((await call('warm-up')).status).toBe(200); // the model loaded on the engine: the calls below only wait for their billing

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      // NOTE: the usage writes wait on this lock, so the 50 calls stay in flight (computed, not yet billed, not answered)
      await db.query('BEGIN');
      await db.query('LOCK TABLE usage_event IN EXCLUSIVE MODE');
      const inFlight = Array.from({ length: 50 }, (_, i) => call(i).catch((error: Error) => ({ failed: String(error.cause ?? error.message) })));
      const waiting = async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows[0].n;
      for (let i = 0; i < 600 && (await waiting()) === 0; i++) await sleep(100);
      expect(await waiting()).toBeGreaterThan(0);
      await sleep(500);

      const stopped = s.stop(); // SIGTERM
      await sleep(300);
      const late = await call(999).catch((error: Error) => ({ failed: String(error.cause ?? error.message) }));
      const ready = await fetch(`${s.url}/health/ready`).then((r) => r.status, (error: Error) => String(error.cause ?? error));
      await sleep(200);
      await db.query('COMMIT');
      const answers = await Promise.all(inFlight);
      await stopped;

      expect(late).toMatchObject({ status: 503, retryAfter: '1', body: { errors: [{ extensions: { code: 'SHUTTING_DOWN' } }] } });
      expect(ready).toBe(503);
      expect(answers.filter((a) => 'failed' in a)).toEqual([]);
      const answered = answers.filter((a: any) => a.status === 200 && a.body.data?.runInference?.usage && !a.body.errors);
      const refused = answers.filter((a: any) => a.status === 503 && a.retryAfter && a.body.errors[0].extensions.code === 'SHUTTING_DOWN');
      expect(answered.length + refused.length).toBe(50);
      expect(answered.length).toBeGreaterThan(0);
      expect(s.exit).toEqual({ code: 0, signal: null });

      const rows = await db.query(`SELECT count(DISTINCT idempotency_key)::int AS keys, count(*)::int AS n FROM usage_event WHERE meter = 'REQUESTS' AND idempotency_key ~ '^sigterm-[0-9]+$'`);
      expect(rows.rows[0]).toEqual({ keys: answered.length, n: answered.length });
    } finally {
      await db.end();
    }
  });
});
