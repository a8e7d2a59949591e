import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EnginePool } from '../../inference';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Error codes that are a limit saying no (counted again in `api_limit_refusals_total`). */
const LIMIT_CODES = new Set(['RATE_LIMITED', 'QUOTA_EXCEEDED', 'QUERY_TOO_COMPLEX', 'QUERY_TOO_LARGE', 'DEADLINE_EXCEEDED', 'OVERLOADED', 'SHUTTING_DOWN']);

/**
 * The API's own Prometheus series (Prometheus naming: base units, `_total` counters), on the
 * server's registry beside the engine's and the process's:
 * - `http_request_duration_seconds{method,route,status}`, `graphql_operation_duration_seconds{operation,type}`;
 * - `graphql_errors_total{code}`, `api_limit_refusals_total{limit}` (rate limits, quotas, cost, size, ...);
 * - `usage_flush_duration_seconds`, `usage_flush_batch_events` (the UsageRecorder's statements);
 * - `engine_device_workers{device}`, `engine_device_utilisation_ratio{device}` (busy worker time
 *   over worker time since the last scrape).
 * NOTE: the billing work adds its Stripe outbox depth with `gauge('stripe_outbox_depth', ...)`.
 */
export class ApiMetrics {
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly operationDuration: Histogram<'operation' | 'type'>;
  readonly errors: Counter<'code'>;
  readonly refusals: Counter<'limit'>;
  readonly flushDuration: Histogram;
  readonly flushEvents: Histogram;

  constructor(private readonly registry: Registry) {
    const registers = [registry];
    this.httpDuration = new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers });
    this.operationDuration = new Histogram({ name: 'graphql_operation_duration_seconds', help: 'GraphQL operations by operation name and type', labelNames: ['operation', 'type'], buckets: LATENCY_BUCKETS, registers });
    this.errors = new Counter({ name: 'graphql_errors_total', help: 'Errors in GraphQL answers, by code', labelNames: ['code'], registers });
    this.refusals = new Counter({ name: 'api_limit_refusals_total', help: 'Requests refused by a limit (rate limit, quota, cost, size, budget, overload, shutdown)', labelNames: ['limit'], registers });
    this.flushDuration = new Histogram({ name: 'usage_flush_duration_seconds', help: 'Usage recorder flush statements, start to commit', buckets: LATENCY_BUCKETS, registers });
    this.flushEvents = new Histogram({ name: 'usage_flush_batch_events', help: 'Usage events per flush', buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers });
  }

  /** Counts one error of a GraphQL answer (and the refusal, when the code is a limit's). */
  error(code: string): void {
    this.errors.inc({ code });
    if (LIMIT_CODES.has(code)) this.refusals.inc({ limit: code.toLowerCase() });
  }

  /** The UsageRecorder's report of one flush. */
  usageFlushed(events: number, seconds: number): void {
    this.flushDuration.observe(seconds);
    this.flushEvents.observe(events);
  }

  /** A gauge read at every scrape (the place for the Stripe outbox depth, among others). */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({ name, help, registers: [this.registry], async collect() { this.set(await read()); } });
  }

  /** Engine devices' workers, and how busy they were since the previous scrape. */
  watchEngine(engine: EnginePool): void {
    const registry = this.registry;
    let previous = new Map<string, { busy: number; at: number }>();
    new Gauge({ name: 'engine_device_workers', help: 'Engine workers per device', labelNames: ['device'], registers: [registry], collect() {
      for (const device of engine.status()) this.set({ device: device.id }, device.workers);
    } });
    new Gauge({ name: 'engine_device_utilisation_ratio', help: 'Busy worker time over worker time per device since the previous scrape (0-1)', labelNames: ['device'], registers: [registry],
      async collect() {
        const busy = registry.getSingleMetric('engine_busy_seconds_total') as Counter<'device'> | undefined;
        const values = busy ? (await busy.get()).values : [];
        const now = performance.now() / 1000;
        const next = new Map<string, { busy: number; at: number }>();
        for (const device of engine.status()) {
          const total = values.filter((v) => v.labels.device === device.id).reduce((sum, v) => sum + v.value, 0);
          const last = previous.get(device.id);
          next.set(device.id, { busy: total, at: now });
          const span = last ? (now - last.at) * Math.max(1, device.workers) : 0;
          this.set({ device: device.id }, span > 0 ? Math.min(1, (total - last!.busy) / span) : 0);
        }
        previous = next;
      } });
  }
}
