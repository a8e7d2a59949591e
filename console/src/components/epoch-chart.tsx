import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface EpochSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  /** A reference line (the base model's accuracy): dashed, no points. */
  reference?: boolean;
}

/**
 * Figures per epoch as a uPlot line chart (x: epoch). The canvas is an image for screen readers
 * with `summary` as its name; the table beside it carries every value.
 */
export function EpochChart({ epochs, series, summary, yRange, format, name }: {
  epochs: number[]; series: EpochSeries[]; summary: string; yRange: 'share' | 'from-zero'; format: (value: number) => string; name: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = holder.current;
    if (!el) return;
    const data: uPlot.AlignedData = [epochs, ...series.map((s) => s.values)];
    const width = () => Math.max(300, el.clientWidth || 480);
    const chart = new uPlot({
      width: width(),
      height: 240,
      scales: {
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: { range: (_u, _min, max) => (yRange === 'share' ? [0, 1] : [0, Math.max(0.1, max) * 1.1]) },
      },
      axes: [
        { label: 'Epoch', incrs: [1, 2, 5, 10, 20, 50], values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
        { values: (_u, ticks) => ticks.map((t) => format(t)), size: 60 },
      ],
      legend: { show: true },
      series: [
        { label: 'Epoch' },
        ...series.map((s) => ({
          label: s.label, stroke: s.color, width: 2, dash: s.reference ? [6, 4] : undefined,
          points: { show: !s.reference }, spanGaps: false, value: (_u: uPlot, v: number | null) => (v == null ? '—' : format(v)),
        })),
      ],
    }, data, el);
    const resize = () => chart.setSize({ width: width(), height: 240 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
    };
  }, [epochs, series]);
  return (
    <figure class="chart epoch-chart" data-chart={name} data-points={epochs.length} data-series={series.map((s) => s.label).join('|')}>
      <div ref={holder} class="chart-canvas" role="img" aria-label={summary} />
      <figcaption class="visually-hidden">{summary}</figcaption>
    </figure>
  );
}
