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
 * HourlyUsageTotal; NULL ids given back as NULL), the partial hours at its edges from the
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
    const column = (c: string) => (c === 'model_id' ? 'h.model_id' : `NULLIF(h.${c}, '${NO_ID}'::uuid) AS ${c}`);
    parts.push(`SELECT h.hour AS at, h.meter${query.columns.map((c) => `, ${column(c)}`).join('')}, h.quantity FROM hourly_usage_total h
      WHERE h.hour >= ${param(new Date(wholeFrom).toISOString())} AND h.hour < ${param(new Date(wholeTo).toISOString())} AND h.events > 0 AND ${query.where('h')}`);
  }
  events(wholeTo, to);
  // NOTE: an empty window still yields a (rowless) select, so callers need no special case.
  if (parts.length === 0) parts.push(fromEvents('FALSE'));
  return parts.join(' UNION ALL ');
}
