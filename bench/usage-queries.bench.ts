import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../api/context';
import { COMPACTION, hourlyTotalsCompaction, UsageQueryService } from '../api/metering/usage-query.service';
import { createDataSource } from '../migrations/data-source';
import { OrganizationKind } from '../schema/accounts/organization.entity';
import { Role } from '../schema/accounts/role.enum';
import { UsageBucketSize, UsageFilter, UsageGroupBy } from '../schema/metering/metering.inputs';
import { createDatabaseOn } from '../test/support/test-database';
import { percentile, type BenchRow, type BenchSuite } from './bench-suite';

// Usage queries at scale, on PostgreSQL (BENCH_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres; a fresh database is created and dropped):
// millions of events, then each role's usage query through UsageQueryService, timed, with the
// indexes its plan uses.

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY_MS = 86_400_000;
const RUNS = 7;

/** The at-scale usage fixture (see seedUsageAtScale). */
export interface UsageAtScale {
  events: number;
  /** The window the events span: [from, to). */
  from: Date;
  to: Date;
  partnerId: string;
  vendorId: string;
}

const VENDOR_IDS = '00000000-0000-4000-8000-';
const PARTNER_IDS = '00000000-0000-4000-9000-';
const MODEL_IDS = '00000000-0000-4000-a000-';
/** SQL for the fixture uuid `<prefix><n as 12 hex digits>`. */
const fixtureId = (prefix: string, n: string) => `('${prefix}' || lpad(to_hex(${n}), 12, '0'))::uuid`;

/**
 * Usage at scale, written by PostgreSQL itself (generate_series) in time order, as events
 * arrive: 20 vendors with 5 models each, 200 partners, 3 events (one per meter) per call,
 * spread evenly over `days` days ending at the current hour. Each call's model is spread over
 * all 100, or, with `modelsPerPartner`, one of that many models its partner uses.
 */
export async function seedUsageAtScale(db: { query(sql: string, params?: unknown[]): Promise<unknown> }, events: number, days: number, modelsPerPartner?: number): Promise<UsageAtScale> {
  const calls = Math.ceil(events / 3);
  const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - days * 86_400_000);
  await db.query(`INSERT INTO organization (id, name, kind) SELECT ${fixtureId(VENDOR_IDS, 'g')}, 'Vendor ' || g, 'VENDOR' FROM generate_series(1, 20) g`);
  await db.query(`INSERT INTO organization (id, name, kind) SELECT ${fixtureId(PARTNER_IDS, 'g')}, 'Partner ' || g, 'PARTNER' FROM generate_series(1, 200) g`);
  await db.query(`INSERT INTO model (id, organization_id, slug, name, task)
    SELECT ${fixtureId(MODEL_IDS, 'm')}, ${fixtureId(VENDOR_IDS, '(m % 20) + 1')}, 'scale-model-' || m, 'Model ' || m, 'TEXT_CLASSIFICATION' FROM generate_series(1, 100) m`);
  await db.query(
    `INSERT INTO usage_event (id, organization_id, subscription_id, api_key_id, model_id, model_version_id, meter, quantity, occurred_at, idempotency_key)
     SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12))::uuid,
       c.org, md5(c.org::text || c.model::text)::uuid, md5(c.org::text)::uuid, c.model, NULL, m.meter, m.quantity, c.at, '~' || c.n
     FROM (SELECT n, $1::timestamptz + (n * $2::double precision) * interval '1 millisecond' AS at,
             ${fixtureId(PARTNER_IDS, '((n::bigint * 7919) % 200) + 1')} AS org, ${fixtureId(MODEL_IDS, modelsPerPartner ? `(((n::bigint * 7919) % 200) * 7 + n % ${Math.floor(modelsPerPartner)}) % 100 + 1` : '((n::bigint * 104729) % 100) + 1')} AS model
           FROM generate_series(1, $3::int) n) c
     CROSS JOIN (VALUES ('REQUESTS', 1), ('INPUT_TOKENS', 17), ('COMPUTE_MS', 3)) AS m(meter, quantity)
     CROSS JOIN LATERAL (SELECT lpad(to_hex((extract(epoch FROM c.at) * 1000)::bigint), 12, '0') || md5(c.n::text || m.meter) AS h) ids
     ORDER BY c.n`,
    [from.toISOString(), (to.getTime() - from.getTime()) / (calls + 1), calls],
  );
  // NOTE: the steady state autovacuum keeps: statistics, and BRIN ranges summarised; and the state
  // the recorder keeps, which rolls pending totals up a second after a write
  await db.query('SELECT usage_totals_roll()');
  await db.query('VACUUM (ANALYZE) usage_event');
  await db.query('VACUUM (ANALYZE) hourly_usage_total');
  await db.query('VACUUM (ANALYZE) monthly_usage_total');
  await db.query('VACUUM (ANALYZE) usage_total_pending');
  return { events: calls * 3, from, to, partnerId: `${PARTNER_IDS}000000000001`, vendorId: `${VENDOR_IDS}000000000001` };
}

