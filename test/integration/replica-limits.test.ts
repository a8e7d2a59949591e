import { randomUUID } from 'node:crypto';
import { RateLimitBucketStore } from '../../api/subscriptions/rate-limit-bucket.store';
import { RateLimiter, RateLimitRefusal } from '../../api/subscriptions/rate-limiter';
import { rowIdOf } from '../../schema/common/global-id';
import { createPartner, createPlan, demoModels, DemoModelRef, runInference, subscribe, usageTotals } from '../support/subscription-fixtures';
import { startReplica, startTestServer, TestServer } from '../support/test-server';

// Requests per minute per subscription: token buckets in the database, leased by each replica.

/** The real store, counting its round trips. */
class CountingStore extends RateLimitBucketStore {
  leases = 0;

  override lease(...args: Parameters<RateLimitBucketStore['lease']>) {
    this.leases++;
    return super.lease(...args);
  }
}

const FEATURES = [0.4, 0.2, 0.7, 0.1, 0.5];
const allowed = (results: Array<RateLimitRefusal | null>) => results.filter((r) => r === null).length;

describe('limits across replicas: RateLimiter (a bucket per subscription in the database, leased) and monthly caps', () => {
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  const limiters: RateLimiter[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    models = await demoModels(t);
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.stop()));
    await t?.stop();
  });

  /** A replica's limiter on the test server's database. */
  const replica = (leaseMs = 1000) => {
    const store = new CountingStore(t.server.dataSource);
    const limiter = new RateLimiter(store, { leaseMs });
    limiters.push(limiter);
    return { limiter, store };
  };

  /** A fresh partner subscribed to a plan of the credit-risk model; its subscription's row id. */
  async function subscription(requestsPerMinute: number): Promise<string> {
    const partner = await createPartner(t, `Partner ${randomUUID().slice(0, 8)}`);
    const plan = await createPlan(t, models['credit-risk'].id, `Rate ${randomUUID().slice(0, 8)}`, { requestsPerMinute });
    return rowIdOf(await subscribe(t, partner, plan), 'Subscription')!;
  }

  it('lets two replicas together admit exactly the minute\'s allowance, then refuses with when to retry', async () => {
    const sub = await subscription(10);
    const [a, b] = [replica(), replica()];
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).limiter.take(sub, 10, now)));
    expect(allowed(results)).toBe(10);
    for (const refusal of results.filter((r) => r !== null)) expect(refusal!.retryAfterSeconds).toEqual(6);
    // refilled at 10 a minute: one more after 6 s, on either replica, and not two
    expect(await b.limiter.take(sub, 10, now + 6_000)).toBeNull();
    expect(await a.limiter.take(sub, 10, now + 6_000)).toEqual({ retryAfterSeconds: 6 });
  });

  it('spends a lease in memory: one round trip for a second\'s worth of calls, none for refusals until a token can have refilled', async () => {
    const sub = await subscription(600);
    const { limiter, store } = replica(10_000); // a lease asks for 10 s of refill: 100 tokens
    const now = Date.now();
    for (let i = 0; i < 100; i++) expect(await limiter.take(sub, 600, now)).toBeNull();
    expect(store.leases).toBe(1);
    const burst = await Promise.all(Array.from({ length: 700 }, () => limiter.take(sub, 600, now)));
    expect(allowed(burst)).toBe(500);
    const tripsForBurst = store.leases;
    expect(tripsForBurst).toBe(1 + 5 + 1);
    const flood = await Promise.all(Array.from({ length: 1000 }, () => limiter.take(sub, 600, now + 50)));
    expect(allowed(flood)).toBe(0);
    expect(flood[0]).toEqual({ retryAfterSeconds: 1 });
    expect(store.leases).toBe(tripsForBurst);
    expect(await limiter.take(sub, 600, now + 100)).toBeNull();
  });

  it('keeps a lease that is being spent: a steady caller slower than a lease lasts makes no round trip per lease, an idle lease goes back', async () => {
    const sub = await subscription(600);
    const { limiter, store } = replica(1_000); // a lease asks for 1 s of refill: 10 tokens
    const now = Date.now();
    for (let i = 0; i < 5; i++) expect(await limiter.take(sub, 600, now + i * 900)).toBeNull(); // 3.6 s, one call every 0.9 s
    expect(store.leases).toBe(1);
    limiter.endExpiredLeases(now + 4 * 900 + 999);
    expect(await limiter.take(sub, 600, now + 4 * 900 + 999)).toBeNull(); // still its own: spent 1 s ago at most
    expect(store.leases).toBe(1);
    limiter.endExpiredLeases(now + 4 * 900 + 2_000); // idle for a lease's time: its 4 unspent tokens go back
    await limiter.stop(); // waits for the give-back
    const [{ tokens }] = await t.server.dataSource.query('SELECT tokens FROM rate_limit_bucket WHERE subscription_id = $1', [sub]);
    expect(Number(tokens)).toBe(600 - 10 + 4);
    expect(await limiter.take(sub, 600, now + 4 * 900 + 2_001)).toBeNull();
    expect(store.leases).toBe(2); // the ended lease is renewed with a round trip
  });

  it('gives unspent leased tokens back when a replica stops, for the others to spend', async () => {
    const sub = await subscription(30);
    const a = replica(10_000); // leases 10 s of refill: 5 tokens
    const b = replica(10_000);
    const now = Date.now();
    expect(await a.limiter.take(sub, 30, now)).toBeNull();
    const rest = await Promise.all(Array.from({ length: 40 }, () => b.limiter.take(sub, 30, now)));
    expect(allowed(rest)).toBe(25);
    await a.limiter.stop();
    const c = replica(10_000);
    const late = await Promise.all(Array.from({ length: 10 }, () => c.limiter.take(sub, 30, now)));
    expect(allowed(late)).toBe(4);
  });

  it('starts a full bucket at the new rate when the plan\'s rate changes', async () => {
    const sub = await subscription(2);
    const { limiter } = replica();
    const now = Date.now();
    expect(allowed(await Promise.all([1, 2, 3].map(() => limiter.take(sub, 2, now))))).toBe(2);
    expect(allowed(await Promise.all(Array.from({ length: 8 }, () => limiter.take(sub, 5, now + 10))))).toBe(5);
  });

  it('keeps each subscription\'s allowance apart', async () => {
    const [first, second] = [await subscription(1), await subscription(1)];
    const { limiter } = replica();
    const now = Date.now();
    expect(await limiter.take(first, 1, now)).toBeNull();
    expect(await limiter.take(first, 1, now)).toEqual({ retryAfterSeconds: 60 });
    expect(await limiter.take(second, 1, now)).toBeNull();
  });

  it('fails a take whose bucket cannot be written, and is not stuck afterwards', async () => {
    const { limiter } = replica();
    const now = Date.now();
    await expect(limiter.take(randomUUID(), 5, now)).rejects.toThrow(/foreign key/);
    const sub = await subscription(5);
    expect(await limiter.take(sub, 5, now)).toBeNull();
  });

  /** A second API replica needs a second connection to the same database: PostgreSQL only. */
  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;

  /** Calls the model 6 times as a new partner on `limits`, alternating between this server and a second replica. */
  async function sixCallsOnTwoReplicas(limits: Record<string, unknown>) {
    const second = await startReplica(t);
    try {
      const partner = await createPartner(t, `Partner ${randomUUID().slice(0, 8)}`);
      await subscribe(t, partner, await createPlan(t, models['credit-risk'].id, `Limited ${randomUUID().slice(0, 8)}`, limits));
      const input = { modelId: models['credit-risk'].id, inputs: { features: { type: 'float32', dims: [1, 5], data: FEATURES } } };
      const calls = [];
      for (let i = 0; i < 6; i++) calls.push(await runInference([t, second][i % 2], partner, input));
      return { codes: calls.map((c) => c.errors?.[0].extensions?.code ?? 'OK'), calls, requests: (await usageTotals(t, partner)).REQUESTS };
    } finally {
      await second.stop();
    }
  }

  onPostgres('holds a plan\'s rate across two API replicas: calls beyond it are RATE_LIMITED on either one, and not billed', async () => {
    const { codes, calls, requests } = await sixCallsOnTwoReplicas({ requestsPerMinute: 3 });
    // first, second, first run; then second, first, second are refused (each replica alone would have let all 6 through)
    expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    for (const c of calls.slice(3)) expect(c.errors![0].extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(requests).toBe(3);
  });

  onPostgres('holds a monthly cap across two API replicas: the call that would pass it is QUOTA_EXCEEDED on either one', async () => {
    const { codes, calls, requests } = await sixCallsOnTwoReplicas({ monthlyCaps: [{ meter: 'REQUESTS', quantity: '3' }] });
    expect(codes).toEqual(['OK', 'OK', 'OK', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED']);
    for (const c of calls.slice(3)) expect(c.errors![0].extensions).toMatchObject({ meter: 'REQUESTS', limit: '3', used: '3' });
    expect(requests).toBe(3);
  });
});
