import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { RequestContext } from '../context';
import type { JobQueue } from '../jobs/job-queue';
import type { Logger } from '../logger';
import { createLoaders } from '../loaders';
import type { Services } from '../services';
import { lastEndedPeriod } from './billing-periods';
import type { InvoiceService } from './invoice.service';
import type { PeriodCloseService } from './period-close.service';
import type { PlanChangeService } from './plan-change.service';

/** The queue (pg-boss) and schedule of the period-end job: every 5 minutes, UTC. */
export const PERIOD_END_QUEUE = 'billing-period-end';
export const PERIOD_END_CRON = '*/5 * * * *';

/** What one run of the period-end job did. */
export interface PeriodEndRun {
  planChangesApplied: number;
  closed: boolean;
  finalized: string[];
}

/**
 * The period-end job, as a plain method the job queue calls: puts due plan changes into force,
 * closes the period that has last ended (creating drafts, refreshing those in grace), and
 * finalizes drafts whose grace period is over. Safe on every replica at once: the close is
 * serialised per period and unique per (organisation, period, currency), and finalizing locks
 * the invoice row and skips one that is no longer a draft.
 */
export class BillingJobs {
  constructor(private readonly deps: {
    dataSource: DataSource;
    services: () => unknown;
    periodClose: PeriodCloseService;
    invoices: InvoiceService;
    planChanges: PlanChangeService;
    logger: Logger;
  }) {}

  /**
   * Runs the period-end job on this replica's workers and schedules it (pg-boss sends a cron
   * tick once across replicas; the queue is `stately`, so at most one run is queued and one runs).
   */
  async register(jobs: JobQueue): Promise<void> {
    jobs.define(PERIOD_END_QUEUE, { policy: 'stately' });
    await jobs.work(PERIOD_END_QUEUE, { pollingIntervalSeconds: 30 }, async () => {
      const run = await this.runPeriodEnd();
      if (run.closed || run.finalized.length || run.planChangesApplied) this.deps.logger.info(run, 'billing period-end job ran');
    });
    await jobs.schedule(PERIOD_END_QUEUE, PERIOD_END_CRON);
  }

  /** A system context (no principal) at `now`. */
  systemContext(now: () => Date): RequestContext {
    return { principal: null, db: this.deps.dataSource.manager, loaders: createLoaders(this.deps.dataSource), services: this.deps.services() as Services, now, requestId: `job-${randomUUID()}` };
  }

  async runPeriodEnd(now: () => Date = () => new Date()): Promise<PeriodEndRun> {
    const ctx = this.systemContext(now);
    const planChangesApplied = await this.deps.planChanges.applyDue(ctx);
    const period = lastEndedPeriod(ctx.now());
    const [state]: Array<{ invoices: number; in_grace: number }> = await ctx.db.query(
      `SELECT count(*)::int AS invoices, count(*) FILTER (WHERE status = $2 AND grace_until > $3)::int AS in_grace FROM invoice WHERE period_start = $1`,
      [period.start, InvoiceStatus.DRAFT, ctx.now()]);
    const closed = state.invoices === 0 || state.in_grace > 0;
    if (closed) await this.deps.periodClose.refresh(ctx, period, null);
    const finalized: string[] = [];
    for (const draft of await this.deps.invoices.draftsPastGrace(ctx)) {
      try {
        const result = await this.deps.invoices.finalizeRow(ctx, draft.id);
        if (result.value) finalized.push(result.value.id);
      } catch (error) {
        this.deps.logger.error({ err: error, invoiceId: draft.id }, 'a draft invoice past its grace period could not be finalized; the next run retries');
      }
    }
    return { planChangesApplied, closed, finalized };
  }
}
