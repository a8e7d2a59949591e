import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Labels of every engine metric event. */
export interface EngineMetricLabels {
  device: string;
  model: string;
}

/**
 * Receives the engine's measurements. Implement it to feed any metrics system, or use
 * {@link PromEngineMetrics} for prom-client. Calls are synchronous and must be cheap.
 */
export interface EngineMetricsListener {
  /** A batcher's queue length changed. */
  queueLength(labels: EngineMetricLabels, length: number): void;
  /** A batch finished on a worker: requests in it and its compute time. */
  batch(labels: EngineMetricLabels, size: number, computeMs: number): void;
  /** A request was answered: time it waited in the queue, its share of compute. */
  request(labels: EngineMetricLabels, queueMs: number, computeMs: number): void;
}

/** Engine metrics as prom-client gauges/histograms on a given registry. */
export class PromEngineMetrics implements EngineMetricsListener {
  private readonly queue: Gauge<'device' | 'model'>;
  private readonly batchSize: Histogram<'device' | 'model'>;
  private readonly queueSeconds: Histogram<'device' | 'model'>;
  private readonly computeSeconds: Histogram<'device' | 'model'>;
  private readonly busySeconds: Counter<'device'>;

  constructor(registry: Registry, prefix = 'engine_') {
    const labelNames = ['device', 'model'] as const;
    const registers = [registry];
    const latency = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    this.queue = new Gauge({ name: `${prefix}queue_length`, help: 'Requests waiting in a batcher', labelNames, registers });
    this.batchSize = new Histogram({
      name: `${prefix}batch_size`,
      help: 'Requests per executed batch',
      labelNames,
      registers,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    });
    this.queueSeconds = new Histogram({
      name: `${prefix}queue_seconds`,
      help: 'Time a request waited before dispatch',
      labelNames,
      registers,
      buckets: latency,
    });
    this.computeSeconds = new Histogram({
      name: `${prefix}compute_seconds`,
      help: 'Compute time per batch',
      labelNames,
      registers,
      buckets: latency,
    });
    this.busySeconds = new Counter({ name: `${prefix}busy_seconds_total`, help: 'Worker time spent computing batches, per device', labelNames: ['device'], registers });
  }

  queueLength(labels: EngineMetricLabels, length: number): void {
    this.queue.set({ ...labels }, length);
  }

  batch(labels: EngineMetricLabels, size: number, computeMs: number): void {
    this.batchSize.observe({ ...labels }, size);
    this.computeSeconds.observe({ ...labels }, computeMs / 1000);
    this.busySeconds.inc({ device: labels.device }, computeMs / 1000);
  }

  request(labels: EngineMetricLabels, queueMs: number): void {
    this.queueSeconds.observe({ ...labels }, queueMs / 1000);
  }
}

/** Sends each event to every listener. */
export function combineMetrics(listeners: EngineMetricsListener[]): EngineMetricsListener | undefined {
  if (listeners.length <= 1) return listeners[0];
  return {
    queueLength: (l, n) => listeners.forEach((x) => x.queueLength(l, n)),
    batch: (l, s, c) => listeners.forEach((x) => x.batch(l, s, c)),
    request: (l, q, c) => listeners.forEach((x) => x.request(l, q, c)),
  };
}
