import { InvoiceLineKind } from '../../schema/billing/billing.enums';
import { EntityManager } from 'typeorm';
import { RequestContext } from '../context';

/** One usage line against its events: what the line says and what the events sum to now. */
export interface LineCheck {
  lineId: string;
  expected: bigint;
  actual: bigint;
}

/** The outcome for one invoice. */
export interface Reconciliation {
  invoiceId: string;
  ok: boolean;
  checkedAt: Date;
  /** Every usage line, with its expected (events) and actual (line) quantity. */
  lines: LineCheck[];
}

/**
 * The proof that invoices equal the events behind them: every usage line's quantity is
 * recomputed from usage_event (not from the hourly totals, not from anything billing wrote)
 * in ONE SQL statement for any number of invoices, and compared. An event corrected after
 * finalization (canceled, its quantity changed) shows as a line whose expected differs.
 */
export class ReconciliationService {
  async reconcile(db: EntityManager, checkedAt: Date, invoiceIds: string[]): Promise<Map<string, Reconciliation>> {
    const out = new Map<string, Reconciliation>(invoiceIds.map((id) => [id, { invoiceId: id, ok: true, checkedAt, lines: [] }]));
    if (!invoiceIds.length) return out;
    const rows: Array<{ invoice_id: string; line_id: string; actual: string; expected: string }> = await db.query(
      `SELECT l.invoice_id, l.id AS line_id, l.quantity::text AS actual, COALESCE(s.quantity, 0)::text AS expected
       FROM invoice_line l
       JOIN invoice i ON i.id = l.invoice_id
       LEFT JOIN LATERAL (
         SELECT SUM(e.quantity) AS quantity FROM usage_event e
         WHERE e.organization_id = i.organization_id AND e.occurred_at >= l.service_period_start AND e.occurred_at < l.service_period_end
           AND e.subscription_id = l.subscription_id AND e.model_id = l.model_id AND e.meter = l.meter AND e.canceled_at IS NULL
       ) s ON TRUE
       WHERE l.invoice_id = ANY($1::uuid[]) AND l.kind = $2
       ORDER BY l.invoice_id, l.position`,
      [invoiceIds, InvoiceLineKind.USAGE]);
    for (const r of rows) {
      const check = { lineId: r.line_id, expected: BigInt(r.expected), actual: BigInt(r.actual) };
      const result = out.get(r.invoice_id)!;
      result.lines.push(check);
      if (check.expected !== check.actual) result.ok = false;
    }
    return out;
  }

  /** Every invoice of a period (benchmarks, audits): ids and whether all reconcile. */
  async reconcilePeriod(ctx: RequestContext, periodStart: Date): Promise<{ invoices: number; ok: boolean; mismatched: string[] }> {
    const rows: Array<{ invoice_id: string; ok: boolean }> = await ctx.db.query(
      `WITH lines AS (
         SELECT l.invoice_id, l.quantity, i.organization_id, l.subscription_id, l.model_id, l.meter, l.service_period_start, l.service_period_end
         FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id WHERE i.period_start = $1 AND l.kind = $2),
       sums AS (
         SELECT l.invoice_id, l.subscription_id, l.model_id, l.meter, l.service_period_start, MIN(l.quantity) AS actual, COALESCE(SUM(e.quantity), 0) AS expected
         FROM lines l LEFT JOIN usage_event e ON e.subscription_id = l.subscription_id AND e.model_id = l.model_id AND e.meter = l.meter
           AND e.organization_id = l.organization_id AND e.occurred_at >= l.service_period_start AND e.occurred_at < l.service_period_end AND e.canceled_at IS NULL
         GROUP BY l.invoice_id, l.subscription_id, l.model_id, l.meter, l.service_period_start)
       SELECT i.id AS invoice_id, bool_and(s.actual = s.expected) IS NOT FALSE AS ok
       FROM invoice i LEFT JOIN sums s ON s.invoice_id = i.id WHERE i.period_start = $1 GROUP BY i.id`,
      [periodStart, InvoiceLineKind.USAGE]);
    const mismatched = rows.filter((r) => !r.ok).map((r) => r.invoice_id);
    return { invoices: rows.length, ok: mismatched.length === 0, mismatched };
  }
}
