import { DataSource } from 'typeorm';
import { Role } from '../../schema/accounts/role.enum';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { Invoice } from '../../schema/billing/invoice.entity';
import { rowIdOf } from '../../schema/common/global-id';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';
import { StripeSync, StripeSyncStatus } from '../../schema/stripe/stripe-sync.types';
import type { StripeConfig } from '../config';
import { hasRole, RequestContext } from '../context';
import { failure, Result, success } from '../common/result';
import type { Logger } from '../logger';
import type { JobQueue } from '../jobs/job-queue';
import type { EntitlementCache } from '../subscriptions/entitlement.cache';
import { createStripeClient } from './stripe-client.factory';
import { StripeCustomerService } from './stripe-customer.service';
import { StripeInvoiceEvents } from './stripe-invoice-events.service';
import { StripeInvoiceService } from './stripe-invoice.service';
import { defaultOutboxOptions, DrainReport, OutboxOptions, StripeOutbox } from './stripe-outbox.service';
import { StripeProductService } from './stripe-product.service';
import { StripeWebhookService } from './stripe-webhook.service';

/** The pg-boss queue whose jobs drain the outbox; a cron job each minute picks up retries that fell due. */
export const STRIPE_OUTBOX_QUEUE = 'stripe-outbox';

/**
 * Stripe, kept in step (the one entry point of api/stripe): finalized invoices are enqueued in
 * the outbox and drained to Stripe; webhooks come back through `webhooks`. Without
 * STRIPE_SECRET_KEY it is off: nothing is enqueued, nothing calls Stripe, billing is complete locally.
 */
export class StripeSyncService {
  readonly enabled: boolean;
  readonly webhooks: StripeWebhookService;
  private readonly outbox: StripeOutbox;
  private draining: Promise<DrainReport> | null = null;
  private jobs: JobQueue | null = null;

  constructor(
    private readonly dataSource: DataSource,
    config: StripeConfig,
    entitlements: EntitlementCache,
    private readonly logger: Logger,
    options: { outbox?: OutboxOptions; maxNetworkRetries?: number } = {},
  ) {
    const stripe = createStripeClient(config, { maxNetworkRetries: options.maxNetworkRetries });
    this.enabled = stripe !== null;
    this.outbox = new StripeOutbox(dataSource, logger, options.outbox ?? defaultOutboxOptions);
    this.webhooks = new StripeWebhookService(dataSource, stripe ? config.webhookSecret : undefined, logger);
    if (!stripe) return;
    const customers = new StripeCustomerService(dataSource, stripe, this.outbox);
    const products = new StripeProductService(dataSource, stripe, this.outbox);
    const invoices = new StripeInvoiceService(dataSource, stripe, this.outbox, customers, products);
    new StripeInvoiceEvents(invoices, entitlements, logger).register(this.webhooks);
  }

  /**
   * HOOK for billing: call in the transaction that finalizes an invoice (`ctx.db`), so the sync
   * is recorded with the finalization or not at all. A no-op without Stripe.
   */
  async onInvoiceFinalized(ctx: RequestContext, invoiceId: string): Promise<void> {
    if (!this.enabled) return;
    await this.outbox.enqueue(ctx.db, StripeOutboxKind.INVOICE, invoiceId, ctx.now());
    // NOTE: the job may run before this transaction commits; then the minute's cron job finds the entry.
    this.drainSoon(2);
  }

  /**
   * HOOK for billing: call in the transaction that voids an invoice; its Stripe invoice (if it
   * has one, or gets one) is voided there too, so Stripe stops collecting it. A no-op without Stripe.
   */
  async onInvoiceVoided(ctx: RequestContext, invoiceId: string): Promise<void> {
    if (!this.enabled) return;
    await this.outbox.enqueue(ctx.db, StripeOutboxKind.INVOICE_VOID, invoiceId, ctx.now());
    this.drainSoon(2);
  }

