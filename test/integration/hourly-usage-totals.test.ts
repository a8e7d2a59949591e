import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../../api/context';
import { UsageQueryService } from '../../api/metering/usage-query.service';
import { generatedIdempotencyKey, UsageRecorder } from '../../api/metering/usage-recorder';
import { QuotaGuard } from '../../api/subscriptions/quota-guard';
import { OrganizationKind } from '../../schema/accounts/organization.entity';
import { Role } from '../../schema/accounts/role.enum';
import { toGlobalId } from '../../schema/common/global-id';
import { UsageBucketSize, UsageFilter, UsageGroupBy } from '../../schema/metering/metering.inputs';
import { Meter } from '../../schema/metering/meter.enum';
import { SeededRandom } from '../../inference';
import { createMigratedDataSource, TestDatabase } from '../support/test-database';

// The hourly usage totals (HourlyUsageTotal) against the events they sum, through every kind of
// write to usage_event, and the usage queries and quota seeding that read whole hours from them.

const ORGS = [randomUUID(), randomUUID(), randomUUID()];
const MODELS: string[] = [randomUUID(), randomUUID()];
const SUBSCRIPTION = randomUUID();
const KEY = randomUUID();
const METERS = [Meter.REQUESTS, Meter.INPUT_TOKENS, Meter.COMPUTE_MS];
const DAY = '2026-11-02';

/** The events that count, summed per UTC hour and key, in the totals' shape (NULL ids as the zero id). */
const EVENT_SUMS = `SELECT date_bin(interval '1 hour', occurred_at, timestamptz '2000-01-01') AS hour, organization_id, model_id,
    coalesce(subscription_id, '00000000-0000-0000-0000-000000000000') AS subscription_id, coalesce(api_key_id, '00000000-0000-0000-0000-000000000000') AS api_key_id,
    meter, sum(quantity)::text AS quantity, count(*)::int AS events
  FROM usage_event WHERE canceled_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`;
const TOTALS = `SELECT hour, organization_id, model_id, subscription_id, api_key_id, meter, quantity::text AS quantity, events
  FROM hourly_usage_total WHERE events > 0 ORDER BY 1, 2, 3, 4, 5, 6`;

