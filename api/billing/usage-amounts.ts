import { EntityManager } from 'typeorm';
import { calendarMonthOf } from '../subscriptions/billing-period';
import { BillingPeriod } from './billing-periods';
import { InvoiceDrafts } from './invoice-drafts';

/** A usage line's key, quantity and rated amount: what its events share. */
interface PricedLine {
  quantity: bigint;
  amountMinor: bigint;
  currency: string;
  start: number;
  end: number;
  /** The line's counted quantity allotted so far (events before the export window first). */
  allotted: bigint;
}

/** What an exported event is worth: its share of its line's amount, in the line's currency (null: no line bills it). */
export interface EventAmount {
  amountMinor: bigint;
  currency: string;
}

const keyOf = (org: string, subscription: string, model: string, meter: string) => `${org}/${subscription}/${model}/${meter}`;

/**
 * Amounts of usage events for the usage export: rating happens per invoice line (free units,
 * tiers and packages price a period's total, never one event), so an event's amount is its share
 * of the rated amount of the line that bills it, allotted in event order (occurred_at, id) by
 * cumulative rounding: the first k events of a line get floor(amount x q_k / quantity), where q_k
 * is their counted quantity, so the events of a line add up to the line's amount exactly. The
 * lines are the invoices' (any status) where an organisation has one for the period, else the
 * drafts the period would produce now (the close's own code path, InvoiceDrafts). Canceled events
 * and events no line bills get no amount.
 *
 * NOTE: an event counted after its invoice was finalized (reconciliation says so) is allotted
 * only what the line has left: the events of a line never add up to more than its amount.
 */
export class UsageAmounts {
  private readonly lines = new Map<string, PricedLine[]>();

  private constructor() {}

  /** The lines of every period that [from, to) touches, for one organisation or all, and what their events before `from` took. */
  static async load(db: EntityManager, drafts: InvoiceDrafts, from: Date, to: Date, organizationId: string | null): Promise<UsageAmounts> {
    const amounts = new UsageAmounts();
    const periods: BillingPeriod[] = [];
    for (let period = calendarMonthOf(from); period.start < to; period = calendarMonthOf(period.end)) periods.push(period);
    for (const period of periods) {
      const invoiced: Array<{ organization_id: string; subscription_id: string; model_id: string; meter: string; quantity: string; amount_minor: string; currency: string;
        service_period_start: Date; service_period_end: Date }> = await db.query(
        `SELECT i.organization_id, l.subscription_id, l.model_id, l.meter, l.quantity::text AS quantity, l.amount_minor::text AS amount_minor, i.currency,
           l.service_period_start, l.service_period_end
         FROM invoice i JOIN invoice_line l ON l.invoice_id = i.id
         WHERE i.period_start = $1 AND l.kind = 'USAGE'${organizationId ? ' AND i.organization_id = $2' : ''}`,
        organizationId ? [period.start, organizationId] : [period.start]);
      const invoicedOrgs = new Set<string>();
      for (const l of invoiced) {
        invoicedOrgs.add(l.organization_id);
        amounts.add(keyOf(l.organization_id, l.subscription_id, l.model_id, l.meter), BigInt(l.quantity), BigInt(l.amount_minor), l.currency.trim(),
          new Date(l.service_period_start), new Date(l.service_period_end));
      }
      for (const draft of await drafts.compute(db, period, organizationId ? [organizationId] : null)) {
        if (invoicedOrgs.has(draft.organizationId)) continue;
        for (const l of draft.lines) {
          if (l.meter) amounts.add(keyOf(draft.organizationId, l.subscriptionId, l.modelId, l.meter), l.quantity, l.amountMinor, draft.currency, l.servicePeriodStart, l.servicePeriodEnd);
        }
      }
    }
    await amounts.allotBefore(db, from);
    return amounts;
  }

  private add(key: string, quantity: bigint, amountMinor: bigint, currency: string, start: Date, end: Date): void {
    const line = { quantity, amountMinor, currency, start: start.getTime(), end: end.getTime(), allotted: 0n };
    const lines = this.lines.get(key);
    if (lines) lines.push(line);
    else this.lines.set(key, [line]);
  }

  /** The counted quantity of each line's events before `from` (one statement), so allotting starts where they left off. */
  private async allotBefore(db: EntityManager, from: Date): Promise<void> {
    const started = [...this.lines].flatMap(([key, lines]) => lines.filter((l) => l.start < from.getTime()).map((line) => ({ key, line })));
    if (!started.length) return;
    const parts = started.map(({ key }) => key.split('/'));
    const rows: Array<{ n: number; quantity: string }> = await db.query(
      `SELECT k.n::int AS n, COALESCE(SUM(e.quantity), 0)::text AS quantity
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS k(org, subscription, model, meter, start, n)
       JOIN usage_event e ON e.organization_id = k.org AND e.subscription_id = k.subscription AND e.model_id = k.model AND e.meter = k.meter
         AND e.occurred_at >= k.start AND e.occurred_at < $6 AND e.canceled_at IS NULL
       GROUP BY k.n`,
      [parts.map((p) => p[0]), parts.map((p) => p[1]), parts.map((p) => p[2]), parts.map((p) => p[3]), started.map(({ line }) => new Date(line.start).toISOString()), from]);
    for (const r of rows) started[r.n - 1].line.allotted = BigInt(r.quantity);
  }

  /** The amount of the next event in export order, or null when no line bills it. Call once per event, in (occurred_at, id) order. */
  next(event: { organizationId: string; subscriptionId: string | null; modelId: string; meter: string; quantity: bigint; occurredAt: Date; canceled: boolean }): EventAmount | null {
    if (!event.subscriptionId || event.canceled) return null;
    const at = event.occurredAt.getTime();
    const line = this.lines.get(keyOf(event.organizationId, event.subscriptionId, event.modelId, event.meter))?.find((l) => l.start <= at && at < l.end);
    if (!line) return null;
    if (line.quantity <= 0n) return { amountMinor: 0n, currency: line.currency };
    const before = line.allotted < line.quantity ? line.allotted : line.quantity;
    line.allotted += event.quantity;
    const after = line.allotted < line.quantity ? line.allotted : line.quantity;
    return { amountMinor: (line.amountMinor * after) / line.quantity - (line.amountMinor * before) / line.quantity, currency: line.currency };
  }
}
