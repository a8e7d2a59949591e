import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Organization } from '../../schema/accounts/organization.entity';
import { Model } from '../../schema/catalogue/model.entity';
import { CreditNote } from '../../schema/billing/credit-note.entity';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { Invoice } from '../../schema/billing/invoice.entity';
import { InvoiceLine } from '../../schema/billing/invoice-line.entity';
import { InvoiceLineTier } from '../../schema/billing/invoice-line-tier.type';
import { InvoiceReconciliation } from '../../schema/billing/billing.payloads';
import { Money } from '../../schema/common/money.type';
import { AuthenticatedContext } from '../context';
import { notFound } from '../common/errors';
import { money } from '../common/money';

/** `Invoice`: number, amounts, lines, reconciliation, credit notes, organisation. */
@Resolver(() => Invoice)
export class InvoiceFieldsResolver {
  @FieldResolver(() => String, { description: '`<ORG>-<YYYY>-<seq>` once finalized; `DRAFT-<id>` before.' })
  number(@Root() invoice: Invoice): string {
    return invoice.number ?? `DRAFT-${invoice.id.slice(0, 8).toUpperCase()}`;
  }

  @FieldResolver(() => Money)
  subtotal(@Root() invoice: Invoice): Money {
    return money(invoice.subtotalMinor, invoice.currency);
  }

  @FieldResolver(() => Money)
  total(@Root() invoice: Invoice): Money {
    return money(invoice.totalMinor, invoice.currency);
  }

  @FieldResolver(() => [InvoiceLine])
  async lines(@Root() invoice: Invoice, @Ctx() ctx: AuthenticatedContext): Promise<InvoiceLine[]> {
    return ctx.services.billing.invoices.lines(ctx, invoice);
  }

  @FieldResolver(() => [CreditNote])
  async creditNotes(@Root() invoice: Invoice, @Ctx() ctx: AuthenticatedContext): Promise<CreditNote[]> {
    return ctx.services.billing.invoices.creditNotes(ctx, invoice);
  }

  @FieldResolver(() => Organization)
  async organization(@Root() invoice: Invoice, @Ctx() ctx: AuthenticatedContext): Promise<Organization> {
    const organization = await ctx.loaders.organizationById.load(invoice.organizationId);
    if (!organization) throw notFound('Organization');
    return organization;
  }

  @FieldResolver(() => InvoiceReconciliation, { description: 'Every usage line recomputed from usage_event now (one SQL statement per page of invoices) and compared.' })
  async reconciliation(@Root() invoice: Invoice, @Ctx() ctx: AuthenticatedContext): Promise<InvoiceReconciliation> {
    const result = await ctx.loaders.reconciliationByInvoiceId.load(invoice.id);
    const lines = new Map((await ctx.services.billing.invoices.lines(ctx, invoice)).map((l) => [l.id, l]));
    const checks = await Promise.all(result.lines.map(async (c) => ({
      line: c.lineId ? lines.get(c.lineId)! : null, meter: c.meter, expected: c.expected, actual: c.actual,
      model: await ctx.loaders.modelById.load(c.modelId), subscription: await ctx.loaders.subscriptionById.load(c.subscriptionId),
    })));
    return { ok: result.ok, checkedAt: result.checkedAt, lines: checks };
  }

  @FieldResolver(() => Boolean, { description: 'True once finalized: the database refuses any change to amounts and lines.' })
  immutable(@Root() invoice: Invoice): boolean {
    return invoice.status !== InvoiceStatus.DRAFT;
  }
}

/** `InvoiceLine`: amount, tiers and model. */
@Resolver(() => InvoiceLine)
export class InvoiceLineFieldsResolver {
  @FieldResolver(() => Money)
  amount(@Root() line: InvoiceLine): Money {
    return money(line.amountMinor, line.currency ?? 'USD');
  }

  @FieldResolver(() => [InvoiceLineTier], {
    description: 'The tiers of a GRADUATED or VOLUME line as rated when the line was written (kept with the line; a later plan change does not alter them), '
      + 'adding up to `amount` exactly; empty for flat fees, STANDARD and PACKAGE lines, lines with no billable units, and lines written before tiers were recorded.',
  })
  tiers(@Root() line: InvoiceLine): InvoiceLineTier[] {
    const currency = line.currency ?? 'USD';
    return (line.ratedTiers ?? []).map((t) => ({ fromUnit: t.fromUnit, toUnit: t.toUnit, units: t.units, unitPrice: t.unitPrice, amount: money(t.amountMinor, currency) }));
  }

  @FieldResolver(() => Model, { nullable: true })
  async model(@Root() line: InvoiceLine, @Ctx() ctx: AuthenticatedContext): Promise<Model | null> {
    return ctx.loaders.modelById.load(line.modelId);
  }
}

/** `CreditNote`: amount. */
@Resolver(() => CreditNote)
export class CreditNoteFieldsResolver {
  @FieldResolver(() => Money)
  amount(@Root() note: CreditNote): Money {
    return money(note.amountMinor, note.currency);
  }
}
