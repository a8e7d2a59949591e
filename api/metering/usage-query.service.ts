import { UsageBucketSize, UsageFilter, UsageGroupBy } from '../../schema/metering/metering.inputs';
import { UsageBucket } from '../../schema/metering/metering.payloads';
import { Meter } from '../../schema/metering/meter.enum';
import { RequestContext } from '../context';
import { badUserInput } from '../common/errors';
import { countedUsageRows } from './counted-usage';
import { filterIdOrThrow, scopeCondition, usageScope } from './usage-scope';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** NOTE: at most 31 days of HOUR buckets or 366 days of DAY buckets per query. */
const MAX_SPAN_MS: Record<UsageBucketSize, number> = { [UsageBucketSize.HOUR]: 31 * DAY_MS, [UsageBucketSize.DAY]: 366 * DAY_MS };
const WIDTH_MS: Record<UsageBucketSize, number> = { [UsageBucketSize.HOUR]: HOUR_MS, [UsageBucketSize.DAY]: DAY_MS };
/**
 * Bucket start per row (an event, or an hour's total): `date_bin` from a UTC midnight, i.e. UTC
 * hours and days whatever the session's time zone. NOTE: about twice as fast per row as
 * date_trunc(unit, ts, 'UTC'), which converts time zones; measured over a million events.
 */
const bucketStart = (bucket: UsageBucketSize) => `date_bin(interval '${WIDTH_MS[bucket]} milliseconds', r.at, timestamptz '2000-01-01T00:00:00Z')`;
const GROUP_COLUMNS: Partial<Record<UsageGroupBy, string>> = {
  [UsageGroupBy.MODEL]: 'model_id', [UsageGroupBy.API_KEY]: 'api_key_id', [UsageGroupBy.SUBSCRIPTION]: 'subscription_id',
};

interface BucketRow {
  start: Date;
  meter: Meter;
  quantity: string;
  model_id?: string | null;
  api_key_id?: string | null;
  subscription_id?: string | null;
}


function checkWindow(filter: UsageFilter, bucket: UsageBucketSize): void {
  if (!(filter.from < filter.to)) throw badUserInput('filter.from must be before filter.to', { field: 'filter.from' });
  if (filter.to.getTime() - filter.from.getTime() > MAX_SPAN_MS[bucket]) {
    throw badUserInput(`${bucket} buckets cover at most ${MAX_SPAN_MS[bucket] / DAY_MS} days; narrow from/to or use DAY buckets`, { field: 'filter.to' });
  }
}

/**
 * When usage queries read the hourly totals: `always`, `never` (benchmarks: the reference), or
 * `when-compact` (default): while the totals hold at least {@link COMPACTION} times fewer rows
 * than the events, by the planner's row estimates (rechecked every minute). Where each key sees
 * about one call an hour, the totals are as many rows as the events and reading them gains nothing.
 */
export type HourlyTotalsUse = 'always' | 'never' | 'when-compact';
export const COMPACTION = 2;
const RECHECK_MS = 60_000;

/** Events per hourly total row, by the planner's row estimates (0 while the totals are empty or not yet analysed). */
export async function hourlyTotalsCompaction(db: { query(sql: string): Promise<any[]> }): Promise<number> {
  const [row]: Array<{ events: number; totals: number }> = await db.query(`SELECT
    (SELECT reltuples FROM pg_class WHERE oid = 'usage_event'::regclass)::float8 AS events,
    (SELECT reltuples FROM pg_class WHERE oid = 'hourly_usage_total'::regclass)::float8 AS totals`);
  return row.totals > 0 ? Math.max(0, row.events) / row.totals : 0;
}

/**
 * Usage aggregated in SQL: sums per UTC hour or day, per meter and the grouped dimensions,
 * canceled events excluded, within the caller's scope (see usageScope).
 *
 * NOTE: the whole hours of the window can be read from the hourly totals (kept in step with the
 * events by triggers, see HourlyUsageTotal), and then only the partial hours at its edges from
 * the events: on a busy platform a month is thousands of rows instead of millions of events.
 */
export class UsageQueryService {
  private compact = { value: false, checkedAt: -Infinity };

  constructor(private readonly options: { hourlyTotals: HourlyTotalsUse } = { hourlyTotals: 'when-compact' }) {}

  private async readsHourlyTotals(ctx: RequestContext): Promise<boolean> {
    if (this.options.hourlyTotals !== 'when-compact') return this.options.hourlyTotals === 'always';
    if (Date.now() - this.compact.checkedAt < RECHECK_MS) return this.compact.value;
    this.compact = { value: (await hourlyTotalsCompaction(ctx.db)) >= COMPACTION, checkedAt: Date.now() };
    return this.compact.value;
  }

  async buckets(ctx: RequestContext, filter: UsageFilter, bucket: UsageBucketSize, groupBy: UsageGroupBy[]): Promise<UsageBucket[]> {
    checkWindow(filter, bucket);
    const scope = await usageScope(ctx, ctx.db);
    const modelId = filterIdOrThrow(filter.modelId, 'Model', 'filter.modelId');
    const subscriptionId = filterIdOrThrow(filter.subscriptionId, 'Subscription', 'filter.subscriptionId');
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    /** The filter and the caller's scope as conditions on `alias`. */
    const narrowed = (alias: string) => {
      const where = [scopeCondition(scope, alias, params)];
      if (modelId) where.push(`${alias}.model_id = ${param(modelId)}`);
      if (subscriptionId) where.push(`${alias}.subscription_id = ${param(subscriptionId)}`);
      if (filter.meter) where.push(`${alias}.meter = ${param(filter.meter)}`);
      return where.join(' AND ');
    };
    const grouped = [...new Set(groupBy)].flatMap((g) => (GROUP_COLUMNS[g] ? [GROUP_COLUMNS[g]!] : []));
    const rowsSql = countedUsageRows({ from: filter.from, to: filter.to, where: narrowed, columns: grouped, readHourlyTotals: await this.readsHourlyTotals(ctx) }, params);
    const keys = ['1', 'r.meter', ...grouped.map((c) => `r.${c}`)].join(', ');
    const rows: BucketRow[] = await ctx.db.query(
      `SELECT ${bucketStart(bucket)} AS start, r.meter${grouped.map((c) => `, r.${c}`).join('')}, SUM(r.quantity)::text AS quantity
       FROM (${rowsSql}) r GROUP BY ${keys} ORDER BY ${keys}`,
      params,
    );
    return rows.map((r) => ({
      start: new Date(r.start), end: new Date(new Date(r.start).getTime() + WIDTH_MS[bucket]), meter: r.meter, quantity: BigInt(r.quantity),
      modelId: r.model_id ?? null, apiKeyId: r.api_key_id ?? null, subscriptionId: r.subscription_id ?? null,
    }));
  }
}
