import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { withRawConnection } from '../../migrations/data-source';
import { FineTuneJob } from '../../schema/fine-tuning/fine-tune-job.entity';
import { FineTuneEventLevel, FineTuneStatus } from '../../schema/fine-tuning/fine-tuning.enums';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../logger';
import { logMessage } from './fine-tune-events';
import type { FineTuneRunner } from './fine-tune-job.service';
import { assertTransition, statusesLeadingTo } from './fine-tune-state';
import type { FineTuneTraining } from './fine-tune-training';
import type { FineTuningConfig } from './fine-tuning.config';
import { JobStop } from './job-stop';

interface RunningJob {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * NOTE: every claim goes through one transaction-scoped advisory lock, so that the per-org
 * limit on RUNNING jobs holds across replicas; a job is claimed when QUEUED, or when RUNNING
 * with a lapsed lease (its worker crashed or was killed): it is resumed from its checkpoint.
 */
const CLAIM_SQL = `
  UPDATE fine_tune_job job
     SET status = 'RUNNING', lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2),
         attempts = job.attempts + 1, started_at = coalesce(job.started_at, now()), updated_at = now()
   WHERE job.id = (
     SELECT c.id FROM fine_tune_job c
      WHERE ($4::uuid IS NULL OR c.id = $4::uuid)
        AND ((c.status = 'RUNNING' AND c.lease_expires_at < now())
         OR (c.status = 'QUEUED' AND (SELECT count(*) FROM fine_tune_job r
               WHERE r.organization_id = c.organization_id AND r.status = 'RUNNING' AND r.lease_expires_at >= now()) < $3))
      ORDER BY (c.status = 'RUNNING') DESC, c.created_at, c.id
      LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING job.id`;

const CLAIM_LOCK = 0x46544a42; // "FTJB"

/** The pg-boss queue that delivers started jobs to any replica's worker. */
export const FINE_TUNE_QUEUE = 'fine-tune';

/**
 * Runs fine-tune jobs on this replica: polls (and is woken) for claimable jobs, holds each
 * job's lease while it runs, renews it and reads cancel requests from other replicas, and
 * writes the job's end (SUCCEEDED, FAILED, CANCELLED). On stop, running jobs hand their lease
 * back at once so that the next worker resumes them from their last checkpoint.
 */
export class FineTuneWorker implements FineTuneRunner {
  private readonly owner = randomUUID();
  private readonly running = new Map<string, RunningJob>();
  private timer?: NodeJS.Timeout;
  private claiming = false;
  private claimRound: Promise<void> = Promise.resolve();
  private again = false;
  private stopped = false;
  private queue?: JobQueue;
  /** The queue worker's registration (stop waits for it, so the queue stops that worker too). */
  private working?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly training: FineTuneTraining,
    private readonly config: FineTuningConfig,
    private readonly logger: Logger,
    /** Most jobs this replica runs at once. */
    private readonly maxLocalJobs = 2,
  ) {}

  /** Delivers started jobs through this pg-boss queue (before `start`). */
  useQueue(queue: JobQueue): void {
    this.queue = queue;
    queue.define(FINE_TUNE_QUEUE, { policy: 'short' });
  }

  /**
   * Takes jobs from the pg-boss queue, and polls the table too: for jobs that waited on the
   * per-org limit and for jobs whose worker died (lapsed lease). Nothing when disabled.
   */
  start(): void {
    if (!this.config.workerEnabled || this.timer) return;
    this.timer = setInterval(() => this.wake(), this.config.pollIntervalMs);
    this.timer.unref();
    this.working = this.queue?.work<{ jobId: string }>(FINE_TUNE_QUEUE, { concurrency: 1, pollingIntervalSeconds: 1 }, async (job) => this.claimAll(job.data.jobId))
      .catch((error) => this.logger.warn({ err: error }, 'could not take fine-tune jobs from the queue'));
    this.wake();
  }

  /** Queues a started job for any replica's worker (pg-boss), and looks for work here at once. */
  async enqueue(jobId: string): Promise<void> {
    // NOTE: the job is QUEUED in its table already; should the message not go out, a worker's poll still finds it.
    await this.queue?.send(FINE_TUNE_QUEUE, { jobId }, { singletonKey: jobId, retryLimit: 0 })
      .catch((error) => this.logger.warn({ err: error, job: jobId }, 'could not queue a fine-tune job through pg-boss; the workers\' poll will find it'));
    this.wake();
  }

  /** Looks for claimable jobs now. */
  wake(): void {
    if (this.stopped || !this.config.workerEnabled) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    this.claimRound = this.claimAll()
      .catch((error) => this.logger.warn({ err: error }, 'could not claim fine-tune jobs'))
      .finally(() => {
        this.claiming = false;
        if (this.again) (this.again = false), this.wake();
      });
  }

  private async claimAll(only?: string): Promise<void> {
    while (!this.stopped && this.running.size < this.maxLocalJobs) {
      const id = await this.claim(only);
      if (!id) return;
      if (this.stopped) {
        await this.handBack(id);
        return;
      }
      const controller = new AbortController();
      const entry: RunningJob = { controller, done: Promise.resolve() };
      this.running.set(id, entry);
      entry.done = this.runClaimed(id, controller).finally(() => {
        this.running.delete(id);
        this.wake();
      });
    }
  }

