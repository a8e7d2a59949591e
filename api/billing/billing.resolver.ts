import { randomUUID } from 'node:crypto';
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Organization } from '../../schema/accounts/organization.entity';
import { Role } from '../../schema/accounts/role.enum';
import { Invoice } from '../../schema/billing/invoice.entity';
import { InvoiceLine } from '../../schema/billing/invoice-line.entity';
import {
  ChangeSubscriptionPlanInput, CloseBillingPeriodInput, FinalizeInvoiceInput, InvoiceFilter, VoidInvoiceInput,
} from '../../schema/billing/billing.inputs';
import {
  ChangeSubscriptionPlanPayload, CloseBillingPeriodPayload, FinalizeInvoicePayload, InvoicePreview, VendorStatement, VoidInvoicePayload,
} from '../../schema/billing/billing.payloads';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { AuthenticatedContext, hasRole, isAdmin } from '../context';
import { badUserInput, notFound } from '../common/errors';
import { money } from '../common/money';
import { calendarMonthOf } from '../subscriptions/billing-period';
import { DraftInvoice } from './invoice-builder';

export const InvoiceConnection = connectionOf(Invoice, 'Invoice');

function previewOf(draft: DraftInvoice, organization: Organization): InvoicePreview {
  const lines = draft.lines.map((line) => Object.assign(new InvoiceLine(), line, { id: randomUUID(), invoiceId: '', currency: draft.currency, createdAt: new Date() }));
  return {
    organization, currency: draft.currency, periodStart: draft.period.start, periodEnd: draft.period.end,
    subtotal: money(draft.subtotalMinor, draft.currency), total: money(draft.subtotalMinor, draft.currency), lines,
  };
}

/** A period given as "YYYY-MM" (UTC). */
function monthOrThrow(period: string) {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) throw badUserInput(`period must be a month as "YYYY-MM", got ${JSON.stringify(period)}`, { field: 'period' });
  return calendarMonthOf(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
}

/** Billing: closing periods, invoices (finalize, void, read, preview), plan changes, vendor statements. */
@Resolver()
export class BillingResolver {
  @Authorized(Role.FINANCE, Role.ADMIN)
  @Query(() => InvoiceConnection, { description: 'Invoices, oldest first. FINANCE: its organisation\'s; ADMIN: all (filter.organizationId narrows).' })
  async invoices(@Ctx() ctx: AuthenticatedContext, @Args() args: PaginationArgs, @Arg('filter', () => InvoiceFilter, { nullable: true }) filter?: InvoiceFilter) {
    return toConnection(await ctx.services.billing.invoices.list(ctx, filter, args));
  }

  @Authorized(Role.FINANCE, Role.ADMIN)
  @Query(() => Invoice, { description: 'One invoice; NOT_FOUND when unknown or another organisation\'s.' })
  async invoice(@Ctx() ctx: AuthenticatedContext, @Arg('id', () => ID) id: string): Promise<Invoice> {
    const invoice = await ctx.services.billing.invoices.findByGlobalId(ctx, id);
    if (!invoice) throw notFound('Invoice');
    return invoice;
  }

  @Authorized(Role.FINANCE, Role.ADMIN)
  @Query(() => [InvoicePreview], { description: 'The invoices (one per currency) the open period would produce now, computed like a close; nothing is written.' })
  async invoicePreview(@Ctx() ctx: AuthenticatedContext, @Arg('organizationId', () => ID) organizationId: string): Promise<InvoicePreview[]> {
    const id = rowIdOf(organizationId, 'Organization');
    const organization = id && (isAdmin(ctx) || id === ctx.principal.organizationId) ? await ctx.loaders.organizationById.load(id) : null;
    if (!organization) throw notFound('Organization');
    const drafts = await ctx.services.billing.periodClose.preview(ctx, organization.id);
    return drafts.map((d) => previewOf(d, organization));
  }

  @Authorized(Role.VENDOR, Role.ADMIN)
  @Query(() => VendorStatement, { description: 'A vendor\'s revenue per model for a period ("YYYY-MM"): gross, platform share, net payable. ADMIN names the vendor.' })
  async vendorStatement(@Ctx() ctx: AuthenticatedContext, @Arg('period') period: string, @Arg('vendorId', () => ID, { nullable: true }) vendorId?: string): Promise<VendorStatement> {
    const month = monthOrThrow(period);
    const service = ctx.services.billing.vendorStatements;
    const vendor = await service.vendorOf(ctx, hasRole(ctx, Role.ADMIN) ? vendorId : null);
    const shares = await service.shares(ctx, vendor, month);
    const lines = await Promise.all(shares.map(async (s) => ({
      model: (await ctx.loaders.modelById.load(s.modelId))!, currency: s.currency,
      gross: money(s.grossMinor, s.currency), platformShare: money(s.platformShareMinor, s.currency), netPayable: money(s.netPayableMinor, s.currency),
    })));
    const totals = [...new Set(shares.map((s) => s.currency))].map((currency) => {
      const of = shares.filter((s) => s.currency === currency);
      const sum = (pick: (s: typeof of[number]) => bigint) => money(of.reduce((a, s) => a + pick(s), 0n), currency);
      return { currency, gross: sum((s) => s.grossMinor), platformShare: sum((s) => s.platformShareMinor), netPayable: sum((s) => s.netPayableMinor) };
    });
    return { vendor, periodStart: month.start, periodEnd: month.end, platformSharePercent: service.platformSharePercent, lines, totals };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CloseBillingPeriodPayload, { description: 'Closes the period ending at periodEnd: a DRAFT invoice per organisation and currency; drafts in grace are refreshed. Running it again creates nothing new.' })
  async closeBillingPeriod(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CloseBillingPeriodInput): Promise<CloseBillingPeriodPayload> {
    const result = await ctx.services.billing.periodClose.close(ctx, input.periodEnd);
    const v = result.value;
    return { periodStart: v?.period.start ?? null, periodEnd: v?.period.end ?? null, created: v?.created ?? 0, refreshed: v?.refreshed ?? 0, unchanged: v?.unchanged ?? 0, userErrors: result.userErrors };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => FinalizeInvoicePayload, { description: 'Numbers a DRAFT invoice (gapless per organisation) and freezes it; in its grace period it is refreshed first.' })
  async finalizeInvoice(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: FinalizeInvoiceInput): Promise<FinalizeInvoicePayload> {
    const result = await ctx.services.billing.invoices.finalize(ctx, input.invoiceId);
    return { invoice: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => VoidInvoicePayload, { description: 'Voids a finalized invoice (it keeps its number) and issues a credit note <number>-CN<n> for its total.' })
  async voidInvoice(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: VoidInvoiceInput): Promise<VoidInvoicePayload> {
    const result = await ctx.services.billing.invoices.void(ctx, input.invoiceId, input.reason);
    return { invoice: result.value?.invoice ?? null, creditNote: result.value?.creditNote ?? null, userErrors: result.userErrors };
  }

  @Authorized(Role.PARTNER, Role.ADMIN)
  @Mutation(() => ChangeSubscriptionPlanPayload, { description: 'Moves a subscription to another plan of its model, same currency: an upgrade now, a downgrade at the end of the period.' })
  async changeSubscriptionPlan(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: ChangeSubscriptionPlanInput): Promise<ChangeSubscriptionPlanPayload> {
    const result = await ctx.services.billing.planChanges.change(ctx, input);
    return { subscription: result.value?.subscription ?? null, effectiveAt: result.value?.effectiveAt ?? null, userErrors: result.userErrors };
  }
}