interface QueryCase {
  name: string;
  key: string;
  roles: Role[];
  kind: OrganizationKind;
  organizationId: string;
  filter: UsageFilter;
  bucket: UsageBucketSize;
  groupBy: UsageGroupBy[];
}

/** A context for the usage service whose database handle remembers the last statement (for EXPLAIN). */
function contextFor(db: DataSource, c: QueryCase, statements: Array<{ sql: string; params: unknown[] }>): RequestContext {
  const capturing = { query: (sql: string, params: unknown[]) => (statements.push({ sql, params }), db.manager.query(sql, params)) };
  return { principal: { apiKeyId: '', organizationId: c.organizationId, organizationKind: c.kind, roles: c.roles }, db: capturing, now: () => new Date() } as unknown as RequestContext;
}

/** What an EXPLAIN ANALYZE plan read: index names (or "seq scan"), and the usage events and hourly totals its scans returned. */
function planReads(plan: Record<string, unknown>, into = { access: new Set<string>(), events: 0, totals: 0 }) {
  if (typeof plan['Index Name'] === 'string') into.access.add(plan['Index Name'] as string);
  if (plan['Node Type'] === 'Seq Scan') into.access.add(`seq scan on ${plan['Relation Name']}`);
  const rows = (plan['Actual Rows'] as number) * (plan['Actual Loops'] as number);
  if (plan['Relation Name'] === 'usage_event') into.events += rows;
  if (plan['Relation Name'] === 'hourly_usage_total') into.totals += rows;
  for (const child of (plan.Plans as Array<Record<string, unknown>> | undefined) ?? []) planReads(child, into);
  return into;
}

/** Index name -> a readable `method(columns)`, e.g. `btree(organization_id, occurred_at)`. */
async function indexLabels(db: DataSource): Promise<Map<string, string>> {
  const rows: Array<{ indexname: string; tablename: string; indexdef: string }> = await db.query(
    `SELECT indexname, tablename, indexdef FROM pg_indexes WHERE tablename IN ('usage_event', 'hourly_usage_total')`);
  const short = (table: string) => (table === 'usage_event' ? 'events' : 'totals');
  return new Map(rows.map((r) => [r.indexname, `${short(r.tablename)} ${/USING (\w+) \((.*?)\)/.exec(r.indexdef)?.slice(1).join('(').concat(')') ?? r.indexname}`]));
}

