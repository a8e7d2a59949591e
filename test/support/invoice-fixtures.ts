import { DataSource } from 'typeorm';
import { InvoiceLineKind, InvoiceStatus } from '../../schema/billing/billing.enums';
import { Invoice } from '../../schema/billing/invoice.entity';
import { InvoiceLine } from '../../schema/billing/invoice-line.entity';
import { Plan } from '../../schema/catalogue/plan.entity';
import { Meter } from '../../schema/metering/meter.enum';
import { Subscription } from '../../schema/subscriptions/subscription.entity';

/**
 * A FINALIZED invoice of one subscription written straight to the database (a flat-fee line and
 * a usage line of `usageMinor`), for tests of what happens after finalization (Stripe sync,
 * payment webhooks) without running a whole billing period.
 */
export async function insertFinalizedInvoice(db: DataSource, subscriptionId: string, options: { usageMinor: bigint; number: string; periodStart?: Date }): Promise<Invoice> {
  const subscription = await db.getRepository(Subscription).findOneByOrFail({ id: subscriptionId });
  const plan = await db.getRepository(Plan).findOneByOrFail({ id: subscription.planId });
  const periodStart = options.periodStart ?? new Date(Date.UTC(2026, 9, 1));
  const periodEnd = new Date(Date.UTC(periodStart.getUTCFullYear(), periodStart.getUTCMonth() + 1, 1));
  const total = plan.flatFeeMinor + options.usageMinor;
  const invoice = await db.getRepository(Invoice).save(db.getRepository(Invoice).create({
    organizationId: subscription.organizationId, currency: plan.currency, periodStart, periodEnd, status: InvoiceStatus.DRAFT,
    number: null, sequence: null, subtotalMinor: total, totalMinor: total, graceUntil: periodEnd, refreshedAt: periodEnd,
    finalizedAt: null, paidAt: null, voidedAt: null, stripeInvoiceId: null,
  }));
  const line = (kind: InvoiceLineKind, position: number, amountMinor: bigint, meter: Meter | null, quantity: bigint) => db.getRepository(InvoiceLine).create({
    invoiceId: invoice.id, kind, description: kind === InvoiceLineKind.FLAT_FEE ? `${plan.name}: flat fee` : `${plan.name}: ${meter}`,
    subscriptionId, planId: plan.id, modelId: subscription.modelId, meter, quantity, billableUnits: quantity,
    unitPrice: kind === InvoiceLineKind.USAGE ? '0.001' : null, amountMinor, servicePeriodStart: periodStart, servicePeriodEnd: periodEnd, position,
  });
  await db.getRepository(InvoiceLine).save([
    line(InvoiceLineKind.FLAT_FEE, 0, plan.flatFeeMinor, null, 1n),
    line(InvoiceLineKind.USAGE, 1, options.usageMinor, Meter.REQUESTS, options.usageMinor * 10n),
  ]);
  await db.query(`UPDATE invoice SET status = 'FINALIZED', number = $2, sequence = 1, finalized_at = $3 WHERE id = $1`, [invoice.id, options.number, periodEnd]);
  return db.getRepository(Invoice).findOneByOrFail({ id: invoice.id });
}