describe('hourly usage totals', () => {
  let database: TestDatabase;
  let db: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, database, close } = await createMigratedDataSource());
  });
  afterAll(async () => close?.());
  beforeEach(async () => db.query('TRUNCATE usage_event'));

  /** Inserts events at the given times (one call each, REQUESTS meter unless said), returning their keys. */
  async function insertEvents(rows: Array<{ at: string; quantity: number; org?: string; model?: string; meter?: Meter }>): Promise<string[]> {
    const keys = rows.map(() => randomUUID());
    await db.query(
      `INSERT INTO usage_event (organization_id, subscription_id, api_key_id, model_id, meter, quantity, occurred_at, idempotency_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::timestamptz[], $8::text[])`,
      [rows.map((r) => r.org ?? ORGS[0]), rows.map(() => SUBSCRIPTION), rows.map(() => KEY), rows.map((r) => r.model ?? MODELS[0]),
        rows.map((r) => r.meter ?? Meter.REQUESTS), rows.map((r) => r.quantity), rows.map((r) => r.at), keys],
    );
    return keys;
  }

  it('equal the sums of the events that count, through inserts, retries, cancellations, deletes and the recorder', async () => {
    const random = new SeededRandom(11);
    const pick = <T>(items: T[]) => items[Math.floor(random.next() * items.length)];
    const events = Array.from({ length: 400 }, (_, i) => [
      pick(ORGS), pick(MODELS), random.next() < 0.3 ? null : SUBSCRIPTION, random.next() < 0.3 ? null : KEY, pick(METERS),
      1 + Math.floor(random.next() * 50), new Date(Date.parse(`${DAY}T00:00:00Z`) + Math.floor(random.next() * 3 * 86_400_000)).toISOString(), `call-${i}`,
    ]);
    const insert = (rows: unknown[][], onConflict = '') => db.query(
      `INSERT INTO usage_event (organization_id, model_id, subscription_id, api_key_id, meter, quantity, occurred_at, idempotency_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::timestamptz[], $8::text[]) ${onConflict}`,
      rows[0].map((_, col) => rows.map((row) => row[col])),
    );
    await insert(events);
    await insert(events.slice(0, 50).map((e) => [...e.slice(0, 5), 999, ...e.slice(6)]), 'ON CONFLICT DO NOTHING'); // retries add nothing
    await db.query(`UPDATE usage_event SET canceled_at = now(), cancel_reason = 'test' WHERE idempotency_key = ANY($1)`, [events.slice(100, 140).map((e) => e[7])]);
    await db.query(`UPDATE usage_event SET quantity = quantity + 1 WHERE idempotency_key = ANY($1)`, [events.slice(130, 160).map((e) => e[7])]);
    await db.query(`DELETE FROM usage_event WHERE idempotency_key = ANY($1)`, [events.slice(200, 220).map((e) => e[7])]);
    const recorder = new UsageRecorder(db, { maxBatchEvents: 1000, maxConcurrentFlushes: 1 });
    const metered = (key: string, stored: boolean) => recorder.record({
      organizationId: ORGS[0], subscriptionId: SUBSCRIPTION, apiKeyId: KEY, modelId: MODELS[1], modelVersionId: null, occurredAt: new Date(`${DAY}T05:30:00Z`),
      idempotencyKey: key, usage: [{ meter: Meter.REQUESTS, quantity: 1n }, { meter: Meter.INPUT_TOKENS, quantity: 7n }],
      stored: stored ? { requestHash: 'h', response: {} } : undefined,
    });
    await Promise.all([metered(generatedIdempotencyKey(), false), metered(generatedIdempotencyKey(), false)]);
    await Promise.all([metered('req-1', true), metered('req-1', true), metered('req-2', true)]);
    await recorder.stop();

    const sums = await db.query(EVENT_SUMS);
    expect(sums.length).toBeGreaterThan(100);
    expect(await db.query(TOTALS)).toEqual(sums);
    const [{ recorded }] = await db.query(`SELECT count(*)::int AS recorded FROM usage_event WHERE idempotency_key IN ('req-1', 'req-2') OR idempotency_key LIKE '~%'`);
    expect(recorded).toBe(8); // 4 calls (req-1 once) x 2 meters, all in the totals above
    const [{ left }] = await db.query(`SELECT count(*)::int AS left FROM hourly_usage_total WHERE events = 0 AND quantity <> 0`);
    expect(left).toBe(0);

    await db.query('TRUNCATE usage_event');
    expect(await db.query('SELECT * FROM hourly_usage_total')).toEqual([]);
  });

  it('hold inserted events as pending until rolled up; totals and pending together always equal the events', async () => {
    const keys = await insertEvents([
      { at: `${DAY}T01:10:00Z`, quantity: 3 }, { at: `${DAY}T01:20:00Z`, quantity: 5 }, { at: `${DAY}T02:00:00Z`, quantity: 7, meter: Meter.COMPUTE_MS },
      { at: `${DAY}T02:30:00Z`, quantity: 11, org: ORGS[1] },
    ]);
    const WITH_PENDING = `SELECT hour, organization_id, model_id, subscription_id, api_key_id, meter, sum(quantity)::text AS quantity, sum(events)::int AS events
      FROM (SELECT * FROM hourly_usage_total WHERE events > 0 UNION ALL SELECT hour, organization_id, model_id, subscription_id, api_key_id, meter, quantity, events FROM usage_total_pending) t
      GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`;
    const [{ pending }] = await db.query('SELECT count(*)::int AS pending FROM usage_total_pending');
    expect(pending).toBe(3); // the two 01:00 events share a key: one row per key and hour of the statement
    expect(await db.query(TOTALS)).toEqual([]);
    expect(await db.query(WITH_PENDING)).toEqual(await db.query(EVENT_SUMS));
    // A correction rolls the pending rows up first, so the totals it subtracts from hold the event.
    await db.query(`UPDATE usage_event SET canceled_at = now(), cancel_reason = 'test' WHERE idempotency_key = $1`, [keys[0]]);
    expect(await db.query('SELECT count(*)::int AS pending FROM usage_total_pending')).toEqual([{ pending: 0 }]);
    expect(await db.query(TOTALS)).toEqual(await db.query(EVENT_SUMS));
    await insertEvents([{ at: `${DAY}T01:40:00Z`, quantity: 13 }]);
    expect(await db.query(WITH_PENDING)).toEqual(await db.query(EVENT_SUMS));
    await db.query('SELECT usage_totals_roll()');
    expect(await db.query('SELECT count(*)::int AS pending FROM usage_total_pending')).toEqual([{ pending: 0 }]);
    expect(await db.query(TOTALS)).toEqual(await db.query(EVENT_SUMS));
    await insertEvents([{ at: `${DAY}T03:40:00Z`, quantity: 17 }]);
    await db.query('TRUNCATE usage_event');
    expect(await db.query('SELECT count(*)::int AS pending FROM usage_total_pending')).toEqual([{ pending: 0 }]);
  });

  describe('usage queries and quota seeding over whole and partial hours', () => {
    const service = new UsageQueryService({ hourlyTotals: 'always' });
    const ctx = () => ({
      principal: { apiKeyId: KEY, organizationId: ORGS[0], organizationKind: OrganizationKind.PARTNER, roles: [Role.PARTNER] }, db: db.manager, now: () => new Date(),
    }) as unknown as RequestContext;
    const query = async (from: string, to: string, bucket = UsageBucketSize.HOUR, extra: Partial<UsageFilter> = {}) =>
      (await service.buckets(ctx(), { from: new Date(`${DAY}T${from}Z`), to: new Date(`${DAY}T${to}Z`), ...extra } as UsageFilter, bucket, [UsageGroupBy.MODEL]))
        .map((b) => [b.start.toISOString().slice(11, 16), b.meter, MODELS.indexOf(b.modelId!), Number(b.quantity)]).sort();

    beforeEach(async () => {
      await insertEvents([
        { at: `${DAY}T10:15:00Z`, quantity: 1 }, { at: `${DAY}T10:45:00Z`, quantity: 2 }, { at: `${DAY}T11:30:00Z`, quantity: 4 },
        { at: `${DAY}T12:10:00Z`, quantity: 8 }, { at: `${DAY}T11:40:00Z`, quantity: 16, org: ORGS[1] }, { at: `${DAY}T11:50:00Z`, quantity: 32, model: MODELS[1] },
        { at: `${DAY}T11:20:00Z`, quantity: 64, meter: Meter.INPUT_TOKENS },
      ]);
    });

    it('counts only the events inside a window that cuts hours at both ends', async () => {
      expect(await query('10:30:00', '12:05:00')).toEqual([['10:00', 'REQUESTS', 0, 2], ['11:00', 'INPUT_TOKENS', 0, 64], ['11:00', 'REQUESTS', 0, 4], ['11:00', 'REQUESTS', 1, 32]]);
      expect(await query('10:30:00', '12:05:00', UsageBucketSize.DAY, { meter: Meter.REQUESTS, modelId: toGlobalId('Model', MODELS[0]) })).toEqual([['00:00', 'REQUESTS', 0, 6]]);
    });

    it('answers whole hours, a window inside one hour, and an empty window alike', async () => {
      expect(await query('10:00:00', '13:00:00', UsageBucketSize.HOUR, { meter: Meter.REQUESTS, modelId: toGlobalId('Model', MODELS[0]) }))
        .toEqual([['10:00', 'REQUESTS', 0, 3], ['11:00', 'REQUESTS', 0, 4], ['12:00', 'REQUESTS', 0, 8]]);
      expect(await query('10:20:00', '10:50:00')).toEqual([['10:00', 'REQUESTS', 0, 2]]);
      expect(await query('13:00:00', '14:00:00')).toEqual([]);
    });

    it("gives a quota a subscription's usage over a period that starts and ends mid-hour", async () => {
      const used = await new QuotaGuard(db).usedInPeriod(db, { id: SUBSCRIPTION, organizationId: ORGS[0] },
        { start: new Date(`${DAY}T10:30:00Z`), end: new Date(`${DAY}T12:05:00Z`) });
      expect(Object.fromEntries(used)).toEqual({ REQUESTS: 2n + 4n + 32n, INPUT_TOKENS: 64n });
    });

    it('leaves out an event canceled after it was summed', async () => {
      await db.query(`UPDATE usage_event SET canceled_at = now(), cancel_reason = 'test' WHERE occurred_at = '${DAY}T11:30:00Z'`);
      expect(await query('11:00:00', '12:00:00', UsageBucketSize.HOUR, { meter: Meter.REQUESTS })).toEqual([['11:00', 'REQUESTS', 1, 32]]);
    });
  });
});
