import { UserErrorCode } from '../../schema/common/user-error.type';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { RequestContext } from '../context';
import { failure, Result, success, transactionalResult } from '../common/result';
import { calendarMonthOf } from '../subscriptions/billing-period';
import { BillingPeriod, isPeriodBoundary, periodEndingAt } from './billing-periods';
import { DraftInvoice } from './invoice-builder';
import { InvoiceDrafts } from './invoice-drafts';
import { DraftWriter } from './draft-writer';

/** What closing (or refreshing) a period did. */
export interface CloseOutcome {
  period: BillingPeriod;
  /** Draft invoices created now. */
  created: number;
  /** Drafts in their grace period, recomputed from the events. */
  refreshed: number;
  /** Invoices left as they were: finalized, or drafts past their grace period. */
  unchanged: number;
  /** Draft invoices computed (one per organisation and currency with anything to bill). */
  drafts: number;
}

/**
 * Closing a billing period: a DRAFT invoice per organisation and currency, computed in SQL by
 * {@link InvoiceDrafts}; drafts still in their grace period are refreshed, never duplicated.
 * Safe to run on every replica at once: one transaction per close, serialised by an advisory
 * lock on the period, and at most one invoice per (organisation, period, currency) by a unique index.
 */
export class PeriodCloseService {
  constructor(private readonly drafts: InvoiceDrafts, private readonly writer: DraftWriter) {}

  /** closeBillingPeriod: the period that ends at `periodEnd` (a past boundary, 1st of a month 00:00 UTC). */
  async close(ctx: RequestContext, periodEnd: Date): Promise<Result<CloseOutcome>> {
    if (!isPeriodBoundary(periodEnd)) {
      return failure(UserErrorCode.INVALID, `periodEnd ${periodEnd.toISOString()} is not a period boundary; periods are calendar months in UTC (e.g. ${calendarMonthOf(periodEnd).end.toISOString()})`, ['input', 'periodEnd']);
    }
    if (periodEnd > ctx.now()) return failure(UserErrorCode.INVALID, `periodEnd ${periodEnd.toISOString()} is in the future; a period closes once it has ended`, ['input', 'periodEnd']);
    return this.refresh(ctx, periodEndingAt(periodEnd), null);
  }

  /**
   * Writes the drafts of `period` (for some organisations, or all): creates missing ones and
   * refreshes those in their grace period. The same path as close; used after corrections.
   */
  async refresh(ctx: RequestContext, period: BillingPeriod, organizationIds: string[] | null): Promise<Result<CloseOutcome>> {
    return transactionalResult(ctx, async (tx) => {
      await this.writer.lockPeriod(tx.db, period);
      const drafts = await this.drafts.compute(tx.db, period, organizationIds);
      const outcome = await this.writer.write(tx, period, drafts, organizationIds);
      return success({ period, ...outcome, drafts: drafts.length });
    });
  }

  /** The invoices the open period of an organisation would produce now (nothing written). */
  async preview(ctx: RequestContext, organizationId: string): Promise<DraftInvoice[]> {
    return this.drafts.compute(ctx.db, calendarMonthOf(ctx.now()), [organizationId]);
  }

  /** Refreshes the organisation's draft of the period containing `occurredAt`, when it is in its grace period. */
  async refreshAfterCorrection(ctx: RequestContext, organizationId: string, occurredAt: Date): Promise<void> {
    const period = calendarMonthOf(occurredAt);
    const [draft] = await ctx.db.query(`SELECT 1 FROM invoice WHERE organization_id = $1 AND period_start = $2 AND status = $3 AND grace_until > $4 LIMIT 1`,
      [organizationId, period.start, InvoiceStatus.DRAFT, ctx.now()]);
    if (draft) await this.refresh(ctx, period, [organizationId]);
  }

  /**
   * Whether usage of the organisation that occurred at `occurredAt` may still change: its period
   * is the current one, or it has a draft in its grace period, or it has ended less than a grace
   * period ago and is not invoiced yet.
   */
  async periodOpen(ctx: RequestContext, organizationId: string, occurredAt: Date, defaultGraceSeconds: number): Promise<boolean> {
    const now = ctx.now();
    const period = calendarMonthOf(occurredAt);
    if (period.end > now) return true;
    const [invoice]: Array<{ status: InvoiceStatus; grace_until: Date }> = await ctx.db.query(
      `SELECT status, grace_until FROM invoice WHERE organization_id = $1 AND period_start = $2 ORDER BY status = 'DRAFT' LIMIT 1`, [organizationId, period.start]);
    if (invoice) return invoice.status === InvoiceStatus.DRAFT && new Date(invoice.grace_until) > now;
    return period.end.getTime() + defaultGraceSeconds * 1000 > now.getTime();
  }
}
