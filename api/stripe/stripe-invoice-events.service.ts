import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import type { Logger } from '../logger';
import type { EntitlementCache } from '../subscriptions/entitlement.cache';
import type { StripeInvoiceService } from './stripe-invoice.service';
import { updatedRows } from './stripe-outbox.service';
import type { StripeWebhookService } from './stripe-webhook.service';

/** The invoice events whose arrival makes us re-read the Stripe invoice. */
export const INVOICE_EVENT_TYPES = ['invoice.paid', 'invoice.payment_succeeded', 'invoice.payment_failed', 'invoice.finalized', 'invoice.voided', 'invoice.marked_uncollectible', 'invoice.updated'];

/** Our status for the Stripe invoice's state, or null when it says nothing new (draft, open and unattempted). */
function statusFromStripe(remote: Stripe.Invoice): InvoiceStatus | null {
  if (remote.status === 'paid') return InvoiceStatus.PAID;
  if ((remote.status === 'open' || remote.status === 'uncollectible') && remote.attempt_count > 0) return InvoiceStatus.PAYMENT_FAILED;
  return null;
}

const MOVES: Record<string, InvoiceStatus[]> = {
  [InvoiceStatus.FINALIZED]: [InvoiceStatus.PAID, InvoiceStatus.PAYMENT_FAILED],
  [InvoiceStatus.PAYMENT_FAILED]: [InvoiceStatus.PAID],
};

/**
 * Invoice webhooks, in any order and any number of times: each one re-reads the invoice from
 * Stripe and sets our state from what Stripe says now. paid -> PAID; open with a failed attempt
 * -> PAYMENT_FAILED; then every live subscription billed on the invoice is PAST_DUE while one of
 * its invoices is PAYMENT_FAILED, ACTIVE again once none is.
 */
export class StripeInvoiceEvents {
  constructor(
    private readonly invoices: StripeInvoiceService,
    private readonly entitlements: EntitlementCache,
    private readonly logger: Logger,
  ) {}

  register(webhooks: StripeWebhookService): void {
    for (const type of INVOICE_EVENT_TYPES) webhooks.on(type, (event) => this.prepare(event));
  }

  private async prepare(event: Stripe.Event): Promise<(db: EntityManager) => Promise<string>> {
    const sent = event.data.object as Stripe.Invoice;
    const remote = await this.invoices.retrieve(sent.id!);
    return (db) => this.apply(db, remote, event);
  }

  private async apply(db: EntityManager, remote: Stripe.Invoice, event: Stripe.Event): Promise<string> {
    const rows: Array<{ id: string; status: InvoiceStatus }> = await db.query(
      'SELECT id, status FROM invoice WHERE stripe_invoice_id = $1 OR id::text = $2 ORDER BY (stripe_invoice_id = $1) DESC NULLS LAST LIMIT 1 FOR UPDATE',
      [remote.id, remote.metadata?.invoice_id ?? ''],
    );
    const ours = rows[0];
    if (!ours) {
      this.logger.warn({ eventId: event.id, stripeInvoiceId: remote.id }, 'a Stripe invoice event names no invoice of ours: ignored');
      return 'unmatched';
    }
    const target = statusFromStripe(remote);
    const moves = target !== null && target !== ours.status && (MOVES[ours.status] ?? []).includes(target);
    if (moves) {
      await db.query(
        `UPDATE invoice SET status = $2, paid_at = CASE WHEN $2 = 'PAID' THEN COALESCE(paid_at, to_timestamp($3)) ELSE paid_at END,
           stripe_invoice_id = COALESCE(stripe_invoice_id, $4) WHERE id = $1`,
        [ours.id, target, remote.status_transitions?.paid_at ?? Date.now() / 1000, remote.id],
      );
    }
    await this.settleSubscriptions(db, ours.id);
    return moves ? `invoice ${target}` : `unchanged (${ours.status})`;
  }

  /** Every live subscription billed on the invoice: PAST_DUE while one of its invoices is PAYMENT_FAILED, else ACTIVE. */
  private async settleSubscriptions(db: EntityManager, invoiceId: string): Promise<void> {
    const changed = updatedRows<{ organization_id: string; model_id: string }>(await db.query(
      `UPDATE subscription s SET status = CASE WHEN EXISTS (
          SELECT 1 FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id WHERE l.subscription_id = s.id AND i.status = 'PAYMENT_FAILED')
        THEN 'PAST_DUE' ELSE 'ACTIVE' END
       WHERE s.id IN (SELECT subscription_id FROM invoice_line WHERE invoice_id = $1) AND s.status <> 'CANCELED'
       RETURNING s.organization_id, s.model_id`,
      [invoiceId],
    ));
    for (const row of changed) this.entitlements.invalidate(row.organization_id, row.model_id);
  }
}
