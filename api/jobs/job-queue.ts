import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { isEmbedded, withRawConnection } from '../../migrations/data-source';
import { Logger } from '../logger';

/** One job as a handler sees it. */
export interface QueuedJob<T> {
  id: string;
  data: T;
  /** How many times this job has been retried before this attempt (0 on the first). */
  retryCount: number;
}

export interface WorkOptions {
  /** Jobs of this queue that this replica runs at once (default 1). */
  concurrency?: number;
  /** How often an idle worker looks for a job (default 2 s; at least 0.5). */
  pollingIntervalSeconds?: number;
}

/**
 * How a queue treats jobs that share a `singletonKey` (pg-boss's queue policies): `standard`
 * ignores it; `short` keeps one queued job per key; `singleton` runs one per key at a time;
 * `stately` keeps at most one queued and one running per key.
 */
export type QueuePolicy = 'standard' | 'short' | 'singleton' | 'stately';

export interface SendOptions {
  /** With a `short` or `stately` queue, a second send while one is queued answers null. */
  singletonKey?: string;
  startAfter?: Date | number;
  retryLimit?: number;
  /** Seconds before the first retry. */
  retryDelay?: number;
  /** Doubles the delay at each retry (with jitter). */
  retryBackoff?: boolean;
  /** A running job not finished after this long is failed (and retried while retries are left). */
  expireInSeconds?: number;
}

/**
 * Background jobs in PostgreSQL through pg-boss, on whichever database the server uses: its own
 * small pool on PostgreSQL, and on embedded PGlite the data source's one connection, lent like any
 * other query runner's turn (so a job's statements never interleave with a transaction). Any
 * replica's workers take any job; a job whose replica dies is retried once it expires.
 *
 * Use `work` to run a queue's jobs on this replica, `send` to enqueue, `schedule` for cron.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly policies = new Map<string, QueuePolicy>();
  /** The last queue creation asked for: creations run one after another (see ensureQueue). */
  private creations: Promise<unknown> = Promise.resolve();
  private started?: Promise<void>;
  private stopped = false;

  constructor(dataSource: DataSource, databaseUrl: string | undefined, private readonly logger: Logger) {
    const common = { schema: 'pgboss', supervise: true, schedule: true, migrate: true, application_name: 'marketplace-jobs' };
    this.boss = isEmbedded(dataSource) || !databaseUrl
      ? new PgBoss({ ...common, db: exclusiveConnectionDb(dataSource) })
      : new PgBoss({ ...common, connectionString: databaseUrl, max: 4 });
    // NOTE: pg-boss's errors carry the whole pg client; the message, code and queue are what help.
    this.boss.on('error', (error: Error & { code?: string; queue?: string }) =>
      this.logger.warn({ err: { message: error.message, code: error.code }, queue: error.queue }, 'background job queue error'));
  }

  /** Creates (or checks) pg-boss's tables; called once by the server after the migrations. */
  start(): Promise<void> {
    this.started ??= this.boss.start().then(() => undefined);
    return this.started;
  }

  /** Sets `queue`'s policy (default `standard`); call before the queue's first `work` or `send`. */
  define(queue: string, options: { policy: QueuePolicy }): void {
    if (this.queues.has(queue)) throw new Error(`queue ${queue} is already in use; define it before its first work or send`);
    this.policies.set(queue, options.policy);
  }

  /** Runs `handler` for each job of `queue` on this replica; a handler that throws fails the job (retried as sent). */
  async work<T extends object>(queue: string, options: WorkOptions, handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    await this.ensureQueue(queue);
    const pollingIntervalSeconds = Math.max(0.5, options.pollingIntervalSeconds ?? 2);
    for (let i = 0; i < (options.concurrency ?? 1); i++) {
      await this.boss.work<T>(queue, { pollingIntervalSeconds, batchSize: 1, includeMetadata: true }, async ([job]) => {
        const meta = job as unknown as { retryCount?: number };
        await handler({ id: job.id, data: job.data, retryCount: meta.retryCount ?? 0 });
      });
    }
  }

  /** Enqueues a job; answers its id, or null when `singletonKey` already has a job queued or running. */
  async send<T extends object>(queue: string, data: T, options: SendOptions = {}): Promise<string | null> {
    await this.ensureQueue(queue);
    return this.boss.send(queue, data, options);
  }

  /** Sends `data` to `queue` on a cron schedule (UTC), once across all replicas. */
  async schedule<T extends object>(queue: string, cron: string, data?: T): Promise<void> {
    await this.ensureQueue(queue);
    await this.boss.schedule(queue, cron, data ?? {}, { tz: 'UTC' });
  }

  /** Stops taking jobs and waits up to `timeoutMs` for running ones; the database stays open. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    await this.started.catch(() => undefined);
    await this.boss.stop({ graceful: true, close: true, wait: true, timeout: timeoutMs })
      .catch((error) => this.logger.warn({ err: error }, 'background job queue did not stop cleanly'));
  }

  private ensureQueue(queue: string): Promise<void> {
    let created = this.queues.get(queue);
    if (!created) {
      // NOTE: pg-boss creates a queue's partition with DDL; two creations at once (a worker and a
      // send on different queues, say) can deadlock in PostgreSQL, so this replica runs them in turn.
      const after = this.creations.catch(() => undefined);
      created = after.then(() => this.start()).then(() => this.boss.createQueue(queue, { name: queue, policy: this.policies.get(queue) ?? 'standard' }));
      this.creations = created;
      created.catch(() => this.queues.delete(queue));
      this.queues.set(queue, created);
    }
    return created;
  }
}

/**
 * pg-boss's database interface over the data source's connection pool, without TypeORM's query
 * logger (the statement-count hooks see the application's statements only). On embedded PGlite
 * the pool lends its one connection to one user at a time.
 */
function exclusiveConnectionDb(dataSource: DataSource): PgBoss.Db {
  return {
    executeSql: (text, values) => withRawConnection(dataSource, async (client) =>
      ({ rows: (await client.query(text, values && values.length ? values : undefined))?.rows ?? [] })),
  };
}
