import { randomBytes } from 'node:crypto';
import type { FormValue } from './form-body';

/** A Stripe object as the API answers it (JSON). */
export type StripeObject = Record<string, any> & { id: string; object: string };

/** An API error answer: HTTP status and Stripe's `{ error: { type, code, message, param } }`. */
export class StripeApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly code?: string, readonly param?: string) {
    super(message);
  }
}

export type Params = Record<string, FormValue>;

const INTEGER_FIELDS = new Set(['amount', 'unit_amount', 'quantity', 'days_until_due', 'up_to', 'divide_by', 'limit']);
const BOOLEAN_FIELDS = new Set(['auto_advance', 'active', 'paid_out_of_band']);

/** Turns the form's strings into the types Stripe's JSON has, for the fields this store reads. */
function coerce(value: FormValue, key = ''): any {
  if (Array.isArray(value)) return value.map((v) => coerce(v));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerce(v, k)]));
  if (INTEGER_FIELDS.has(key) && /^-?\d+$/.test(value)) return Number(value);
  if (BOOLEAN_FIELDS.has(key)) return value === 'true';
  return value;
}

const PREFIX: Record<string, string> = {
  customer: 'cus', product: 'prod', price: 'price', invoiceitem: 'ii', invoice: 'in', line_item: 'il', event: 'evt',
};

