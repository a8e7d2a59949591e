import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { generatedIdempotencyKey, MeteredCall, UsageRecorder } from '../../api/metering/usage-recorder';
import { Meter } from '../../schema/metering/meter.enum';
import { createMigratedDataSource, TestDatabase } from '../support/test-database';

// The recorder against a real database. Rows written by one statement share a transaction id
// (xmin), which is how these tests see what went out together.

const ORG = randomUUID();
const METERS = [Meter.REQUESTS, Meter.INPUT_TOKENS, Meter.COMPUTE_MS];

function call(key: string, quantities: number[] = [1, 5, 0], stored?: { hash: string; answer: string }, organizationId: string = ORG): MeteredCall {
  return {
    organizationId, subscriptionId: ORG, apiKeyId: ORG, modelId: ORG, modelVersionId: null, occurredAt: new Date('2026-11-02T10:00:00Z'),
    idempotencyKey: key, usage: quantities.map((q, i) => ({ meter: METERS[i], quantity: BigInt(q) })),
    stored: stored ? { requestHash: stored.hash, response: { answer: stored.answer } } : undefined,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Holding a lock needs a second connection: PostgreSQL only (embedded PGlite has one). */
const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;

describe('UsageRecorder on a real database (group commit)', () => {
  let database: TestDatabase;
  let db: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, database, close } = await createMigratedDataSource());
  });
  afterAll(async () => close?.());

  // NOTE: a recorder keeps a connection between flushes; stopping it hands it back.
  const recorders: UsageRecorder[] = [];
  const recorderOf = (options: ConstructorParameters<typeof UsageRecorder>[1]) => {
    const recorder = new UsageRecorder(db, options);
    recorders.push(recorder);
    return recorder;
  };
  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((r) => r.stop()));
  });

  async function written(keys: string[]): Promise<Array<{ key: string; meter: string; quantity: number; tx: string }>> {
    return db.query(
      `SELECT idempotency_key AS key, meter, quantity::int AS quantity, xmin::text AS tx FROM usage_event
       WHERE organization_id = $1 AND idempotency_key = ANY($2) ORDER BY idempotency_key, meter DESC`,
      [ORG, keys],
    );
  }

  /** Blocks every insert into usage_event until the returned function is called. */
  async function blockInserts(): Promise<() => Promise<void>> {
    const blocker = new Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE usage_event IN EXCLUSIVE MODE');
    return async () => {
      await blocker.query('COMMIT');
      await blocker.end();
    };
  }

  it('writes calls that arrive together in one statement, without their zero quantities', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const keys = ['together-a', 'together-b', 'together-c'];
    expect(await Promise.all(keys.map((k) => recorder.record(call(k))))).toEqual(keys.map(() => ({ recorded: true })));
    const rows = await written(keys);
    expect(rows.map((r) => [r.key, r.meter, r.quantity])).toEqual(
      keys.flatMap((k) => [[k, 'REQUESTS', 1], [k, 'INPUT_TOKENS', 5]]),
    );
    expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
  });

  it('writes every meter of calls with server-generated keys, each event with its own time-ordered id', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const keys = [generatedIdempotencyKey(), generatedIdempotencyKey()];
    const everyMeter = (key: string): MeteredCall => ({ ...call(key), usage: Object.values(Meter).map((meter, i) => ({ meter, quantity: BigInt(i + 1) })) });
    await Promise.all(keys.map((k) => recorder.record(everyMeter(k))));
    const rows: Array<{ key: string; meter: string; quantity: number; id: string; tx: string }> = await db.query(
      `SELECT idempotency_key AS key, meter, quantity::int AS quantity, id, xmin::text AS tx FROM usage_event WHERE idempotency_key = ANY($1) ORDER BY id`, [keys]);
    expect(rows.map((r) => [r.key, r.meter, r.quantity])).toEqual(keys.flatMap((k) => [[k, 'REQUESTS', 1], [k, 'INPUT_TOKENS', 2], [k, 'COMPUTE_MS', 3], [k, 'TRAINING_STEPS', 4]]));
    expect(new Set(rows.map((r) => r.id)).size).toBe(8);
    expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
  });

  it('writes a lone call (one flush, its own plain statement) with exactly its non-zero meters, and nothing for a call of none', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const shapes: number[][] = [[1, 0, 0, 0], [0, 7, 0, 0], [1, 5, 3, 0], [0, 0, 0, 9], [2, 4, 6, 8]];
    const lone = shapes.map((quantities) => ({ key: generatedIdempotencyKey(), quantities }));
    for (const { key, quantities } of lone) {
      // one at a time: each call is a flush of its own
      expect(await recorder.record({ ...call(key), usage: Object.values(Meter).map((meter, i) => ({ meter, quantity: BigInt(quantities[i]) })) })).toEqual({ recorded: true });
    }
    const nothing = generatedIdempotencyKey();
    expect(await recorder.record({ ...call(nothing), usage: Object.values(Meter).map((meter) => ({ meter, quantity: 0n })) })).toEqual({ recorded: true });
    const rows: Array<{ key: string; meter: string; quantity: number; id: string; occurred: Date; version: string | null }> = await db.query(
      `SELECT idempotency_key AS key, meter, quantity::int AS quantity, id, occurred_at AS occurred, model_version_id AS version FROM usage_event
       WHERE idempotency_key = ANY($1) ORDER BY id`, [[...lone.map((l) => l.key), nothing]]);
    expect(rows.map((r) => [r.key, r.meter, r.quantity])).toEqual(lone.flatMap(({ key, quantities }) =>
      Object.values(Meter).flatMap((meter, i) => (quantities[i] > 0 ? [[key, meter, quantities[i]]] : []))));
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.every((r) => r.occurred.toISOString() === '2026-11-02T10:00:00.000Z' && r.version === null)).toBe(true);
  });

  onPostgres('answers a call only once its events are committed', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const release = await blockInserts();
    let answered = false;
    const pending = recorder.record(call('after-commit')).then((outcome) => ((answered = true), outcome));
    await sleep(300);
    expect(answered).toBe(false);
    expect(await written(['after-commit'])).toEqual([]);
    await release();
    expect(await pending).toEqual({ recorded: true });
    expect(await written(['after-commit'])).toHaveLength(2);
  });

  onPostgres('gathers calls that arrive during a flush into the next statement, at most maxBatchEvents each', async () => {
    const recorder = recorderOf({ maxBatchEvents: 4, maxConcurrentFlushes: 1 });
    const release = await blockInserts();
    const first = recorder.record(call('during-a'));
    await sleep(100); // the first flush is now waiting on the lock
    const later = ['during-b', 'during-c', 'during-d'].map((k) => recorder.record(call(k)));
    await sleep(50);
    await release();
    await Promise.all([first, ...later]);
    const tx = new Map((await written(['during-a', 'during-b', 'during-c', 'during-d'])).map((r) => [r.key, r.tx]));
    expect(new Set(tx.values()).size).toBe(3);
    expect(tx.get('during-b')).toBe(tx.get('during-c'));
    expect(tx.get('during-a')).not.toBe(tx.get('during-b'));
    expect(tx.get('during-d')).not.toBe(tx.get('during-c'));
  });

  onPostgres('sends a later call in a second statement while the first is still in flight (maxConcurrentFlushes)', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 2, minFlushIntervalMs: 20 });
    const release = await blockInserts();
    const first = recorder.record(call('overlap-a'));
    await sleep(100);
    const second = recorder.record(call('overlap-b'));
    await sleep(100);
    let waiting: number;
    try {
      [{ waiting }] = await db.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO usage_event%'`);
    } finally {
      await release();
    }
    await Promise.all([first, second]);
    expect(waiting).toBe(2);
    expect(new Set((await written(['overlap-a', 'overlap-b'])).map((r) => r.tx)).size).toBe(2);
  });

  onPostgres('sends a call\'s statement before the rest of its turn runs, so the commit overlaps the caller\'s own work', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    await recorder.record(call('sent-warm'));
    await sleep(20); // the recorder idle, nothing of that flush left to run
    const recorded = Date.now();
    const committed = recorder.record(call('sent-at-once'));
    // the answer's remaining work runs in later microtasks of the same turn, on a busy loop
    await Promise.resolve();
    await Promise.resolve();
    const busyUntil = Date.now() + 300;
    while (Date.now() < busyUntil);
    await committed;
    const [row] = await db.query(`SELECT created_at FROM usage_event WHERE organization_id = $1 AND idempotency_key = 'sent-at-once' LIMIT 1`, [ORG]);
    // the transaction began while the loop was still busy, not after it
    expect(new Date(row.created_at).getTime()).toBeLessThan(recorded + 150);
  });

  onPostgres('keeps at most one pooled connection between flushes, also when one flush connects while another ends', async () => {
    // (no roll-up during the rounds: it would hold a pooled connection of its own for a moment)
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 2, rollTotalsAfterMs: 60_000 });
    const pool = (db.driver as unknown as { master: Pool }).master;
    for (let round = 0; round < 5; round++) {
      await recorder.record(call(generatedIdempotencyKey())); // a connection is kept from here
      // no idle pooled connection left: a second flush must open one, which takes longer than the first's statement
      while (pool.idleCount > 0) (await pool.connect()).release(true);
      const first = recorder.record(call(generatedIdempotencyKey()));
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([first, recorder.record(call(generatedIdempotencyKey()))]);
      await sleep(20);
      expect(pool.totalCount - pool.idleCount).toBeLessThanOrEqual(1);
    }
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('fails every call of a batch whose statement failed, and writes none of it', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const good = recorder.record(call('failed-good'));
    const bad = recorder.record(call('failed-bad', [1, 1, 1], undefined, 'not-a-uuid'));
    await expect(good).rejects.toThrow(/invalid input syntax for type uuid/);
    await expect(bad).rejects.toThrow(/invalid input syntax for type uuid/);
    expect(await written(['failed-good', 'failed-bad'])).toEqual([]);
  });

  it('stores answers with their events and hands back the first answer when a key comes again', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    expect(await recorder.record(call('stored-old', [1, 2, 0], { hash: 'h-old', answer: 'first' }))).toEqual({ recorded: true });
    const [fresh, retried, again] = await Promise.all([
      recorder.record(call('stored-new', [1, 2, 3], { hash: 'h-new', answer: 'new' })),
      recorder.record(call('stored-old', [1, 9, 9], { hash: 'h-old', answer: 'second' })),
      recorder.record(call('stored-new', [1, 4, 4], { hash: 'h-new', answer: 'same batch' })),
    ]);
    expect(fresh).toEqual({ recorded: true });
    expect(retried).toEqual({ recorded: false, existing: { requestHash: 'h-old', response: { answer: 'first' } } });
    expect(again).toEqual({ recorded: false, existing: { requestHash: 'h-new', response: { answer: 'new' } } });
    // The retry had a COMPUTE_MS quantity the first call lacked: it adds nothing all the same.
    expect((await written(['stored-old'])).map((r) => [r.meter, r.quantity])).toEqual([['REQUESTS', 1], ['INPUT_TOKENS', 2]]);
    expect((await written(['stored-new'])).map((r) => [r.meter, r.quantity])).toEqual([['REQUESTS', 1], ['INPUT_TOKENS', 2], ['COMPUTE_MS', 3]]);
    expect(await recorder.findStored(ORG, 'stored-new')).toEqual({ requestHash: 'h-new', response: { answer: 'new' } });
  });

  it('keeps any text of an idempotency key intact (quotes, backslashes, commas, braces, NULL)', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const keys = ['quote"d', 'back\\slash', 'com,ma', '{brace}', 'NULL', 'sp ace'];
    await Promise.all(keys.map((k) => recorder.record(call(k, [1, 0, 0]))));
    expect((await written(keys)).map((r) => r.key).sort()).toEqual([...keys].sort());
  });

  it('stop() writes what is queued before it resolves', async () => {
    const recorder = recorderOf({ maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const pending = recorder.record(call('at-stop'));
    await recorder.stop();
    expect(await written(['at-stop'])).toHaveLength(2);
    expect(await pending).toEqual({ recorded: true });
  });
});
