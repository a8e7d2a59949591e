import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Bucket, bucketLabel, UsageSeries } from '../usage-range';
import { formatCount } from '../money';

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d'];

/**
 * The usage of one meter over the window as a uPlot line chart, one line per model, times in
 * UTC. The canvas is hidden from screen readers; the table after it carries the same numbers.
 */
export function UsageChart({ usage, bucket, meter }: { usage: UsageSeries; bucket: Bucket; meter: string }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    // NOTE: uPlot draws numbers; usage counts stay far below 2^53, so Number() is exact here (never money).
    const data: uPlot.AlignedData = [usage.starts.map((t) => t / 1000), ...usage.series.map((s) => s.quantities.map((q) => Number(q)))];
    const chart = new uPlot({
      width: Math.max(320, el.clientWidth || 720),
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [{
        // NOTE: ticks on whole buckets only (days, or hours), labelled in UTC.
        incrs: bucket === 'HOUR' ? [3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400] : [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400],
        values: (_u, ticks) => ticks.map((ts) => axisLabel(ts * 1000, bucket)),
      }, { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? formatCount(String(t)) : '')) }],
      legend: { show: true },
      series: [
        { label: bucket === 'HOUR' ? 'Hour (UTC)' : 'Day (UTC)', value: (_u, ts) => (ts == null ? '' : bucketLabel(ts * 1000, bucket)) },
        ...usage.series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, points: { show: usage.starts.length <= 60 } })),
      ],
    }, data, el);
    const resize = () => chart.setSize({ width: Math.max(320, el.clientWidth || 720), height: 280 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
    };
  }, [usage, bucket]);
  const summary = `${meter} per ${bucket === 'HOUR' ? 'hour' : 'day'} (UTC), ${usage.series.length} model${usage.series.length === 1 ? '' : 's'}, ${formatCount(usage.total)} in total; the table below has every value`;
  return (
    <figure class="chart" data-buckets={usage.starts.length} data-bucket={bucket}>
      <div ref={holder} class="chart-canvas" role="img" aria-label={summary} />
      <figcaption class="visually-hidden">{summary}</figcaption>
    </figure>
  );
}

/** An x tick: "12-01" per day; "14:00" per hour, with the date at midnight ("12-01 00:00"). */
function axisLabel(ms: number, bucket: Bucket): string {
  const iso = new Date(ms).toISOString();
  if (bucket === 'DAY') return iso.slice(5, 10);
  return iso.slice(11, 16) === '00:00' ? `${iso.slice(5, 10)} 00:00` : iso.slice(11, 16);
}

/** The same usage as a table: a row per bucket with usage, a column per model, and the total. */
export function UsageTable({ usage, bucket, meter }: { usage: UsageSeries; bucket: Bucket; meter: string }) {
  const rows = usage.starts.map((start, i) => ({ start, i })).filter(({ i }) => usage.totals[i] > 0n);
  return (
    <table class="data usage-table">
      <caption>{meter} per {bucket === 'HOUR' ? 'hour' : 'day'} (UTC); buckets without usage are left out</caption>
      <thead>
        <tr>
          <th scope="col">{bucket === 'HOUR' ? 'Hour (UTC)' : 'Day (UTC)'}</th>
          {usage.series.map((s) => <th scope="col" class="num">{s.label}</th>)}
          <th scope="col" class="num">Total</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ start, i }) => (
          <tr>
            <th scope="row">{bucketLabel(start, bucket)}</th>
            {usage.series.map((s) => <td class="num">{formatCount(s.quantities[i])}</td>)}
            <td class="num">{formatCount(usage.totals[i])}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr><th scope="row">Total</th>{usage.series.map((s) => <td class="num">{formatCount(s.quantities.reduce((a, b) => a + b, 0n))}</td>)}<td class="num">{formatCount(usage.total)}</td></tr>
      </tfoot>
    </table>
  );
}
