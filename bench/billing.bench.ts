import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../api/context';
import { BilledUsageQuery } from '../api/billing/billed-usage.query';
import { DraftWriter } from '../api/billing/draft-writer';
import { InvoiceDrafts } from '../api/billing/invoice-drafts';
import { PeriodCloseService } from '../api/billing/period-close.service';
import { ReconciliationService } from '../api/billing/reconciliation.service';
import { createDataSource } from '../migrations/data-source';
import { createDatabaseOn } from '../test/support/test-database';
import { percentile, type BenchRow, type BenchSuite } from './bench-suite';

// Closing a billing period at scale, on PostgreSQL (BENCH_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres; a fresh database is created and dropped):
// 1,000 organisations with 2,000 subscriptions and 1,000,000 usage events in October 2026,
// written by generate_series; then the close (every draft invoice), against a bare GROUP BY over
// the same events, the reconciliation of every invoice, and the preview of one organisation
// with 10,000 events in the open period.

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PERIOD = { start: new Date('2026-10-01T00:00:00.000Z'), end: new Date('2026-11-01T00:00:00.000Z') };
const ORGS = 1000;
const SUBSCRIPTIONS = 2000;
const MODELS = 10;
/** BILLING_BENCH_SCALE=0.01 for a quick check of the suite itself (10,000 events). */
const EVENTS = Math.round(1_000_000 * Number(process.env.BILLING_BENCH_SCALE ?? 1));
const PREVIEW_EVENTS = 10_000;
const CLOSE_RUNS = 3;
const PREVIEW_RUNS = 60;

const id = (prefix: string, n: string) => `('${prefix}' || lpad(to_hex(${n}), 12, '0'))::uuid`;
const VENDOR = '00000000-0000-4000-8000-000000000001';
const [ORG, MODEL, PLAN, SUB] = ['00000000-0000-4000-9000-', '00000000-0000-4000-a000-', '00000000-0000-4000-b000-', '00000000-0000-4000-c000-'];
const PREVIEW_ORG = `${ORG}${(ORGS + 1).toString(16).padStart(12, '0')}`;

