import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, ServerProcess } from '../support/server-process';
import { demoModels, RUN_INFERENCE, subscribe } from '../support/subscription-fixtures';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { startTestServer, TestServer } from '../support/test-server';

/**
 * Shutdown proof: with 50 calls in flight the server is told to stop (in process, then a real
 * SIGTERM to `npm start`'s server in a child process); every call is answered or refused cleanly
 * (503 SHUTTING_DOWN with Retry-After), none is reset, and every answered call is billed once.
 *
 * What breaks it: closing sockets under requests in flight (resets), stopping the usage recorder
 * or the database before the calls in flight have answered (INTERNAL, or answered but unbilled),
 * a drain that does not refuse new work (a late call runs), a SIGTERM handler that exits at once.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(180_000);

describe('graceful shutdown loses no answer', () => {
  let t: TestServer;
  let stopping: Promise<void> | undefined;
  let recording = 0;

  beforeAll(async () => {
    t = await startTestServer({
      env: { SHUTDOWN_GRACE_MS: '20000', SHUTDOWN_LINGER_MS: '6000' },
      server: {
        // Holds each usage write 300 ms: calls stay in flight while the server is told to stop.
        wrapUsageSink: (sink) => ({
          record: async (call) => {
            recording++;
            await sleep(300);
            return sink.record(call);
          },
          findStored: (org, key) => sink.findStored(org, key),
          stop: () => sink.stop(),
        }),
      },
    });
  });
  afterAll(async () => {
    if (!stopping) return t?.stop();
    await stopping;
    await t.database.drop();
  });

  it('answers every call in flight, refuses new ones with 503 SHUTTING_DOWN and Retry-After, and flushes their usage', async () => {
    const models = await demoModels(t);
    const model = models['review-sentiment'];
    await subscribe(t, t.keys.partner, Object.values(model.plans)[0]);
    const call = async (i: number) => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}` },
        body: JSON.stringify({ query: RUN_INFERENCE, variables: { input: { modelId: model.id, texts: [`call ${i} was great`], requestId: `drain-${i}` } } }),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
    };
    const inFlight = Array.from({ length: 50 }, (_, i) => call(i).catch((error: Error) => ({ failed: error.cause ?? error.message })));
    for (let i = 0; i < 100 && recording === 0; i++) await sleep(20);
    expect(recording).toBeGreaterThan(0);

    const stopStarted = performance.now();
    stopping = t.server.stop();
    await sleep(50);
    const late = await call(999);
    const ready = await fetch(`${t.url}/health/ready`);
    const answers = await Promise.all(inFlight);
    await stopping;
    console.info(`stopped in ${(performance.now() - stopStarted).toFixed(0)} ms with 50 calls in flight`);

    expect(late.status).toBe(503);
    expect(late.body.errors[0].extensions.code).toBe('SHUTTING_DOWN');
    expect(late.retryAfter).toBe('1');
    expect(ready.status).toBe(503);
    const failed = answers.filter((a) => 'failed' in a);
    expect(failed).toEqual([]);
    const answered = answers.filter((a: any) => a.status === 200 && a.body.data?.runInference?.usage);
    const refused = answers.filter((a: any) => a.status === 503 && a.body.errors[0].extensions.code === 'SHUTTING_DOWN');
    expect(answered.length + refused.length).toBe(50);
    expect(answered.length).toBeGreaterThan(0);

    if (t.database.url) {
      // every answered call is committed, once: the usage was flushed before the database closed
      const db = new Client({ connectionString: t.database.url });
      await db.connect();
      const rows = await db.query(`SELECT count(DISTINCT idempotency_key)::int AS keys, count(*)::int AS n FROM usage_event WHERE meter = 'REQUESTS' AND idempotency_key LIKE 'drain-%'`);
      await db.end();
      expect(rows.rows[0]).toEqual({ keys: answered.length, n: answered.length });
    }
  });
});

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
    const call = async (i: number) => {
      const response = await fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.partner}` },
        body: JSON.stringify({ query: RUN_INFERENCE, variables: { input: { modelId: model.id, texts: [`call ${i} was great`], requestId: `sigterm-${i}` } } }),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
    };

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      // NOTE: the usage writes wait on this lock, so the 50 calls stay in flight (computed, not yet billed, not answered)
      await db.query('BEGIN');
      await db.query('LOCK TABLE usage_event IN EXCLUSIVE MODE');
      const inFlight = Array.from({ length: 50 }, (_, i) => call(i).catch((error: Error) => ({ failed: String(error.cause ?? error.message) })));
      const waiting = async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows[0].n;
      for (let i = 0; i < 200 && (await waiting()) === 0; i++) await sleep(50);
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

      const rows = await db.query(`SELECT count(DISTINCT idempotency_key)::int AS keys, count(*)::int AS n FROM usage_event WHERE meter = 'REQUESTS' AND idempotency_key LIKE 'sigterm-%'`);
      expect(rows.rows[0]).toEqual({ keys: answered.length, n: answered.length });
    } finally {
      await db.end();
    }
  });
});