async function timeCase(db: DataSource, service: UsageQueryService, c: QueryCase, labels: Map<string, string>) {
  const statements: Array<{ sql: string; params: unknown[] }> = [];
  const ctx = contextFor(db, c, statements);
  const run = () => service.buckets(ctx, c.filter, c.bucket, c.groupBy);
  const buckets = await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  const last = statements[statements.length - 1];
  const [{ 'QUERY PLAN': [explained] }] = await db.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${last.sql}`, last.params);
  const reads = planReads(explained.Plan);
  return { p50: percentile(times, 50), buckets, eventsRead: reads.events, totalsRead: reads.totals, access: [...reads.access].map((a) => labels.get(a) ?? a).join(' + ') };
}

const bigintAsText = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

function parseArgs(args: string[]) {
  const value = (flag: string, fallback: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
  return { events: value('--events', 3_000_000), days: value('--days', 90), modelsPerPartner: args.includes('--models-per-partner') ? value('--models-per-partner', 0) : undefined };
}

async function run(args: string[]) {
  const { events, days, modelsPerPartner } = parseArgs(args);
  const database = await createDatabaseOn(SERVER_URL, `bench_usage_${process.pid}`);
  const db = createDataSource({ databaseUrl: database.url, poolSize: 2 });
  try {
    await db.initialize();
    await db.runMigrations({ transaction: 'each' });
    const t0 = performance.now();
    const scale = await seedUsageAtScale(db, events, days, modelsPerPartner);
    const seedSeconds = (performance.now() - t0) / 1000;
    // NOTE: windows start mid-hour, as a portal's "last N days" does: the first, partial hour is summed from the events.
    const window = (d: number) => ({ from: new Date(scale.to.getTime() - d * DAY_MS + 30 * 60_000), to: scale.to }) as UsageFilter;
    const partner = { roles: [Role.PARTNER], kind: OrganizationKind.PARTNER, organizationId: scale.partnerId };
    const cases: QueryCase[] = [
      { name: 'partner: 30 days, DAY buckets by model', key: 'partner_30d_day', ...partner, filter: window(30), bucket: UsageBucketSize.DAY, groupBy: [UsageGroupBy.MODEL] },
      { name: 'partner: 7 days, HOUR buckets by API key and subscription', key: 'partner_7d_hour', ...partner, filter: window(7), bucket: UsageBucketSize.HOUR, groupBy: [UsageGroupBy.API_KEY, UsageGroupBy.SUBSCRIPTION] },
      { name: 'vendor: its models, every subscriber, 30 days, DAY by model', key: 'vendor_30d_day', roles: [Role.VENDOR], kind: OrganizationKind.VENDOR, organizationId: scale.vendorId, filter: window(30), bucket: UsageBucketSize.DAY, groupBy: [UsageGroupBy.MODEL] },
      { name: 'admin: everyone, 30 days, DAY by model', key: 'admin_30d_day', roles: [Role.ADMIN], kind: OrganizationKind.PARTNER, organizationId: scale.partnerId, filter: window(30), bucket: UsageBucketSize.DAY, groupBy: [UsageGroupBy.MODEL] },
      { name: 'admin: everyone, 1 day, HOUR by model', key: 'admin_1d_hour', roles: [Role.ADMIN], kind: OrganizationKind.PARTNER, organizationId: scale.partnerId, filter: window(1), bucket: UsageBucketSize.HOUR, groupBy: [UsageGroupBy.MODEL] },
    ];
    const service = new UsageQueryService({ hourlyTotals: 'always' });
    const eventsOnly = new UsageQueryService({ hourlyTotals: 'never' });
    const compaction = await hourlyTotalsCompaction(db);
    const labels = await indexLabels(db);
    const results = [];
    for (const c of cases) {
      const reference = await timeCase(db, eventsOnly, c, labels);
      const measured = await timeCase(db, service, c, labels);
      const same = (a: unknown, b: unknown) => JSON.stringify(a, bigintAsText) === JSON.stringify(b, bigintAsText);
      if (!same(measured.buckets, reference.buckets)) throw new Error(`${c.name}: the hourly totals disagree with the events`);
      results.push({ c, ...measured, referenceP50: reference.p50, referenceEvents: reference.eventsRead, referenceAccess: reference.access });
    }
    const rows: BenchRow[] = results.flatMap((r) => [
      { query: r.c.name, reads: 'hourly totals + edge events', p50_ms: r.p50, rows_read: r.totalsRead + r.eventsRead, buckets: r.buckets.length, plan_reads: r.access },
      { query: '', reads: 'events only (reference)', p50_ms: r.referenceP50, rows_read: r.referenceEvents, buckets: r.buckets.length, plan_reads: r.referenceAccess },
    ]);
    return {
      title: `Usage queries: ${scale.events.toLocaleString('en')} events over ${days} days (200 partners${modelsPerPartner ? ` using ${modelsPerPartner} models each` : ''}, 20 vendors x 5 models), PostgreSQL; p50 of ${RUNS} runs each`,
      rows,
      notes: [
        `\nevents written by generate_series in time order in ${seedSeconds.toFixed(0)} s (the hourly totals kept by their triggers), then VACUUM (ANALYZE) as autovacuum would.`,
        'rows_read: hourly totals and events the plan returned; windows end at the current hour and start mid-hour, so each query also sums the events of its first, partial hour.',
        'events only: the same query summing events alone (UsageQueryService hourlyTotals: never); both give the same buckets (checked).',
        `${compaction.toFixed(1)} events per hourly total row: the server's default (when-compact) reads ${compaction >= COMPACTION ? 'the hourly totals' : 'the events only'} here (totals from ${COMPACTION} events a row).`,
      ],
      result: {
        events: scale.events,
        days,
        events_per_hourly_total: Number(compaction.toFixed(2)),
        ...Object.fromEntries(results.map((r) => [`${r.c.key}_p50_ms`, Number(r.p50.toFixed(2))])),
        ...Object.fromEntries(results.map((r) => [`${r.c.key}_events_only_p50_ms`, Number(r.referenceP50.toFixed(2))])),
      },
    };
  } finally {
    if (db.isInitialized) await db.destroy();
    await database.drop();
  }
}

/** The usage-queries suite for `npm run bench -- usage-queries`. */
export const benchSuite: BenchSuite = {
  name: 'usage-queries',
  description: "each role's usage query over millions of events: time, events read, indexes used",
  run,
};