  /** `syncToStripe`: (re)queues a finalized invoice's sync now and returns the invoice (ADMIN: any; FINANCE: own organisation's). */
  async requestInvoiceSync(ctx: RequestContext, invoiceGlobalId: string): Promise<Result<Invoice>> {
    const id = rowIdOf(invoiceGlobalId, 'Invoice');
    const invoice = id ? await ctx.db.getRepository(Invoice).findOneBy({ id }) : null;
    if (!invoice || (!hasRole(ctx, Role.ADMIN) && invoice.organizationId !== ctx.principal?.organizationId)) {
      return failure(UserErrorCode.NOT_FOUND, `No invoice ${invoiceGlobalId} is visible to you`, ['input', 'invoiceId']);
    }
    if (!this.enabled) return failure(UserErrorCode.INVALID_STATE, 'Stripe is not configured on this server (STRIPE_SECRET_KEY is unset); invoices are kept locally only', ['input', 'invoiceId']);
    if (invoice.status === InvoiceStatus.DRAFT) return failure(UserErrorCode.INVALID_STATE, `Invoice ${invoiceGlobalId} is a DRAFT; finalize it before sending it to Stripe`, ['input', 'invoiceId']);
    if (invoice.status === InvoiceStatus.VOID && !invoice.stripeInvoiceId) return failure(UserErrorCode.INVALID_STATE, `Invoice ${invoice.number} is VOID and was never in Stripe; there is nothing to send`, ['input', 'invoiceId']);
    await this.outbox.enqueue(ctx.db, StripeOutboxKind.INVOICE, invoice.id, ctx.now());
    return success(invoice);
  }

  /**
   * Runs the outbox worker on this replica (the server calls it once its job queue has started):
   * each job drains every due entry; a cron job each minute picks up retries whose backoff ended.
   * Without Stripe, nothing.
   */
  async startWorker(jobs: JobQueue): Promise<void> {
    if (!this.enabled) return;
    jobs.define(STRIPE_OUTBOX_QUEUE, { policy: 'short' });
    await jobs.work(STRIPE_OUTBOX_QUEUE, { concurrency: 1 }, async () => {
      await this.drain(new Date());
    });
    await jobs.schedule(STRIPE_OUTBOX_QUEUE, '* * * * *');
    this.jobs = jobs;
  }

  /** The job's work: drains every due outbox entry. Concurrent calls on this replica share one drain. */
  drain(now: Date = new Date()): Promise<DrainReport> {
    if (!this.enabled) return Promise.resolve({ done: 0, failed: 0 });
    if (!this.draining) this.draining = this.outbox.drain(now).finally(() => (this.draining = null));
    return this.draining;
  }

  /** Asks the worker for a drain in `afterSeconds` (one such job queued at a time); without a worker, nothing. */
  drainSoon(afterSeconds = 0): void {
    if (!this.enabled || !this.jobs) return;
    this.jobs.send(STRIPE_OUTBOX_QUEUE, {}, { singletonKey: 'soon', startAfter: afterSeconds ? new Date(Date.now() + afterSeconds * 1000) : undefined, retryLimit: 0 })
      .catch((error) => this.logger.warn({ err: error }, 'a Stripe outbox drain could not be queued; the minute\'s cron job will do it'));
  }

  /** The GraphQL view of an invoice's outbox entry (none: NOT_SYNCED). */
  static syncOf(entry: StripeOutboxEntry | null): StripeSync {
    if (!entry) return { status: StripeSyncStatus.NOT_SYNCED, attempts: 0, lastError: null, nextAttemptAt: null, syncedAt: null };
    const status = entry.doneAt ? StripeSyncStatus.SYNCED : entry.lastError ? StripeSyncStatus.RETRYING : StripeSyncStatus.PENDING;
    return { status, attempts: entry.attempts, lastError: entry.doneAt ? null : entry.lastError, nextAttemptAt: entry.doneAt ? null : entry.nextAttemptAt, syncedAt: entry.doneAt };
  }
}
