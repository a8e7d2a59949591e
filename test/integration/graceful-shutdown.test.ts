import { Client } from 'pg';
import { demoModels, RUN_INFERENCE, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

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
