import { NO_ID } from '../../schema/metering/hourly-usage-total.entity';

const HOUR_MS = 3_600_000;
const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
const ceilHour = (t: number) => Math.ceil(t / HOUR_MS) * HOUR_MS;

/** What {@link countedUsageRows} selects. */
export interface CountedUsageQuery {
  from: Date;
  to: Date;
  /** Conditions on the rows' `organization_id, model_id, subscription_id, meter` under `alias` (parameters appended to `params`). */
  where: (alias: string) => string;
  /** Key columns to carry besides `at` and `meter`: `model_id`, `api_key_id`, `subscription_id`. */
  columns: string[];
  /** Read whole hours from the hourly totals (else every row from the events). */
  readHourlyTotals: boolean;
}

/**
 * SQL for the usage that counts within [from, to) as rows `at, meter, <columns>, quantity`,
 * parameters appended to `params`: the whole hours of the window from the hourly totals (see
 * HourlyUsageTotal; NULL ids given back as NULL) and the inserts still pending for them, the partial hours at its edges from the
 * events, canceled events left out of both. Callers aggregate the rows as they need.
 */
export function countedUsageRows(query: CountedUsageQuery, params: unknown[]): string {
  const param = (value: unknown) => `$${params.push(value)}`;
  const [from, to] = [query.from.getTime(), query.to.getTime()];
  let [wholeFrom, wholeTo] = [ceilHour(from), floorHour(to)];
  if (wholeFrom >= wholeTo || !query.readHourlyTotals) [wholeFrom, wholeTo] = [to, to];
  const parts: string[] = [];
  const fromEvents = (range: string) => `SELECT e.occurred_at AS at, e.meter${query.columns.map((c) => `, e.${c}`).join('')}, e.quantity FROM usage_event e
      WHERE ${range} AND e.canceled_at IS NULL AND ${query.where('e')}`;
  const events = (start: number, end: number) => {
    if (start < end) parts.push(fromEvents(`e.occurred_at >= ${param(new Date(start).toISOString())} AND e.occurred_at < ${param(new Date(end).toISOString())}`));
  };
  events(from, wholeFrom);
  if (wholeFrom < wholeTo) {
    const column = (a: string, c: string) => (c === 'model_id' ? `${a}.model_id` : `NULLIF(${a}.${c}, '${NO_ID}'::uuid) AS ${c}`);
    const [start, end] = [param(new Date(wholeFrom).toISOString()), param(new Date(wholeTo).toISOString())];
    const hours = (table: string, a: string, counted: string) => `SELECT ${a}.hour AS at, ${a}.meter${query.columns.map((c) => `, ${column(a, c)}`).join('')}, ${a}.quantity
      FROM ${table} ${a} WHERE ${a}.hour >= ${start} AND ${a}.hour < ${end}${counted} AND ${query.where(a)}`;
    parts.push(hours('hourly_usage_total', 'h', ' AND h.events > 0'));
    // NOTE: inserted events not yet rolled into the totals (see the usage-totals-pending migration): the
    // roll-up deletes them here as it adds them there, in one statement, so this statement counts each once.
    parts.push(hours('usage_total_pending', 'p', ''));
  }
  events(wholeTo, to);
  // NOTE: an empty window still yields a (rowless) select, so callers need no special case.
  if (parts.length === 0) parts.push(fromEvents('FALSE'));
  return parts.join(' UNION ALL ');
}
