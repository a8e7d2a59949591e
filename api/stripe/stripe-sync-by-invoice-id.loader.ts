import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';

/** Invoices' Stripe outbox entries by invoice id, one query per tick; null for an invoice never enqueued. */
export function createStripeSyncByInvoiceIdLoader(dataSource: DataSource) {
  return new DataLoader<string, StripeOutboxEntry | null>(async (ids) => {
    const rows = await dataSource.getRepository(StripeOutboxEntry).findBy({ kind: StripeOutboxKind.INVOICE, localId: In([...ids]) });
    const byId = new Map(rows.map((row) => [row.localId, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