function newId(object: string): string {
  return `${PREFIX[object]}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The objects of the local Stripe server and the rules of the resources it has: customers,
 * products, prices, invoice items, invoices (draft -> open -> paid | void). Every state change
 * that Stripe announces becomes an event in `events`.
 */
export class StripeStore {
  readonly objects = new Map<string, StripeObject>();
  readonly events: StripeObject[] = [];
  /** When true, paying an invoice fails as a declined card (402) and emits invoice.payment_failed. */
  declinePayments = false;

  /** How many objects of each kind exist (tests assert "exactly one"). */
  count(object: string): number {
    let n = 0;
    for (const o of this.objects.values()) if (o.object === object) n++;
    return n;
  }

  list(object: string, filter: (o: StripeObject) => boolean = () => true): StripeObject[] {
    return [...this.objects.values()].filter((o) => o.object === object && filter(o));
  }

  getOrThrow(object: string, id: string): StripeObject {
    const found = this.objects.get(id);
    if (!found || found.object !== object) throw new StripeApiError(404, 'invalid_request_error', `No such ${object}: '${id}'`, 'resource_missing', 'id');
    return found;
  }

  create(object: string, params: Params): StripeObject {
    const fields = coerce(params);
    delete fields.expand;
    const created = this.build(object, fields);
    this.objects.set(created.id, created);
    if (object === 'invoice') this.emit('invoice.created', created);
    return this.view(created);
  }

  /** The object as the API shows it: invoices carry their lines and totals. */
  view(o: StripeObject): StripeObject {
    if (o.object !== 'invoice') return structuredClone(o);
    const items = this.list('invoiceitem', (i) => i.invoice === o.id);
    const total = items.reduce((sum, i) => sum + i.amount, 0);
    const lines = items.map((i) => ({
      id: i.line_id, object: 'line_item', amount: i.amount, currency: i.currency, description: i.description,
      metadata: i.metadata, quantity: i.quantity, invoice: o.id, parent: { type: 'invoice_item_details', invoice_item_details: { invoice_item: i.id } },
    }));
    const paid = o.status === 'paid' ? total : 0;
    return structuredClone({
      ...o, subtotal: total, total, amount_due: total, amount_paid: paid, amount_remaining: o.status === 'void' ? 0 : total - paid,
      lines: { object: 'list', data: lines, has_more: false, total_count: lines.length, url: `/v1/invoices/${o.id}/lines` },
    });
  }

  private build(object: string, fields: Record<string, any>): StripeObject {
    const base = { id: newId(object), object, created: nowSeconds(), livemode: false, metadata: fields.metadata ?? {} };
    switch (object) {
      case 'customer':
        return { ...base, name: null, email: null, description: null, ...fields, metadata: base.metadata };
      case 'product':
        if (!fields.name) throw new StripeApiError(400, 'invalid_request_error', 'Missing required param: name.', 'parameter_missing', 'name');
        return { ...base, active: true, description: null, ...fields, metadata: base.metadata };
      case 'price':
        this.getOrThrow('product', fields.product);
        return { ...base, active: true, billing_scheme: 'per_unit', type: fields.recurring ? 'recurring' : 'one_time', unit_amount: null, ...fields, metadata: base.metadata };
      case 'invoiceitem':
        return this.buildInvoiceItem(base, fields);
      case 'invoice':
        this.getOrThrow('customer', fields.customer);
        return {
          ...base, status: 'draft', number: null, auto_advance: false, collection_method: 'charge_automatically', attempt_count: 0, attempted: false,
          currency: 'usd', ...fields, metadata: base.metadata, status_transitions: { finalized_at: null, paid_at: null, voided_at: null },
        };
      default:
        throw new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL for ${object}`);
    }
  }

  private buildInvoiceItem(base: StripeObject, fields: Record<string, any>): StripeObject {
    this.getOrThrow('customer', fields.customer);
    if (!Number.isInteger(fields.amount)) throw new StripeApiError(400, 'invalid_request_error', 'amount must be an integer in minor units', 'parameter_invalid_integer', 'amount');
    if (fields.invoice) {
      const invoice = this.getOrThrow('invoice', fields.invoice);
      if (invoice.status !== 'draft') throw new StripeApiError(400, 'invalid_request_error', `Invoice ${invoice.id} is not a draft; items cannot be added`, 'invoice_not_editable', 'invoice');
      if (fields.currency && fields.currency !== invoice.currency) throw new StripeApiError(400, 'invalid_request_error', 'currency differs from the invoice\'s', 'currency_mismatch', 'currency');
    }
    return { ...base, invoice: null, quantity: 1, date: base.created, description: null, ...fields, metadata: base.metadata, line_id: newId('line_item') };
  }

  /** draft -> open (numbered); an invoice of zero is paid at once, as on Stripe. */
  finalize(id: string): StripeObject {
    const invoice = this.getOrThrow('invoice', id);
    if (invoice.status !== 'draft') throw this.stateError(invoice, 'finalized');
    invoice.status = 'open';
    invoice.number = `LOCAL-${String(this.list('invoice', (i) => i.number).length + 1).padStart(4, '0')}`;
    invoice.status_transitions.finalized_at = nowSeconds();
    this.emit('invoice.finalized', invoice);
    if (this.view(invoice).total === 0) this.markPaid(invoice);
    return this.view(invoice);
  }

  /** open -> paid, or with `declinePayments` a 402 card error and invoice.payment_failed. */
  pay(id: string, params: Params): StripeObject {
    const invoice = this.getOrThrow('invoice', id);
    if (invoice.status !== 'open') throw this.stateError(invoice, 'paid');
    invoice.attempted = true;
    if (this.declinePayments && params.paid_out_of_band !== 'true') {
      invoice.attempt_count += 1;
      this.emit('invoice.payment_failed', invoice);
      throw new StripeApiError(402, 'card_error', 'Your card was declined.', 'card_declined');
    }
    invoice.attempt_count += 1;
    this.markPaid(invoice);
    return this.view(invoice);
  }

  void(id: string): StripeObject {
    const invoice = this.getOrThrow('invoice', id);
    if (invoice.status !== 'open') throw this.stateError(invoice, 'voided');
    invoice.status = 'void';
    invoice.status_transitions.voided_at = nowSeconds();
    this.emit('invoice.voided', invoice);
    return this.view(invoice);
  }

  private markPaid(invoice: StripeObject): void {
    invoice.status = 'paid';
    invoice.status_transitions.paid_at = nowSeconds();
    this.emit('invoice.payment_succeeded', invoice);
    this.emit('invoice.paid', invoice);
  }

  private stateError(invoice: StripeObject, verb: string): StripeApiError {
    return new StripeApiError(400, 'invalid_request_error', `Invoice ${invoice.id} is ${invoice.status} and cannot be ${verb}`, 'invoice_unexpected_state');
  }

  /** Records an event with a snapshot of the object, as Stripe sends it to webhook endpoints. */
  private emit(type: string, object: StripeObject): void {
    this.events.push({
      id: newId('event'), object: 'event', api_version: '2025-11-17.clover', created: nowSeconds(), type, livemode: false,
      pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object: this.view(object) },
    });
  }
}
