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

  const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

  /** Admits one call of `quantity` REQUESTS and, like a call that ran, commits and settles it. */
  async function callAndCommit(guard: QuotaGuard, sub: Sub, capped: Plan, quantity: number, now: Date) {
    const reservation = await guard.admit(sub, capped, PERIOD, requests(quantity), now);
    await record(sub, new Date('2026-11-12T00:00:00Z'), { REQUESTS: quantity });
    guard.settle(reservation, requests(quantity));
  }

  it('seeds a counter once, then admits from memory up to the cap, counting calls in flight', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 8 });
    const guard = new QuotaGuard(db);
    const capped = plan([[Meter.REQUESTS, 100]]);
    const before = usageQueries;
    const inFlight = await Promise.all(Array.from({ length: 10 }, () => guard.admit(sub, capped, PERIOD, requests(1), NOW)));
    expect(usageQueries - before).toBe(1);
    // 8 used + 10 in flight: 83 more would pass the cap (a count afresh first, as it is so close)
    await expect(guard.admit(sub, capped, PERIOD, requests(83), NOW)).rejects.toMatchObject({
      extensions: { code: 'QUOTA_EXCEEDED', meter: 'REQUESTS', limit: '100', used: '8', resetsAt: PERIOD.end.toISOString() },
    });
    inFlight.forEach((r) => guard.settle(r, [])); // failed calls: their reservations are released, nothing used
    await expect(guard.admit(sub, capped, PERIOD, requests(83), NOW)).resolves.toBeDefined();
  });

  it('counts afresh before a call takes the last hundredth of a cap: another replica\'s usage stops it at once', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 3 });
    const guard = new QuotaGuard(db);
    const five = plan([[Meter.REQUESTS, 5]]);
    await callAndCommit(guard, sub, five, 1, NOW); // 4 used, as this replica knows
    await record(sub, new Date('2026-11-10T00:00:00Z'), { REQUESTS: 1 }); // the 5th, on another replica
    const before = usageQueries;
    await expect(guard.admit(sub, five, PERIOD, requests(1), at(1))).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', used: '5' } });
    expect(usageQueries - before).toBe(1);
  });

  it('refuses a used-up cap from memory until its next count is due, which sees a correction', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 5 });
    const guard = new QuotaGuard(db, { closeReseedMs: 1_000 });
    const five = plan([[Meter.REQUESTS, 5]]);
    await expect(guard.admit(sub, five, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { used: '5' } });
    const before = usageQueries;
    for (let i = 0; i < 20; i++) await expect(guard.admit(sub, five, PERIOD, requests(1), at(0.5))).rejects.toMatchObject({ extensions: { used: '5' } });
    expect(usageQueries - before).toBe(0);
    await db.query(`UPDATE usage_event SET canceled_at = now() WHERE subscription_id = $1 AND occurred_at = '2026-11-05T00:00:00Z' AND meter = 'REQUESTS'`, [sub.id]);
    await expect(guard.admit(sub, five, PERIOD, requests(1), at(1.5))).resolves.toBeDefined();
    expect(usageQueries - before).toBe(1);
  });

  it('far from the cap re-counts in the background every reseedMs, and every closeReseedMs within its last tenth', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 4 });
    const guard = new QuotaGuard(db, { reseedMs: 60_000, closeReseedMs: 1_000 });
    const thousand = plan([[Meter.REQUESTS, 1000]]);
    const queriesAt = async (seconds: number, quantity = 1) => {
      const before = usageQueries;
      await callAndCommit(guard, sub, thousand, quantity, at(seconds));
      await new Promise((resolve) => setTimeout(resolve, 50)); // a background count, if one started
      return usageQueries - before;
    };
    expect(await queriesAt(0)).toBe(1); // the seed
    expect(await queriesAt(30)).toBe(0);
    expect(await queriesAt(61)).toBe(1);
    expect(await queriesAt(62, 900)).toBe(0); // 907 used: within the last tenth from here on
    expect(await queriesAt(62.5)).toBe(1); // the count from 61 s is over a second old
    expect(await queriesAt(63)).toBe(0);
    expect(await queriesAt(63.6)).toBe(1);
    await record(sub, new Date('2026-11-10T00:00:00Z'), { REQUESTS: 50 }); // another replica's: 960 in all
    await expect(guard.admit(sub, thousand, PERIOD, requests(85), at(63.7))).rejects.toMatchObject({ extensions: { used: '960' } });
  });

  it('refuses a meter known only afterwards (COMPUTE_MS) once its cap is reached', async () => {
    const computeCap = plan([[Meter.COMPUTE_MS, 100]]);
    const atCap = await subscriptionWithUsage({ REQUESTS: 1, COMPUTE_MS: 100 });
    await expect(new QuotaGuard(db).admit(atCap, computeCap, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { meter: 'COMPUTE_MS' } });
    const below = await subscriptionWithUsage({ REQUESTS: 1, COMPUTE_MS: 99 });
    await expect(new QuotaGuard(db).admit(below, computeCap, PERIOD, requests(1), NOW)).resolves.toBeDefined();
  });

  it('makes no query for plans without caps, and counts afresh after forgetSubscription', async () => {
    const sub = await subscriptionWithUsage({ REQUESTS: 3 });
    const guard = new QuotaGuard(db);
    const before = usageQueries;
    await guard.admit(sub, plan([]), PERIOD, requests(1), NOW);
    expect(usageQueries - before).toBe(0);
    const hundred = plan([[Meter.REQUESTS, 100]]);
    await callAndCommit(guard, sub, hundred, 1, NOW);
    await record(sub, new Date('2026-11-10T00:00:00Z'), { REQUESTS: 90 }); // elsewhere: not seen yet
    await expect(guard.admit(sub, hundred, PERIOD, requests(7), NOW)).resolves.toBeDefined();
    guard.forgetSubscription(sub.id);
    await expect(guard.admit(sub, hundred, PERIOD, requests(7), NOW)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', used: '94' } });
    expect(usageQueries - before).toBe(2);
  });
});
