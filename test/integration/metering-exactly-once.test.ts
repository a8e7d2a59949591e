import { Client } from 'pg';
import { RestartableServer } from '../support/restartable-server';
import { createPartner, demoModels, DemoModelRef, runInference, subscribe, usageTotals } from '../support/subscription-fixtures';

const CALLS = 500;
const REPEATED = 100;

describe('usage metering: nothing lost, nothing counted twice', () => {
  let t: RestartableServer;
  let models: Record<string, DemoModelRef>;
  const answers = new Map<string, unknown>();
  beforeAll(async () => {
    t = await RestartableServer.start({ ENGINE_MAX_QUEUE_LENGTH: '2048' });
    models = await demoModels(t);
    await subscribe(t, t.keys.partner, models['review-sentiment'].plans['Scale']);
  });
  afterAll(async () => t?.stop());

  it(`meters ${CALLS} concurrent calls with ${REPEATED} repeated requestIds as exactly ${CALLS - REPEATED} REQUESTS`, async () => {
    const ids = Array.from({ length: CALLS - REPEATED }, (_, i) => `batch-${i}`);
    const sent = [...ids, ...ids.slice(0, REPEATED)];
    const texts = (id: string) => [`review number ${id}: works well, would buy again`];
    const results = await Promise.all(sent.map((requestId) => runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: texts(requestId), requestId })));
    results.forEach((res) => expect(res.errors).toBeUndefined());
    sent.forEach((requestId, i) => {
      const answer = results[i].data!.runInference;
      expect(answer.userErrors).toEqual([]);
      if (!answers.has(requestId)) answers.set(requestId, answer.predictions);
      else expect(answer.predictions).toEqual(answers.get(requestId));
    });
    expect(results.filter((r) => r.data!.runInference.replayed)).toHaveLength(REPEATED);
    const totals = await usageTotals(t, t.keys.partner);
    expect(totals.REQUESTS).toBe(CALLS - REPEATED);
    const [{ n }] = await t.server.dataSource.query(`SELECT count(DISTINCT idempotency_key)::int AS n FROM usage_event WHERE meter = 'REQUESTS'`);
    expect(n).toBe(CALLS - REPEATED);
  });

  it('keeps every event and stored answer across a server restart', async () => {
    const before = await usageTotals(t, t.keys.partner);
    await t.restart();
    expect(await usageTotals(t, t.keys.partner)).toEqual(before);
    const retry = await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: ['review number batch-7: works well, would buy again'], requestId: 'batch-7' });
    expect(retry.data!.runInference).toMatchObject({ replayed: true, predictions: answers.get('batch-7') });
    expect(await usageTotals(t, t.keys.partner)).toEqual(before);
  });

  /** Cutting connections needs a second one: PostgreSQL only (embedded PGlite has one). */
  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
  onPostgres('outlives the database dropping its connections mid-flush: no crash, nothing half-billed, then serves again', async () => {
    const requests = (await usageTotals(t, t.keys.partner)).REQUESTS ?? 0;
    const call = (i: number) => runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: [`after the cut ${i}`], requestId: `cut-${i}` });
    const admin = new Client({ connectionString: (t.server.dataSource.options as { url?: string }).url });
    await admin.connect();
    let calls;
    try {
      // hold the recorder's flush on a lock, then cut every other connection under it
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE usage_event IN EXCLUSIVE MODE');
      const pending = Array.from({ length: 20 }, (_, i) => call(i));
      // NOTE: cut only once a flush is waiting on the lock (a fixed pause missed it under load)
      for (let waited = 0; waited < 30_000; waited += 50) {
        const blocked = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%usage_event%'`);
        if (blocked.rows[0].n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const cut = await admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      expect(cut.rows[0].n).toBeGreaterThan(0);
      await admin.query('COMMIT');
      calls = await Promise.all(pending);
    } finally {
      await admin.end();
    }
    const failed = calls.flatMap((c, i) => (c.errors ? [i] : []));
    expect(failed.length).toBeGreaterThan(0);
    calls.filter((c) => c.errors).forEach((c) => expect(c.errors![0]).toMatchObject({
      message: expect.stringContaining('nothing was billed'), extensions: { code: 'INTERNAL', retryAfterSeconds: 1 },
    }));
    expect((await fetch(`${t.server.url}/health/live`)).status).toBe(200);
    // a failed call left nothing behind: its retry runs (not a replay) and is billed once
    const retried = await Promise.all(failed.map(call));
    retried.forEach((r) => expect(r.errors).toBeUndefined());
    expect(retried.filter((r) => r.data!.runInference.replayed)).toHaveLength(0);
    expect((await usageTotals(t, t.keys.partner)).REQUESTS).toBe(requests + 20);
  });

  /** Holds usage_event's inserts on a lock until the returned function commits it (and waits until a flush is stuck on it). */
  async function holdInserts(): Promise<{ admin: Client; blocked: () => Promise<void>; release: () => Promise<void> }> {
    const admin = new Client({ connectionString: (t.server.dataSource.options as { url?: string }).url });
    await admin.connect();
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE usage_event IN EXCLUSIVE MODE');
    const blocked = async () => {
      // NOTE: only once a flush is waiting on the lock (a fixed pause missed it under load)
      for (let waited = 0; waited < 30_000; waited += 50) {
        const found = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%usage_event%'`);
        if (found.rows[0].n > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('no flush waited on the lock');
    };
    return { admin, blocked, release: async () => { await admin.query('COMMIT').catch(() => undefined); await admin.end(); } };
  }

  onPostgres('answers a call without a requestId only once its usage has committed', async () => {
    const requests = (await usageTotals(t, t.keys.partner)).REQUESTS ?? 0;
    const held = await holdInserts();
    let answered = false;
    let call;
    try {
      call = runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: ['held until billed'] }).then((r) => ((answered = true), r));
      await held.blocked();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
    } finally {
      await held.release();
    }
    const res = await call;
    expect(res.errors).toBeUndefined();
    expect(res.data!.runInference.predictions).toHaveLength(1);
    expect((await usageTotals(t, t.keys.partner)).REQUESTS).toBe(requests + 1);
  });

  onPostgres('withholds the answers of calls without a requestId whose usage a cut connection lost, and bills the rest once', async () => {
    const requests = (await usageTotals(t, t.keys.partner)).REQUESTS ?? 0;
    const held = await holdInserts();
    let calls;
    try {
      const pending = Array.from({ length: 20 }, (_, i) => runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: [`no requestId, cut ${i}`] }));
      await held.blocked();
      const cut = await held.admin.query('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      expect(cut.rows[0].n).toBeGreaterThan(0);
      await held.admin.query('COMMIT');
      calls = await Promise.all(pending);
    } finally {
      await held.release();
    }
    const failed = calls.filter((c) => c.errors);
    expect(failed.length).toBeGreaterThan(0);
    for (const c of failed) {
      // nothing of the answer went out: no predictions, only the error
      expect(c.data).toBeNull();
      expect(c.errors).toHaveLength(1);
      expect(c.errors![0]).toMatchObject({ path: ['runInference'], message: expect.stringContaining('nothing was billed'), extensions: { code: 'INTERNAL', retryAfterSeconds: 1 } });
    }
    expect((await fetch(`${t.server.url}/health/live`)).status).toBe(200);
    expect((await usageTotals(t, t.keys.partner)).REQUESTS).toBe(requests + calls.length - failed.length);
  });

  it('shows none of it to another organisation', async () => {
    const other = await createPartner(t, 'Wide World Importers');
    expect(await usageTotals(t, other)).toEqual({});
    const events = await t.graphql(other, '{ usageEvents(first: 5) { totalCount nodes { id } } }');
    expect(events.data!.usageEvents.totalCount).toBe(0);
    const mine = await t.graphql(t.keys.partner, '{ usageEvents(first: 1) { totalCount nodes { id } } }');
    expect(mine.data!.usageEvents.totalCount).toBeGreaterThanOrEqual(CALLS - REPEATED);
    const peek = await t.graphql(other, 'query($id: ID!) { node(id: $id) { id } }', { id: mine.data!.usageEvents.nodes[0].id });
    expect(peek.data!.node).toBeNull();
    const retry = await runInference(t, other, { modelId: models['review-sentiment'].id, texts: ['x'], requestId: 'batch-7' });
    expect(retry.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
