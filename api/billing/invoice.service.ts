import { Brackets } from 'typeorm';
import { Role } from '../../schema/accounts/role.enum';
import { CreditNote } from '../../schema/billing/credit-note.entity';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { Invoice } from '../../schema/billing/invoice.entity';
import { InvoiceLine } from '../../schema/billing/invoice-line.entity';
import { InvoiceFilter } from '../../schema/billing/billing.inputs';
import { Page } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { hasRole, isAdmin, RequestContext } from '../context';
import { badUserInput } from '../common/errors';
import { paginate } from '../common/pagination';
import { failure, Result, success, transactionalResult } from '../common/result';
import { InvoiceEvents } from './invoice-events';
import type { PeriodCloseService } from './period-close.service';

const notFound = (field = 'invoiceId') => failure<Invoice>(UserErrorCode.NOT_FOUND, 'Invoice not found', ['input', field]);

/** `<ORG>-<YYYY>-<seq>`, the sequence zero-padded to 4 digits. */
export function invoiceNumber(prefix: string, periodStart: Date, sequence: number): string {
  return `${prefix}-${periodStart.getUTCFullYear()}-${String(sequence).padStart(4, '0')}`;
}

/**
 * Invoices after the close: finalize (number, freeze), void (credit note), payment outcomes,
 * and finance's reads (FINANCE: its organisation's; ADMIN: every one).
 */
export class InvoiceService {
  constructor(private readonly close: PeriodCloseService, readonly events: InvoiceEvents) {}

  /** An invoice the caller may see, by row id: its own organisation's (FINANCE), any (ADMIN); else null. */
  async findVisible(ctx: RequestContext, id: string): Promise<Invoice | null> {
    const invoice = await ctx.db.findOneBy(Invoice, { id });
    return invoice && this.mayRead(ctx, invoice.organizationId) ? invoice : null;
  }

  /** By global id, or null (malformed, unknown or someone else's: all NOT_FOUND to the caller). */
  async findByGlobalId(ctx: RequestContext, globalId: string): Promise<Invoice | null> {
    const id = rowIdOf(globalId, 'Invoice');
    return id ? this.findVisible(ctx, id) : null;
  }

  mayRead(ctx: RequestContext, organizationId: string): boolean {
    return isAdmin(ctx) || (hasRole(ctx, Role.FINANCE) && ctx.principal?.organizationId === organizationId);
  }

  /** invoices(first, after, filter): oldest first; FINANCE sees its organisation's only. */
  async list(ctx: RequestContext, filter: InvoiceFilter | undefined, args: PaginationArgs): Promise<Page<Invoice>> {
    const query = ctx.db.getRepository(Invoice).createQueryBuilder('invoice');
    const filterOrg = filter?.organizationId ? rowIdOf(filter.organizationId, 'Organization') : null;
    if (filter?.organizationId && !filterOrg) throw badUserInput(`filter.organizationId is not an Organization id: ${filter.organizationId}`, { field: 'filter.organizationId' });
    if (!isAdmin(ctx)) query.where('invoice.organizationId = :own', { own: ctx.principal!.organizationId });
    if (filterOrg) query.andWhere('invoice.organizationId = :org', { org: filterOrg });
    if (filter?.status?.length) query.andWhere('invoice.status IN (:...statuses)', { statuses: filter.status });
    if (filter?.from) query.andWhere('invoice.periodEnd > :from', { from: filter.from });
    if (filter?.to) query.andWhere(new Brackets((q) => q.where('invoice.periodStart < :to', { to: filter.to })));
    return paginate(query, args);
  }

  async lines(ctx: RequestContext, invoice: Invoice): Promise<InvoiceLine[]> {
    const lines = await ctx.db.find(InvoiceLine, { where: { invoiceId: invoice.id }, order: { position: 'ASC' } });
    for (const line of lines) line.currency = invoice.currency;
    return lines;
  }

  async creditNotes(ctx: RequestContext, invoice: Invoice): Promise<CreditNote[]> {
    return ctx.db.find(CreditNote, { where: { invoiceId: invoice.id }, order: { createdAt: 'ASC' } });
  }

  /**
   * finalizeInvoice: a DRAFT gets its number (the organisation's next, gapless: the sequence
   * moves in this transaction) and is frozen; in its grace period it is refreshed first, so
   * late events and corrections up to now are on it.
   */
  async finalize(ctx: RequestContext, globalId: string): Promise<Result<Invoice>> {
    const found = await this.findByGlobalId(ctx, globalId);
    if (!found) return notFound();
    return this.finalizeRow(ctx, found.id);
  }

