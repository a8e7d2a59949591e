import { performance } from 'node:perf_hooks';

/** One row of a suite's table: column -> value. */
export type BenchRow = Record<string, string | number | boolean>;

/** What a suite reports: a readable table plus one machine-readable result object. */
export interface BenchReport {
  title: string;
  rows: BenchRow[];
  notes?: string[];
  /** Printed as the very last line of stdout, as JSON. */
  result: Record<string, unknown>;
}

/** A benchmark suite, defined in `bench/<name>.bench.ts` as `export const benchSuite`. */
export interface BenchSuite {
  name: string;
  description: string;
  run(args: string[]): Promise<BenchReport>;
}

function cell(value: string | number | boolean): string {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** Renders rows as an aligned text table. */
export function formatTable(rows: BenchRow[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const text = rows.map((r) => columns.map((c) => (c in r ? cell(r[c]) : '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((t) => t[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

/** What a closed loop measured: calls per second, latency percentiles (ms), calls, seconds. */
export interface LoopFigures {
  rps: number;
  p50: number;
  p95: number;
  count: number;
  elapsed: number;
}

/** `clients` concurrent callers for `seconds`, each issuing its next call when the previous answers. */
export async function closedLoop(clients: number, seconds: number, call: (i: number) => Promise<unknown>): Promise<LoopFigures> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let next = 0;
  const t0 = performance.now();
  const client = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      await call(next++);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - t0) / 1000;
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p95: percentile(latencies, 95), count: latencies.length, elapsed };
}

/** Percentile (0-100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
