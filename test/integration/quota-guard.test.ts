import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { generatedIdempotencyKey, UsageRecorder } from '../../api/metering/usage-recorder';
import { QuotaGuard } from '../../api/subscriptions/quota-guard';
import { Plan } from '../../schema/catalogue/plan.entity';
import { Meter } from '../../schema/metering/meter.enum';
import { createMigratedDataSource } from '../support/test-database';

// QuotaGuard seeds its counters from committed usage in the database, then counts in memory.

const PERIOD = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const NOW = new Date('2026-11-20T00:00:00Z');
const plan = (caps: Array<[Meter, number]>) => ({ name: 'Capped', limits: { requestsPerMinute: null, monthlyCaps: caps.map(([meter, q]) => ({ meter, quantity: String(q) })) } }) as unknown as Plan;
const requests = (n: number) => [{ meter: Meter.REQUESTS, quantity: BigInt(n) }];

describe('QuotaGuard (monthly caps: seeded from SQL, counted in memory)', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  let recorder: UsageRecorder;
  let usageQueries = 0;

  beforeAll(async () => {
    ({ db, close } = await createMigratedDataSource((sql) => void (/FROM (usage_event|hourly_usage_total)\b/.test(sql) && usageQueries++)));
    recorder = new UsageRecorder(db, { maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
  });
  afterAll(async () => {
    await recorder?.stop();
    await close?.();
  });

  type Sub = { id: string; organizationId: string };

  /** Commits usage of a subscription through the recorder, as a call would (another replica's, say). */
  const record = (subscription: Sub, occurredAt: Date, quantities: Partial<Record<Meter, number>>) => recorder.record({
    organizationId: subscription.organizationId, subscriptionId: subscription.id, apiKeyId: null, modelId: randomUUID(), modelVersionId: null,
    occurredAt, idempotencyKey: generatedIdempotencyKey(),
    usage: Object.entries(quantities).map(([meter, q]) => ({ meter: meter as Meter, quantity: BigInt(q!) })),
  });

  /** A subscription with `used` already committed this period (and some outside it, or canceled, that must not count). */
  async function subscriptionWithUsage(used: Partial<Record<Meter, number>>): Promise<Sub> {
    const subscription = { id: randomUUID(), organizationId: randomUUID() };
    await record(subscription, new Date('2026-11-05T00:00:00Z'), used);
    await record(subscription, new Date('2026-10-31T23:59:59Z'), { REQUESTS: 1000, COMPUTE_MS: 1000 });
    await record(subscription, new Date('2026-11-06T00:00:00Z'), { REQUESTS: 1000 });
    await db.query(`UPDATE usage_event SET canceled_at = now() WHERE subscription_id = $1 AND occurred_at = '2026-11-06T00:00:00Z'`, [subscription.id]);
    return subscription;
  }

  it('seeds a counter once from committed usage, then admits up to the cap counting calls in flight', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 8 });
    const guard = new QuotaGuard(db, 60_000);
    const capped = plan([[Meter.REQUESTS, 10]]);
    const before = usageQueries;
    const first = await guard.admit(sub, capped, PERIOD, requests(1), NOW);
    const second = await guard.admit(sub, capped, PERIOD, requests(1), NOW);
    await expect(guard.admit(sub, capped, PERIOD, requests(1), NOW)).rejects.toMatchObject({
      extensions: { code: 'QUOTA_EXCEEDED', meter: 'REQUESTS', limit: '10', used: '8', resetsAt: PERIOD.end.toISOString() },
    });
    expect(usageQueries - before).toBe(1);
    guard.settle(first, []); // failed: its reservation is released, nothing used
    await guard.admit(sub, capped, PERIOD, requests(1), NOW);
    guard.settle(second, requests(1));
    await expect(guard.admit(sub, capped, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', used: '9' } });
    expect(usageQueries - before).toBe(1);
  });

  it('refuses a meter known only afterwards (COMPUTE_MS) once its cap is reached', async () => {
    const computeCap = plan([[Meter.COMPUTE_MS, 100]]);
    const atCap = await subscriptionWithUsage({ REQUESTS: 1, COMPUTE_MS: 100 });
    await expect(new QuotaGuard(db, 60_000).admit(atCap, computeCap, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { meter: 'COMPUTE_MS' } });
    const below = await subscriptionWithUsage({ REQUESTS: 1, COMPUTE_MS: 99 });
    await expect(new QuotaGuard(db, 60_000).admit(below, computeCap, PERIOD, requests(1), NOW)).resolves.toBeDefined();
  });

  it('makes no query for plans without caps, and takes in new usage after forgetSubscription', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 3 });
    const guard = new QuotaGuard(db, 60_000);
    const before = usageQueries;
    await guard.admit(sub, plan([]), PERIOD, requests(1), NOW);
    expect(usageQueries - before).toBe(0);
    const five = plan([[Meter.REQUESTS, 5]]);
    guard.settle(await guard.admit(sub, five, PERIOD, requests(1), NOW), requests(1));
    // usage committed elsewhere (another replica) is not seen until the counter is re-seeded
    await record(sub, new Date('2026-11-10T00:00:00Z'), { REQUESTS: 2 });
    await expect(guard.admit(sub, five, PERIOD, requests(1), NOW)).resolves.toBeDefined();
    guard.forgetSubscription(sub.id);
    await expect(guard.admit(sub, five, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', used: '5' } });
    expect(usageQueries - before).toBe(2);
  });

  it('re-seeds after reseedMs to take in usage committed by other replicas', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 4 });
    const guard = new QuotaGuard(db, 1_000);
    const five = plan([[Meter.REQUESTS, 5]]);
    guard.settle(await guard.admit(sub, five, PERIOD, requests(0), NOW), []);
    await record(sub, new Date('2026-11-10T00:00:00Z'), { REQUESTS: 1 });
    guard.settle(await guard.admit(sub, five, PERIOD, requests(1), NOW), []); // still the seeded 4: admitted
    const later = new Date(NOW.getTime() + 2_000);
    await expect(guard.admit(sub, five, PERIOD, requests(1), later)).rejects.toMatchObject({ extensions: { used: '5' } });
  });
});
