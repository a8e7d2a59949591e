import { InvoiceLineKind } from '../../schema/billing/billing.enums';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../context';

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
 * Expected quantities of usage lines, as SQL over a `lines` CTE (id, invoice_id, quantity,
 * organization_id, subscription_id, model_id, meter, service_period_start/end, period_start/end):
 * lines that cover their whole period are matched to ONE aggregation of the period's events per
 * (organisation, subscription, model, meter) (a hash join, about the cost of a bare GROUP BY);
 * the few lines of a period split by a plan change sum their own window's events.
 */
const EXPECTED = `
  periods AS (SELECT DISTINCT organization_id, period_start, period_end FROM lines),
  whole AS MATERIALIZED (
    SELECT e.organization_id, p.period_start, e.subscription_id, e.model_id, e.meter, SUM(e.quantity) AS quantity
    FROM periods p JOIN usage_event e ON e.organization_id = p.organization_id AND e.occurred_at >= p.period_start AND e.occurred_at < p.period_end
    WHERE e.canceled_at IS NULL
    GROUP BY e.organization_id, p.period_start, e.subscription_id, e.model_id, e.meter),
  checked AS (
    SELECT l.id, l.invoice_id, l.position, l.quantity AS actual, COALESCE(w.quantity, 0) AS expected
    FROM lines l LEFT JOIN whole w ON w.organization_id = l.organization_id AND w.period_start = l.period_start
      AND w.subscription_id = l.subscription_id AND w.model_id = l.model_id AND w.meter = l.meter
    WHERE l.service_period_start = l.period_start AND l.service_period_end = l.period_end
    UNION ALL
    SELECT l.id, l.invoice_id, l.position, l.quantity, COALESCE((SELECT SUM(e.quantity) FROM usage_event e
      WHERE e.organization_id = l.organization_id AND e.occurred_at >= l.service_period_start AND e.occurred_at < l.service_period_end
        AND e.subscription_id = l.subscription_id AND e.model_id = l.model_id AND e.meter = l.meter AND e.canceled_at IS NULL), 0)
    FROM lines l WHERE NOT (l.service_period_start = l.period_start AND l.service_period_end = l.period_end))`;

const LINES = (where: string) => `lines AS MATERIALIZED (
  SELECT l.id, l.invoice_id, l.position, l.quantity, i.organization_id, i.period_start, i.period_end, l.subscription_id, l.model_id, l.meter,
    l.service_period_start, l.service_period_end
  FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id WHERE ${where} AND l.kind = '${InvoiceLineKind.USAGE}')`;

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
      `WITH ${LINES('l.invoice_id = ANY($1::uuid[])')}, ${EXPECTED}
       SELECT invoice_id, id AS line_id, actual::text, expected::text FROM checked ORDER BY invoice_id, position`,
      [invoiceIds]);
    for (const r of rows) {
      const check = { lineId: r.line_id, expected: BigInt(r.expected), actual: BigInt(r.actual) };
      const result = out.get(r.invoice_id)!;
      result.lines.push(check);
      if (check.expected !== check.actual) result.ok = false;
    }
    return out;
  }

  /** Every invoice of a period (benchmarks, audits), in one statement: how many, and which do not reconcile. */
  async reconcilePeriod(ctx: RequestContext, periodStart: Date): Promise<{ invoices: number; ok: boolean; mismatched: string[] }> {
    const rows: Array<{ invoice_id: string; ok: boolean }> = await ctx.db.query(
      `WITH ${LINES('i.period_start = $1')}, ${EXPECTED}
       SELECT i.id AS invoice_id, COALESCE(bool_and(c.actual = c.expected), TRUE) AS ok
       FROM invoice i LEFT JOIN checked c ON c.invoice_id = i.id WHERE i.period_start = $1 GROUP BY i.id`,
      [periodStart]);
    const mismatched = rows.filter((r) => !r.ok).map((r) => r.invoice_id);
    return { invoices: rows.length, ok: mismatched.length === 0, mismatched };
  }
}
