import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SeededRandom } from '../../inference';
import { BilledUsageQuery } from '../../api/billing/billed-usage.query';
import { Meter } from '../../schema/metering/meter.enum';
import { createMigratedDataSource } from '../support/test-database';

// The monthly usage totals (MonthlyUsageTotal), which closing a period and previewing the open
// one read, against the events they sum, through every kind of write to usage_event: inserts
// (months apart, a month's last and first millisecond), retries, cancellations, corrected
// quantities, deletes and TRUNCATE. Events without a subscription are not billable and not summed.

const ORGS = [randomUUID(), randomUUID()];
const MODELS = [randomUUID(), randomUUID()];
const SUBSCRIPTIONS = [randomUUID(), randomUUID(), randomUUID()];
const METERS = [Meter.REQUESTS, Meter.INPUT_TOKENS, Meter.COMPUTE_MS];
const OCTOBER = { start: new Date('2026-10-01T00:00:00.000Z'), end: new Date('2026-11-01T00:00:00.000Z') };

const EVENT_SUMS = `SELECT date_trunc('month', occurred_at, 'UTC') AS month, organization_id, subscription_id, model_id, meter, sum(quantity)::text AS quantity, count(*)::int AS events
  FROM usage_event WHERE canceled_at IS NULL AND subscription_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`;
const TOTALS = `SELECT month, organization_id, subscription_id, model_id, meter, quantity::text AS quantity, events
  FROM monthly_usage_total WHERE events > 0 ORDER BY 1, 2, 3, 4, 5`;

describe('monthly usage totals', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await createMigratedDataSource());
  });
  afterAll(async () => close?.());

  it('equal the sums of the billable events that count, whatever writes them', async () => {
    const random = new SeededRandom(7);
    const pick = <T>(items: T[]) => items[Math.floor(random.next() * items.length)];
    const edges = ['2026-09-30T23:59:59.999Z', '2026-10-01T00:00:00.000Z', '2026-10-31T23:59:59.999Z', '2026-11-01T00:00:00.000Z'];
    const events = Array.from({ length: 300 }, (_, i) => [
      pick(ORGS), pick(MODELS), random.next() < 0.2 ? null : pick(SUBSCRIPTIONS), pick(METERS), 1 + Math.floor(random.next() * 50),
      i < edges.length ? edges[i] : new Date(Date.parse('2026-09-20T00:00:00Z') + Math.floor(random.next() * 50 * 86_400_000)).toISOString(), `call-${i}`,
    ]);
    const insert = (rows: unknown[][], onConflict = '') => db.query(
      `INSERT INTO usage_event (organization_id, model_id, subscription_id, meter, quantity, occurred_at, idempotency_key)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[]) ${onConflict}`,
      rows[0].map((_, col) => rows.map((row) => row[col])));
    await insert(events.slice(0, 150));
    await insert(events.slice(150));
    await insert(events.slice(0, 40).map((e) => [...e.slice(0, 4), 999, ...e.slice(5)]), 'ON CONFLICT DO NOTHING'); // retries add nothing
    // NOTE: inserts are pending until rolled up (usage-totals-pending migration); billing reads them with the totals.
    const billed = async () => (await new BilledUsageQuery().sums(db.manager, { period: OCTOBER, organizationIds: null, windows: [] }))
      .map((r) => [r.organizationId, r.subscriptionId, r.modelId, r.meter, r.quantity.toString()].join(' ')).sort();
    const octoberEvents = async () => (await db.query(`SELECT organization_id, subscription_id, model_id, meter, sum(quantity)::text AS quantity FROM usage_event
      WHERE canceled_at IS NULL AND subscription_id IS NOT NULL AND occurred_at >= $1 AND occurred_at < $2 GROUP BY 1, 2, 3, 4`, [OCTOBER.start, OCTOBER.end]))
      .map((r: any) => [r.organization_id, r.subscription_id, r.model_id, r.meter, r.quantity].join(' ')).sort();
    const [{ pending }] = await db.query('SELECT count(*)::int AS pending FROM usage_total_pending');
    expect(pending).toBeGreaterThan(0);
    expect((await octoberEvents()).length).toBeGreaterThan(5);
    expect(await billed()).toEqual(await octoberEvents());
    const keys = (from: number, to: number) => events.slice(from, to).map((e) => e[6]);
    await db.query(`UPDATE usage_event SET canceled_at = now(), cancel_reason = 'test' WHERE idempotency_key = ANY($1)`, [keys(60, 90)]);
    await db.query(`UPDATE usage_event SET quantity = quantity + 3 WHERE idempotency_key = ANY($1)`, [keys(80, 120)]);
    await db.query(`UPDATE usage_event SET occurred_at = occurred_at + interval '20 days' WHERE idempotency_key = ANY($1)`, [keys(120, 140)]); // moved across a month
    await db.query(`DELETE FROM usage_event WHERE idempotency_key = ANY($1)`, [keys(140, 160)]);

    expect(await billed()).toEqual(await octoberEvents());
    const sums = await db.query(EVENT_SUMS);
    expect(sums.length).toBeGreaterThan(20);
    expect(new Set(sums.map((s: any) => new Date(s.month).toISOString()))).toEqual(new Set(['2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z']));
    expect(await db.query(TOTALS)).toEqual(sums);
    const [{ left }] = await db.query(`SELECT count(*)::int AS left FROM monthly_usage_total WHERE events = 0 AND quantity <> 0`);
    expect(left).toBe(0);

    await db.query('TRUNCATE usage_event');
    expect(await db.query('SELECT * FROM monthly_usage_total')).toEqual([]);
  });
});