  /** finalize, by row id, for callers that have authorised already (the billing job). */
  async finalizeRow(ctx: RequestContext, id: string): Promise<Result<Invoice>> {
    const found = await ctx.db.findOneBy(Invoice, { id });
    if (!found) return notFound();
    if (found.status === InvoiceStatus.DRAFT && found.graceUntil > ctx.now()) {
      await this.close.refresh(ctx, { start: found.periodStart, end: found.periodEnd }, [found.organizationId]);
    }
    return transactionalResult(ctx, async (tx) => {
      const invoice = await tx.db.findOne(Invoice, { where: { id: found.id }, lock: { mode: 'pessimistic_write' } });
      if (!invoice) return notFound();
      if (invoice.status === InvoiceStatus.VOID) return failure(UserErrorCode.INVALID_STATE, `Invoice ${invoice.number} is void; a void invoice cannot be finalized`, ['input', 'invoiceId']);
      if (invoice.status !== InvoiceStatus.DRAFT) return failure(UserErrorCode.INVALID_STATE, `Invoice ${invoice.number} is already ${invoice.status}`, ['input', 'invoiceId']);
      const [account]: Array<{ last_invoice_sequence: number; number_prefix: string }> = (await tx.db.query(
        `UPDATE billing_account SET last_invoice_sequence = last_invoice_sequence + 1 WHERE organization_id = $1 RETURNING last_invoice_sequence, number_prefix`,
        [invoice.organizationId]))[0];
      const sequence = account.last_invoice_sequence;
      Object.assign(invoice, { status: InvoiceStatus.FINALIZED, sequence, number: invoiceNumber(account.number_prefix, invoice.periodStart, sequence), finalizedAt: tx.now() });
      await tx.db.update(Invoice, { id: invoice.id }, { status: invoice.status, sequence, number: invoice.number, finalizedAt: invoice.finalizedAt });
      await this.events.finalized(tx, invoice);
      return success(invoice);
    });
  }

  /**
   * voidInvoice: a FINALIZED (or PAYMENT_FAILED) invoice becomes VOID and keeps its number; a
   * credit note `<number>-CN<n>` for its total is issued in the same transaction.
   */
  async void(ctx: RequestContext, globalId: string, reason: string): Promise<Result<{ invoice: Invoice; creditNote: CreditNote }>> {
    const found = await this.findByGlobalId(ctx, globalId);
    if (!found) return failure(UserErrorCode.NOT_FOUND, 'Invoice not found', ['input', 'invoiceId']);
    if (!reason.trim()) return failure(UserErrorCode.INVALID, 'reason must not be blank', ['input', 'reason']);
    return transactionalResult(ctx, async (tx) => {
      const invoice = (await tx.db.findOne(Invoice, { where: { id: found.id }, lock: { mode: 'pessimistic_write' } }))!;
      if (invoice.status === InvoiceStatus.VOID) return failure(UserErrorCode.INVALID_STATE, `Invoice ${invoice.number} is already void`, ['input', 'invoiceId']);
      if (invoice.status === InvoiceStatus.DRAFT) return failure(UserErrorCode.INVALID_STATE, 'A DRAFT invoice cannot be voided; it has no number yet and is refreshed until finalized', ['input', 'invoiceId']);
      if (invoice.status === InvoiceStatus.PAID) return failure(UserErrorCode.INVALID_STATE, `Invoice ${invoice.number} is paid; a paid invoice cannot be voided`, ['input', 'invoiceId']);
      const issued = await tx.db.count(CreditNote, { where: { invoiceId: invoice.id } });
      const creditNote = await tx.db.save(tx.db.create(CreditNote, {
        invoiceId: invoice.id, organizationId: invoice.organizationId, number: `${invoice.number}-CN${issued + 1}`,
        amountMinor: invoice.totalMinor, currency: invoice.currency, reason: reason.trim(),
      }));
      Object.assign(invoice, { status: InvoiceStatus.VOID, voidedAt: tx.now() });
      await tx.db.update(Invoice, { id: invoice.id }, { status: invoice.status, voidedAt: invoice.voidedAt });
      await this.events.voided(tx, invoice);
      return success({ invoice, creditNote });
    });
  }

  /**
   * A payment outcome (for the Stripe webhooks): FINALIZED | PAYMENT_FAILED -> PAID, FINALIZED ->
   * PAYMENT_FAILED. Idempotent: the same outcome again changes nothing. Returns the invoice, or
   * null when it is not in a state the outcome applies to (void, draft).
   */
  async recordPayment(ctx: RequestContext, invoiceId: string, outcome: InvoiceStatus.PAID | InvoiceStatus.PAYMENT_FAILED, at: Date): Promise<Invoice | null> {
    return ctx.db.transaction(async (db) => {
      const invoice = await db.findOne(Invoice, { where: { id: invoiceId }, lock: { mode: 'pessimistic_write' } });
      if (!invoice) return null;
      if (invoice.status === outcome || (invoice.status === InvoiceStatus.PAID && outcome === InvoiceStatus.PAYMENT_FAILED)) return invoice;
      if (invoice.status !== InvoiceStatus.FINALIZED && invoice.status !== InvoiceStatus.PAYMENT_FAILED) return null;
      const changes = { status: outcome, ...(outcome === InvoiceStatus.PAID ? { paidAt: at } : {}) };
      await db.update(Invoice, { id: invoice.id }, changes);
      return Object.assign(invoice, changes);
    });
  }

  /** Drafts of an ended period whose grace period is over, to finalize (the billing job). */
  async draftsPastGrace(ctx: RequestContext): Promise<Invoice[]> {
    return ctx.db.getRepository(Invoice).createQueryBuilder('invoice')
      .where('invoice.status = :draft AND invoice.graceUntil <= :now', { draft: InvoiceStatus.DRAFT, now: ctx.now() })
      .orderBy('invoice.createdAt').getMany();
  }
}