/** The fixture: one vendor's 10 models with a plan each (all four pricings), 1,000 partners with 2 subscriptions each, events in time order. */
async function seed(db: DataSource): Promise<void> {
  await db.query(`INSERT INTO organization (id, name, kind) VALUES ('${VENDOR}', 'Bench vendor', 'VENDOR')`);
  await db.query(`INSERT INTO organization (id, name, kind) SELECT ${id(ORG, 'g')}, 'Partner ' || g, 'PARTNER' FROM generate_series(1, ${ORGS + 1}) g`);
  await db.query(`INSERT INTO model (id, organization_id, slug, name, task) SELECT ${id(MODEL, 'm')}, '${VENDOR}', 'bench-' || m, 'Model ' || m, 'TEXT_CLASSIFICATION' FROM generate_series(1, ${MODELS}) m`);
  await db.query(`INSERT INTO plan (id, model_id, name, currency, flat_fee_minor, limits)
    SELECT ${id(PLAN, 'm')}, ${id(MODEL, 'm')}, 'Bench', 'USD', 4900, '{"requestsPerMinute": null, "monthlyCaps": []}' FROM generate_series(1, ${MODELS}) m`);
  await db.query(`INSERT INTO plan_charge (plan_id, meter, pricing, unit_price, tiers, package_size, free_units, position)
    SELECT ${id(PLAN, 'm')}, c.meter, c.pricing, c.unit_price::numeric, c.tiers::jsonb, c.package_size::bigint, c.free_units, c.position FROM generate_series(1, ${MODELS}) m
    CROSS JOIN (VALUES ('REQUESTS', 'STANDARD', '0.002', '[]', NULL, 100, 0),
      ('INPUT_TOKENS', 'PACKAGE', '0.01', '[]', 1000, 0, 1),
      ('COMPUTE_MS', 'GRADUATED', NULL, '[{"upTo": "1000", "unitPrice": "0"}, {"upTo": "100000", "unitPrice": "0.00001"}, {"upTo": null, "unitPrice": "0.000005"}]', NULL, 0, 2))
      AS c(meter, pricing, unit_price, tiers, package_size, free_units, position)`);
  await db.query(`INSERT INTO subscription (id, organization_id, plan_id, model_id, status, started_at)
    SELECT ${id(SUB, 's')}, ${id(ORG, '(s - 1) / 2 + 1')}, ${id(PLAN, '(s % 10) + 1')}, ${id(MODEL, '(s % 10) + 1')}, 'ACTIVE', '2026-09-15T00:00:00Z'
    FROM generate_series(1, ${SUBSCRIPTIONS}) s`);
  await db.query(`INSERT INTO subscription (id, organization_id, plan_id, model_id, status, started_at)
    VALUES (${id(SUB, String(SUBSCRIPTIONS + 1))}, '${PREVIEW_ORG}', ${id(PLAN, '1')}, ${id(MODEL, '1')}, 'ACTIVE', '2026-09-15T00:00:00Z')`);
  const calls = Math.ceil(EVENTS / 3);
  await db.query(`INSERT INTO usage_event (organization_id, subscription_id, model_id, meter, quantity, occurred_at, idempotency_key)
    SELECT ${id(ORG, '(c.s - 1) / 2 + 1')}, ${id(SUB, 'c.s')}, ${id(MODEL, '(c.s % 10) + 1')}, m.meter,
      CASE m.meter WHEN 'REQUESTS' THEN 1 WHEN 'INPUT_TOKENS' THEN 17 + c.n % 13 ELSE 3 + c.n % 7 END, c.at, '~b' || c.n
    FROM (SELECT n, ((n::bigint * 7919) % ${SUBSCRIPTIONS}) + 1 AS s, $1::timestamptz + (n * $2::double precision) * interval '1 millisecond' AS at FROM generate_series(1, $3::int) n) c
    CROSS JOIN (VALUES ('REQUESTS'), ('INPUT_TOKENS'), ('COMPUTE_MS')) AS m(meter)
    ORDER BY c.n`, [PERIOD.start.toISOString(), (PERIOD.end.getTime() - PERIOD.start.getTime()) / (calls + 1), calls]);
  // the preview organisation: 10,000 events in the open period, up to now
  const now = Date.now();
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  const previewCalls = Math.ceil(PREVIEW_EVENTS / 3);
  await db.query(`INSERT INTO usage_event (organization_id, subscription_id, model_id, meter, quantity, occurred_at, idempotency_key)
    SELECT '${PREVIEW_ORG}', ${id(SUB, String(SUBSCRIPTIONS + 1))}, ${id(MODEL, '1')}, m.meter, 1 + n % 5, $1::timestamptz + (n * $2::double precision) * interval '1 millisecond', '~p' || n
    FROM generate_series(1, $3::int) n CROSS JOIN (VALUES ('REQUESTS'), ('INPUT_TOKENS'), ('COMPUTE_MS')) AS m(meter) ORDER BY n`,
  [new Date(monthStart).toISOString(), (now - monthStart) / (previewCalls + 1), previewCalls]);
  // a period closes after its grace period, by when the recorder (a second after each write) has
  // rolled the pending totals up: the close reads the month's totals, not a million pending sums
  await db.query('SELECT usage_totals_roll()');
  await db.query('VACUUM (ANALYZE) usage_event');
  await db.query('VACUUM (ANALYZE) hourly_usage_total');
  await db.query('VACUUM (ANALYZE) monthly_usage_total');
  await db.query('VACUUM (ANALYZE) usage_total_pending');
  await db.query('ANALYZE');
}

function contextOf(db: DataSource, now: () => Date): RequestContext {
  return { principal: null, db: db.manager, now, requestId: 'bench' } as unknown as RequestContext;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, (performance.now() - started) / 1000];
}

