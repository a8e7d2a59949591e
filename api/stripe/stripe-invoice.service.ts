import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { Invoice } from '../../schema/billing/invoice.entity';
import { InvoiceLine } from '../../schema/billing/invoice-line.entity';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';
import type { StripeClient } from './stripe-client.factory';
import type { StripeCustomerService } from './stripe-customer.service';
import type { StripeOutbox } from './stripe-outbox.service';
import type { StripeProductService } from './stripe-product.service';

/** An amount in minor units as the number Stripe takes; refuses what a JSON number cannot hold exactly. */
function stripeAmount(amountMinor: bigint, what: string): number {
  if (amountMinor > BigInt(Number.MAX_SAFE_INTEGER) || amountMinor < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} of ${amountMinor} minor units is too large for Stripe`);
  return Number(amountMinor);
}

/**
 * Finalized invoice -> Stripe invoice (outbox entry INVOICE): the customer (and the plans'
 * products) first, then a draft invoice with one item per line whose amount is exactly ours
 * (integer minor units), then finalized there. Every step is resumable: the Stripe invoice id is
 * stored as soon as it exists, items already on it (by `invoice_line_id` metadata) are not added
 * again, and each request carries an idempotency key derived from our ids.
 */
export class StripeInvoiceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeClient,
    private readonly outbox: StripeOutbox,
    private readonly customers: StripeCustomerService,
    private readonly products: StripeProductService,
  ) {
    outbox.register(StripeOutboxKind.INVOICE, (entry, now) => this.sync(entry, now));
    outbox.register(StripeOutboxKind.INVOICE_VOID, (entry) => this.void(entry));
  }

  /** The Stripe invoice as Stripe has it now (webhooks re-read state instead of trusting event order). */
  retrieve(stripeInvoiceId: string): Promise<Stripe.Invoice> {
    return this.stripe.invoices.retrieve(stripeInvoiceId);
  }

  private async sync(entry: StripeOutboxEntry, now: Date): Promise<string | null> {
    const invoice = await this.dataSource.getRepository(Invoice).findOneByOrFail({ id: entry.localId });
    if (invoice.status === InvoiceStatus.DRAFT) throw new Error(`invoice ${invoice.id} is still a DRAFT; only finalized invoices go to Stripe`);
    // NOTE: an invoice voided before it reached Stripe is never sent (nothing to charge, nothing to void).
    if (invoice.status === InvoiceStatus.VOID && !invoice.stripeInvoiceId && !entry.stripeId) return null;
    const lines = await this.dataSource.getRepository(InvoiceLine).find({ where: { invoiceId: invoice.id }, order: { position: 'ASC' } });
    const customer = await this.customers.ensure(invoice.organizationId, now);
    for (const planId of new Set(lines.map((l) => l.planId))) await this.products.ensure(planId, now);
    const stripeInvoiceId = invoice.stripeInvoiceId ?? entry.stripeId ?? (await this.createDraft(entry, invoice, customer));
    await this.recordStripeId(entry, invoice, stripeInvoiceId);
    let remote = await this.stripe.invoices.retrieve(stripeInvoiceId);
    if (remote.status === 'draft') {
      await this.addMissingItems(entry, invoice, lines, customer, remote);
      remote = await this.stripe.invoices.finalizeInvoice(stripeInvoiceId, {}, { idempotencyKey: `${entry.idempotencyKey}:finalize` });
    }
    // NOTE: never leave a Stripe invoice that bills other amounts than ours unnoticed.
    if (BigInt(remote.total) !== invoice.totalMinor) throw new Error(`Stripe invoice ${stripeInvoiceId} totals ${remote.total} but invoice ${invoice.number} totals ${invoice.totalMinor}`);
    return stripeInvoiceId;
  }

  /**
   * Voids the Stripe invoice of a voided invoice, so Stripe stops collecting it. Waits for the
   * invoice's own sync; an invoice never sent has nothing to void; a paid one cannot be voided
   * (a permanent error: the customer is owed a refund, which finance handles).
   */
  private async void(entry: StripeOutboxEntry): Promise<string | null> {
    const invoice = await this.dataSource.getRepository(Invoice).findOneByOrFail({ id: entry.localId });
    if (invoice.status !== InvoiceStatus.VOID) throw new Error(`invoice ${invoice.number} is ${invoice.status}, not VOID`);
    const sync = await this.outbox.find(this.dataSource.manager, StripeOutboxKind.INVOICE, invoice.id);
    if (sync && !sync.doneAt) throw new Error(`invoice ${invoice.number} is still being sent to Stripe; it is voided there next`);
    const stripeInvoiceId = invoice.stripeInvoiceId ?? sync?.stripeId ?? null;
    if (!stripeInvoiceId) return null;
    const remote = await this.stripe.invoices.retrieve(stripeInvoiceId);
    if (remote.status === 'void') return stripeInvoiceId;
    if (remote.status === 'paid') throw new Error(`Stripe invoice ${stripeInvoiceId} of voided invoice ${invoice.number} is already paid; refund it in Stripe`);
    await this.stripe.invoices.voidInvoice(stripeInvoiceId, {}, { idempotencyKey: `${entry.idempotencyKey}:void` });
    return stripeInvoiceId;
  }

  private async createDraft(entry: StripeOutboxEntry, invoice: Invoice, customer: string): Promise<string> {
    const draft = await this.stripe.invoices.create({
      customer, currency: invoice.currency.toLowerCase(), auto_advance: false, collection_method: 'charge_automatically',
      pending_invoice_items_behavior: 'exclude', description: `Invoice ${invoice.number}`,
      metadata: { invoice_id: invoice.id, invoice_number: invoice.number ?? '' },
    }, { idempotencyKey: `${entry.idempotencyKey}:create` });
    return draft.id!;
  }

  private async recordStripeId(entry: StripeOutboxEntry, invoice: Invoice, stripeInvoiceId: string): Promise<void> {
    if (entry.stripeId !== stripeInvoiceId) await this.outbox.saveStripeId(entry, stripeInvoiceId);
    if (invoice.stripeInvoiceId !== stripeInvoiceId) {
      await this.dataSource.query('UPDATE invoice SET stripe_invoice_id = $2 WHERE id = $1', [invoice.id, stripeInvoiceId]);
      invoice.stripeInvoiceId = stripeInvoiceId;
    }
  }

  private async addMissingItems(entry: StripeOutboxEntry, invoice: Invoice, lines: InvoiceLine[], customer: string, remote: Stripe.Invoice): Promise<void> {
    const present = new Set<string>();
    for await (const item of this.stripe.invoiceItems.list({ invoice: remote.id!, limit: 100 })) present.add(item.metadata?.invoice_line_id ?? '');
    for (const line of lines) {
      if (present.has(line.id)) continue;
      await this.stripe.invoiceItems.create({
        customer, invoice: remote.id!, currency: invoice.currency.toLowerCase(), amount: stripeAmount(line.amountMinor, `line ${line.position}`),
        description: line.description, metadata: { invoice_id: invoice.id, invoice_line_id: line.id, plan_id: line.planId, meter: line.meter ?? '' },
      }, { idempotencyKey: `${entry.idempotencyKey}:item:${line.id}` });
    }
  }
}