  /**
   * NOTE: the claim runs on a connection of the pool directly, not through TypeORM (like the
   * job queue's statements): a poll every second is no statement of the application's own.
   */
  private async claim(only?: string): Promise<string | null> {
    return withRawConnection(this.dataSource, async (client) => {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
        const result = await client.query(CLAIM_SQL, [this.owner, this.config.leaseSeconds, this.config.maxRunningPerOrg, only ?? null]);
        await client.query('COMMIT');
        return (result.rows?.[0]?.id as string | undefined) ?? null;
      } catch (failure) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw failure;
      }
    });
  }


  private async runClaimed(id: string, controller: AbortController): Promise<void> {
    const db = this.dataSource.manager;
    const job = await db.findOneByOrFail(FineTuneJob, { id });
    const renewal = setInterval(() => void this.renew(job, controller), Math.max(200, (this.config.leaseSeconds * 1000) / 3));
    renewal.unref();
    try {
      if (job.cancelRequestedAt) throw new JobStop('cancelled', 'cancel requested');
      await logMessage(db, id, job.attempts > 1 ? `Running again (attempt ${job.attempts}): the previous worker stopped` : 'Running');
      const outcome = await this.training.run(job, controller.signal);
      await this.finish(job, FineTuneStatus.SUCCEEDED, { resultModelId: outcome.model.id, resultVersionId: outcome.version.id },
        `Succeeded: ${outcome.model.slug} version ${outcome.version.version} is published (private to the organisation)`);
    } catch (error) {
      await this.settle(job, controller.signal.aborted ? controller.signal.reason : error);
    } finally {
      clearInterval(renewal);
    }
  }

  /** Gives up a claimed job's lease at once, so that the next worker resumes it. */
  private async handBack(id: string): Promise<void> {
    await this.dataSource.manager.update(FineTuneJob, { id, leaseOwner: this.owner }, { leaseExpiresAt: new Date(0) }).catch(() => undefined);
  }

  private async settle(job: FineTuneJob, error: unknown): Promise<void> {
    // NOTE: whatever fails while the server stops (the engine or the database going away) is not the job's fault.
    if (this.stopped && !(error instanceof JobStop)) error = new JobStop('shutdown', 'the server is stopping');
    if (error instanceof JobStop && error.kind === 'cancelled') {
      await this.finish(job, FineTuneStatus.CANCELLED, {}, 'Cancelled on request');
      return;
    }
    if (error instanceof JobStop) {
      // NOTE: not the job's fault; it stays RUNNING with its lease handed back, and is resumed from its checkpoint.
      if (error.kind === 'shutdown') await this.handBack(job.id);
      this.logger.info({ job: job.id, reason: error.message }, 'fine-tune job stopped; it will be resumed');
      return;
    }
    this.logger.error({ err: error, job: job.id }, 'fine-tune job failed');
    await this.finish(job, FineTuneStatus.FAILED, { error: { code: 'TRAINING_FAILED', message: (error as Error).message ?? String(error) } },
      `Failed: ${(error as Error).message ?? String(error)}`, FineTuneEventLevel.ERROR);
  }

  /** RUNNING -> an end status, only while this worker holds the lease. */
  private async finish(job: FineTuneJob, status: FineTuneStatus, changes: Partial<FineTuneJob>, message: string, level = FineTuneEventLevel.INFO): Promise<void> {
    assertTransition(FineTuneStatus.RUNNING, status);
    await this.dataSource.transaction(async (tx) => {
      const result = await tx.update(FineTuneJob, { id: job.id, leaseOwner: this.owner, status: In(statusesLeadingTo(status)) },
        { ...changes, status, finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null });
      if (result.affected) await logMessage(tx, job.id, message, level);
    });
  }

  /** Extends the lease; aborts the job when it was lost or another replica asked for a cancel. */
  private async renew(job: FineTuneJob, controller: AbortController): Promise<void> {
    try {
      const expires = new Date(Date.now() + this.config.leaseSeconds * 1000);
      const result = await this.dataSource.manager.update(FineTuneJob, { id: job.id, leaseOwner: this.owner, status: FineTuneStatus.RUNNING }, { leaseExpiresAt: expires });
      if (!result.affected) return controller.abort(new JobStop('lease-lost', 'the job lease was lost'));
      const current = await this.dataSource.manager.findOneBy(FineTuneJob, { id: job.id });
      if (current?.cancelRequestedAt) controller.abort(new JobStop('cancelled', 'cancel requested'));
    } catch (error) {
      this.logger.warn({ err: error, job: job.id }, 'could not renew a fine-tune job lease');
    }
  }

  async cancelLocal(jobId: string): Promise<boolean> {
    const running = this.running.get(jobId);
    if (!running) return false;
    running.controller.abort(new JobStop('cancelled', 'cancel requested'));
    await running.done;
    return true;
  }

  /** Stops claiming, stops running jobs within one step and hands their leases back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const job of this.running.values()) job.controller.abort(new JobStop('shutdown', 'the server is stopping'));
    await this.claimRound.catch(() => undefined);
    await Promise.allSettled([...this.running.values()].map((job) => job.done));
    await this.working;
  }
}
