import { Invoice } from '../../schema/billing/invoice.entity';
import { RequestContext } from '../context';

/** Told of an invoice that changed state, inside the transaction that changed it (`ctx.db`). */
export type InvoiceListener = (ctx: RequestContext, invoice: Invoice) => Promise<void>;

/**
 * The domain events of invoices: where other domains (the Stripe outbox) hook in. Listeners run
 * in the same transaction as the change, so what they write commits or rolls back with it.
 */
export class InvoiceEvents {
  private readonly finalizedListeners: InvoiceListener[] = [];
  private readonly voidedListeners: InvoiceListener[] = [];

  /** Called after an invoice was finalized (numbered, immutable). */
  onFinalized(listener: InvoiceListener): void {
    this.finalizedListeners.push(listener);
  }

  /** Called after an invoice was voided (its credit note issued). */
  onVoided(listener: InvoiceListener): void {
    this.voidedListeners.push(listener);
  }

  async finalized(ctx: RequestContext, invoice: Invoice): Promise<void> {
    for (const listener of this.finalizedListeners) await listener(ctx, invoice);
  }

  async voided(ctx: RequestContext, invoice: Invoice): Promise<void> {
    for (const listener of this.voidedListeners) await listener(ctx, invoice);
  }
}
