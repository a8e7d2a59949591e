import { DataSource } from 'typeorm';
import { MeteredCall, UsageRecorder } from '../../../api/metering/usage-recorder';
import { Meter } from '../../../schema/metering/meter.enum';

/** A stand-in database: records each statement and lets the test decide when it "commits". */
function fakeDatabase() {
  const statements: Array<{ sql: string; params: unknown[]; commit: (rows?: unknown[]) => void; fail: (e: Error) => void }> = [];
  const dataSource = {
    options: {},
    query: (sql: string, params: unknown[]) => new Promise((resolve, reject) => {
      statements.push({ sql, params, commit: (rows = []) => resolve(rows), fail: reject });
    }),
  } as unknown as DataSource;
  return { dataSource, statements };
}

const ORG = '11111111-1111-4111-8111-111111111111';
function call(key: string, quantities: number[] = [1, 5, 0], stored = false): MeteredCall {
  const meters = [Meter.REQUESTS, Meter.INPUT_TOKENS, Meter.COMPUTE_MS];
  return {
    organizationId: ORG, subscriptionId: ORG, apiKeyId: ORG, modelId: ORG, modelVersionId: ORG, occurredAt: new Date('2026-11-02T10:00:00Z'),
    idempotencyKey: key, usage: quantities.map((q, i) => ({ meter: meters[i], quantity: BigInt(q) })),
    stored: stored ? { requestHash: `hash-${key}`, response: { key } } : undefined,
  };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('UsageRecorder (group commit)', () => {
  it('writes the calls that arrive together in ONE statement and answers each only after it committed', async () => {
    const { dataSource, statements } = fakeDatabase();
    const recorder = new UsageRecorder(dataSource, { maxBatchEvents: 1000, maxConcurrentFlushes: 2 });
    let answered = 0;
    const pending = ['a', 'b', 'c'].map((k) => recorder.record(call(k)).then((o) => (answered++, o)));
    await tick();
    expect(statements).toHaveLength(1);
    expect(statements[0].sql).toMatch(/INSERT INTO usage_event .* SELECT \* FROM unnest\(.*\) ON CONFLICT DO NOTHING/s);
    expect(statements[0].params[8]).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    expect(statements[0].params[5]).toEqual(['REQUESTS', 'INPUT_TOKENS', 'REQUESTS', 'INPUT_TOKENS', 'REQUESTS', 'INPUT_TOKENS']);
    await tick();
    expect(answered).toBe(0);
    statements[0].commit();
    expect(await Promise.all(pending)).toEqual([{ recorded: true }, { recorded: true }, { recorded: true }]);
  });

  it('gathers calls that arrive during a flush into the next one, and caps a batch at maxBatchEvents', async () => {
    const { dataSource, statements } = fakeDatabase();
    const recorder = new UsageRecorder(dataSource, { maxBatchEvents: 4, maxConcurrentFlushes: 1 });
    const first = recorder.record(call('a'));
    await tick();
    const later = ['b', 'c', 'd'].map((k) => recorder.record(call(k)));
    await tick();
    expect(statements).toHaveLength(1);
    statements[0].commit();
    await first;
    await tick();
    expect(statements).toHaveLength(2);
    expect(statements[1].params[8]).toEqual(['b', 'b', 'c', 'c']);
    statements[1].commit();
    await tick();
    await tick();
    expect(statements[2].params[8]).toEqual(['d', 'd']);
    statements[2].commit();
    await Promise.all(later);
  });

  it('fails every call of a batch whose statement failed (nothing answered unbilled)', async () => {
    const { dataSource, statements } = fakeDatabase();
    const recorder = new UsageRecorder(dataSource, { maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const pending = ['a', 'b'].map((k) => recorder.record(call(k)));
    await tick();
    statements[0].fail(new Error('connection lost'));
    await expect(pending[0]).rejects.toThrow('connection lost');
    await expect(pending[1]).rejects.toThrow('connection lost');
  });

  it('stores answers with their events in one statement and hands back the earlier answer on a key conflict', async () => {
    const { dataSource, statements } = fakeDatabase();
    const recorder = new UsageRecorder(dataSource, { maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const fresh = recorder.record(call('new', [1, 2, 0], true));
    const retried = recorder.record(call('old', [1, 2, 0], true));
    await tick();
    expect(statements[0].sql).toMatch(/WITH events AS \(INSERT INTO usage_event.*answers AS \(INSERT INTO stored_response/s);
    statements[0].commit([{ organization_id: ORG, idempotency_key: 'new' }]);
    await tick();
    expect(statements[1].sql).toMatch(/SELECT .* FROM stored_response/s);
    statements[1].commit([{ organization_id: ORG, idempotency_key: 'old', request_hash: 'hash-old', response: { key: 'first answer' } }]);
    expect(await fresh).toEqual({ recorded: true });
    expect(await retried).toEqual({ recorded: false, existing: { requestHash: 'hash-old', response: { key: 'first answer' } } });
  });

  it('stop() writes what is queued', async () => {
    const { dataSource, statements } = fakeDatabase();
    const recorder = new UsageRecorder(dataSource, { maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const pending = recorder.record(call('last'));
    const stopped = recorder.stop();
    await tick();
    statements[0].commit();
    await Promise.all([pending, stopped]);
  });
});
