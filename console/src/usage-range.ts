/**
 * Usage ranges and series, all in UTC: the window a user picks (a preset or two dates), the
 * bucket starts it covers, and the API's buckets laid out per model on those starts. Quantities
 * stay BigInt here; only the chart turns them into numbers (uPlot draws numbers).
 */

export type Bucket = 'DAY' | 'HOUR';
export type Meter = 'REQUESTS' | 'INPUT_TOKENS' | 'COMPUTE_MS' | 'TRAINING_STEPS';
export const METERS: Meter[] = ['REQUESTS', 'INPUT_TOKENS', 'COMPUTE_MS', 'TRAINING_STEPS'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The API's widest windows (api/metering/usage-query.service.ts): 31 days of hours, 366 of days. */
export const MAX_SPAN_DAYS: Record<Bucket, number> = { HOUR: 31, DAY: 366 };

/** A window [from, to) and its bucket width. */
export interface UsageWindow {
  from: Date;
  to: Date;
  bucket: Bucket;
}

export type Preset = '24h' | '7d' | '30d';
export const PRESETS: Array<{ id: Preset; label: string }> = [
  { id: '24h', label: 'Last 24 hours (hourly)' },
  { id: '7d', label: 'Last 7 days (daily)' },
  { id: '30d', label: 'Last 30 days (daily)' },
];

/** The window of a preset ending with the current UTC hour (24h) or day (7d, 30d). */
export function presetWindow(preset: Preset, now: Date): UsageWindow {
  if (preset === '24h') {
    const to = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
    return { from: new Date(to.getTime() - 24 * HOUR_MS), to, bucket: 'HOUR' };
  }
  const days = preset === '7d' ? 7 : 30;
  const to = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
  return { from: new Date(to.getTime() - days * DAY_MS), to, bucket: 'DAY' };
}

/** "2026-12-01" of a Date, in UTC. */
export function utcDateString(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The window of two UTC dates, both inclusive ("2026-11-01".."2026-11-30" is 30 days), or a
 * message naming what is wrong with them.
 */
export function customWindow(fromDate: string, toDate: string, bucket: Bucket): UsageWindow | { error: string } {
  const valid = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  if (!valid(fromDate)) return { error: `"From" is not a date (YYYY-MM-DD): "${fromDate}"` };
  if (!valid(toDate)) return { error: `"To" is not a date (YYYY-MM-DD): "${toDate}"` };
  const from = new Date(`${fromDate}T00:00:00Z`);
  const to = new Date(Date.parse(`${toDate}T00:00:00Z`) + DAY_MS);
  if (from >= to) return { error: '"From" must be on or before "To"' };
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  if (days > MAX_SPAN_DAYS[bucket]) {
    return { error: `${bucket === 'HOUR' ? 'Hourly' : 'Daily'} usage covers at most ${MAX_SPAN_DAYS[bucket]} days; this range has ${days}` };
  }
  return { from, to, bucket };
}

/** The start of every bucket of the window, in ms since the epoch. */
export function bucketStarts(window: UsageWindow): number[] {
  const width = window.bucket === 'HOUR' ? HOUR_MS : DAY_MS;
  const starts: number[] = [];
  for (let t = window.from.getTime(); t < window.to.getTime(); t += width) starts.push(t);
  return starts;
}

/** One bucket as the API returns it (grouped by MODEL and METER). */
export interface ApiUsageBucket {
  start: string;
  meter: Meter;
  quantity: string;
  model: { id: string; slug: string; name: string } | null;
}

/** The usage of one meter laid out on the window's bucket starts: one row of quantities per model. */
export interface UsageSeries {
  starts: number[];
  series: Array<{ label: string; quantities: bigint[] }>;
  totals: bigint[];
  /** Sum over the whole window and every model. */
  total: bigint;
}

/** Lays `buckets` of `meter` out per model (by slug; "(no model)" when none) on the window's starts. */
export function seriesOf(buckets: ApiUsageBucket[], meter: Meter, window: UsageWindow): UsageSeries {
  const starts = bucketStarts(window);
  const index = new Map(starts.map((start, i) => [start, i]));
  const byModel = new Map<string, bigint[]>();
  for (const bucket of buckets) {
    if (bucket.meter !== meter) continue;
    const i = index.get(Date.parse(bucket.start));
    if (i === undefined) continue;
    const label = bucket.model?.slug ?? '(no model)';
    const row = byModel.get(label) ?? byModel.set(label, starts.map(() => 0n)).get(label)!;
    row[i] += BigInt(bucket.quantity);
  }
  const series = [...byModel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([label, quantities]) => ({ label, quantities }));
  const totals = starts.map((_, i) => series.reduce((sum, s) => sum + s.quantities[i], 0n));
  return { starts, series, totals, total: totals.reduce((a, b) => a + b, 0n) };
}

/** A bucket start as the table shows it: "2026-12-01" (DAY) or "2026-12-01 14:00" (HOUR), UTC. */
export function bucketLabel(start: number, bucket: Bucket): string {
  const iso = new Date(start).toISOString();
  return bucket === 'DAY' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}