export const benchSuite: BenchSuite = {
  name: 'billing',
  description: 'Close a period of 1,000 orgs / 2,000 subscriptions / 1,000,000 events; reconcile; preview',
  async run() {
    const database = await createDatabaseOn(SERVER_URL, `bench_billing_${process.pid}`);
    const db = createDataSource({ databaseUrl: database.url, poolSize: 4 });
    try {
      await db.initialize();
      await db.runMigrations({ transaction: 'each' });
      const [, seedSeconds] = await timed(() => seed(db));
      const [{ events }] = await db.query(`SELECT count(*)::int AS events FROM usage_event WHERE occurred_at >= $1 AND occurred_at < $2`, [PERIOD.start, PERIOD.end]);
      const close = new PeriodCloseService(new InvoiceDrafts(new BilledUsageQuery()), new DraftWriter({ gracePeriodSeconds: 3600 }));
      const ctx = contextOf(db, () => new Date('2026-11-01T00:05:00.000Z'));
      const bare = () => db.query(`SELECT organization_id, subscription_id, meter, sum(quantity) FROM usage_event
        WHERE occurred_at >= $1 AND occurred_at < $2 AND canceled_at IS NULL GROUP BY organization_id, subscription_id, meter`, [PERIOD.start, PERIOD.end]);
      const bareTimes: number[] = [];
      const closeTimes: number[] = [];
      let created = 0;
      for (let run = 0; run < CLOSE_RUNS; run++) {
        bareTimes.push((await timed(bare))[1]);
        if (run > 0) await db.query(`DELETE FROM invoice WHERE period_start = $1`, [PERIOD.start]);
        const [outcome, seconds] = await timed(() => close.close(ctx, PERIOD.end));
        if (!outcome.value) throw new Error(outcome.userErrors.map((e) => e.message).join('; '));
        created = outcome.value.created;
        closeTimes.push(seconds);
      }
      const [{ lines }] = await db.query(`SELECT count(*)::int AS lines FROM invoice_line`);
      const bareSeconds = percentile(bareTimes, 50);
      const closeSeconds = percentile(closeTimes, 50);
      const [reconciled, reconcileSeconds] = await timed(() => new ReconciliationService().reconcilePeriod(ctx, PERIOD.start));
      const previewCtx = contextOf(db, () => new Date());
      const previewTimes: number[] = [];
      let previewLines = 0;
      for (let i = 0; i < PREVIEW_RUNS; i++) {
        const started = performance.now();
        const drafts = await close.preview(previewCtx, PREVIEW_ORG);
        previewTimes.push(performance.now() - started);
        previewLines = drafts.reduce((a, d) => a + d.lines.length, 0);
      }
      const previewTimesWarm = previewTimes.slice(5);
      const result = {
        events, organizations: ORGS, subscriptions: SUBSCRIPTIONS, invoices: created, lines,
        close_s: Number(closeSeconds.toFixed(3)), close_events_per_s: Math.round(events / closeSeconds),
        bare_aggregate_s: Number(bareSeconds.toFixed(3)), close_vs_bare_aggregate: Number((bareSeconds / closeSeconds).toFixed(3)),
        reconcile_all_s: Number(reconcileSeconds.toFixed(3)), reconciled: reconciled.ok && reconciled.invoices === created,
        preview_events: PREVIEW_EVENTS, preview_lines: previewLines, preview_p50_ms: Number(percentile(previewTimesWarm, 50).toFixed(2)), preview_p95_ms: Number(percentile(previewTimesWarm, 95).toFixed(2)),
        seed_s: Number(seedSeconds.toFixed(1)),
      };
      const rows: BenchRow[] = [
        { measure: 'close (every draft invoice)', seconds: result.close_s, figure: `${result.close_events_per_s} events/s`, target: '>= 1,000,000 events/s' },
        { measure: 'bare GROUP BY, same events', seconds: result.bare_aggregate_s, figure: `close_vs_bare ${result.close_vs_bare_aggregate}`, target: '>= 0.7' },
        { measure: 'reconcile every invoice', seconds: result.reconcile_all_s, figure: `reconciled ${result.reconciled}`, target: 'true' },
        { measure: `preview, one org, ${PREVIEW_EVENTS} events`, seconds: Number((result.preview_p95_ms / 1000).toFixed(4)), figure: `p95 ${result.preview_p95_ms} ms`, target: '<= 20 ms' },
      ];
      return {
        title: `Billing close: ${ORGS} organisations, ${SUBSCRIPTIONS} subscriptions, ${events} events (${created} invoices, ${lines} lines)`,
        rows,
        notes: [`close and bare aggregate: median of ${CLOSE_RUNS} runs each, interleaved; preview: ${PREVIEW_RUNS} runs, the first 5 dropped`],
        result,
      };
    } finally {
      if (db.isInitialized) await db.destroy();
      if (!process.env.BILLING_BENCH_KEEP) await database.drop();
    }
  },
};
