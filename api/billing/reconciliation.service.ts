import { InvoiceLineKind } from '../../schema/billing/billing.enums';
import { EntityManager } from 'typeorm';
import { Meter } from '../../schema/metering/meter.enum';
import { NO_ID } from '../../schema/metering/hourly-usage-total.entity';
import type { RequestContext } from '../context';
import { calendarMonthOf } from '../subscriptions/billing-period';

/**
 * One usage line against its events: what the line says and what the events sum to now. A check
 * without a line (`lineId` null) is usage of the invoice's organisation and period that no line
 * bills: events of a (subscription, model, meter) with no usage line (recorded after the
 * invoice was finalized, say); its actual is 0.
 */
export interface LineCheck {
  lineId: string | null;
  subscriptionId: string;
  modelId: string;
  meter: Meter;
  expected: bigint;
  actual: bigint;
}

/** The outcome for one invoice. */
export interface Reconciliation {
  invoiceId: string;
  ok: boolean;
  checkedAt: Date;
  /** Every usage line, with its expected (events) and actual (line) quantity, then the usage no line bills. */
  lines: LineCheck[];
}

/**
 * Expected quantities of usage lines, as SQL over an `invoices` CTE (id, organization_id,
 * currency, period_start, period_end) and a `lines` CTE (their usage lines: id, invoice_id,
 * position, quantity, organization_id, period_start/end, subscription_id, model_id, meter,
 * service_period_start/end): lines that cover their whole period are matched to ONE aggregation
 * of the periods' events per (organisation, period, subscription, model, meter) (`whole`: a page
 * of invoices probes its organisations' index, a whole period scans its time span once, about the
 * cost of a bare GROUP BY); the few lines of a period split by a plan change sum their own
 * window's events; and every billable key of that aggregation that no line of the organisation's
 * period names comes back line-less (expected: its events, actual: 0), on the invoice in its
 * subscription's currency.
 */
/** The periods' events per (organisation, period, subscription, model, meter), for a page of invoices: an index probe per organisation and period. */
const WHOLE_OF_PAGE = `SELECT e.organization_id, p.period_start, e.subscription_id, e.model_id, e.meter, SUM(e.quantity) AS quantity
    FROM periods p JOIN usage_event e ON e.organization_id = p.organization_id AND e.occurred_at >= p.period_start AND e.occurred_at < p.period_end
    WHERE e.canceled_at IS NULL
    GROUP BY e.organization_id, p.period_start, e.subscription_id, e.model_id, e.meter`;

/** The same for every invoice of ONE period [$1, $2): its time span scanned once and hashed, then kept for the invoices' organisations. */
const WHOLE_OF_PERIOD = `SELECT w.* FROM (
      SELECT e.organization_id, $1::timestamptz AS period_start, e.subscription_id, e.model_id, e.meter, SUM(e.quantity) AS quantity
      FROM usage_event e WHERE e.canceled_at IS NULL AND e.occurred_at >= $1 AND e.occurred_at < $2
      GROUP BY e.organization_id, e.subscription_id, e.model_id, e.meter) w
    WHERE EXISTS (SELECT 1 FROM periods p WHERE p.organization_id = w.organization_id)`;

const expected = (whole: string) => `
  periods AS (SELECT DISTINCT organization_id, period_start, period_end FROM invoices),
  whole AS MATERIALIZED (${whole}),
  unbilled AS MATERIALIZED (
    SELECT w.* FROM whole w LEFT JOIN lines l ON l.organization_id = w.organization_id AND l.period_start = w.period_start
      AND l.subscription_id = w.subscription_id AND l.model_id = w.model_id AND l.meter = w.meter
    WHERE l.id IS NULL AND w.subscription_id IS NOT NULL AND w.subscription_id <> '${NO_ID}'::uuid),
  checked AS (
    SELECT l.id, l.invoice_id, l.position, l.subscription_id, l.model_id, l.meter, l.quantity AS actual, COALESCE(w.quantity, 0) AS expected
    FROM lines l LEFT JOIN whole w ON w.organization_id = l.organization_id AND w.period_start = l.period_start
      AND w.subscription_id = l.subscription_id AND w.model_id = l.model_id AND w.meter = l.meter
    WHERE l.service_period_start = l.period_start AND l.service_period_end = l.period_end
    UNION ALL
    SELECT l.id, l.invoice_id, l.position, l.subscription_id, l.model_id, l.meter, l.quantity, COALESCE((SELECT SUM(e.quantity) FROM usage_event e
      WHERE e.organization_id = l.organization_id AND e.occurred_at >= l.service_period_start AND e.occurred_at < l.service_period_end
        AND e.subscription_id = l.subscription_id AND e.model_id = l.model_id AND e.meter = l.meter AND e.canceled_at IS NULL), 0)
    FROM lines l WHERE NOT (l.service_period_start = l.period_start AND l.service_period_end = l.period_end)
    UNION ALL
    SELECT NULL::uuid, i.id, NULL::int, u.subscription_id, u.model_id, u.meter, 0, u.quantity
    FROM unbilled u JOIN subscription s ON s.id = u.subscription_id JOIN plan p ON p.id = s.plan_id
      JOIN invoices i ON i.organization_id = u.organization_id AND i.period_start = u.period_start AND i.currency = p.currency)`;

const INVOICES_AND_LINES = (where: string) => `invoices AS MATERIALIZED (
  SELECT i.id, i.organization_id, i.currency, i.period_start, i.period_end FROM invoice i WHERE ${where}),
lines AS MATERIALIZED (
  SELECT l.id, l.invoice_id, l.position, l.quantity, i.organization_id, i.period_start, i.period_end, l.subscription_id, l.model_id, l.meter,
    l.service_period_start, l.service_period_end
  FROM invoice_line l JOIN invoices i ON i.id = l.invoice_id WHERE l.kind = '${InvoiceLineKind.USAGE}')`;

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
    const rows: Array<{ invoice_id: string; line_id: string | null; subscription_id: string; model_id: string; meter: Meter; actual: string; expected: string }> = await db.query(
      `WITH ${INVOICES_AND_LINES('i.id = ANY($1::uuid[])')}, ${expected(WHOLE_OF_PAGE)}
       SELECT invoice_id, id AS line_id, subscription_id, model_id, meter, actual::text, expected::text FROM checked
       ORDER BY invoice_id, position NULLS LAST, subscription_id, model_id, meter`,
      [invoiceIds]);
    for (const r of rows) {
      const check: LineCheck = { lineId: r.line_id, subscriptionId: r.subscription_id, modelId: r.model_id, meter: r.meter, expected: BigInt(r.expected), actual: BigInt(r.actual) };
      const result = out.get(r.invoice_id)!;
      result.lines.push(check);
      if (check.lineId === null || check.expected !== check.actual) result.ok = false;
    }
    return out;
  }

  /** Every invoice of a period (benchmarks, audits), in one statement: how many, and which do not reconcile. */
  async reconcilePeriod(ctx: RequestContext, periodStart: Date): Promise<{ invoices: number; ok: boolean; mismatched: string[] }> {
    const rows: Array<{ invoice_id: string; ok: boolean }> = await ctx.db.query(
      `WITH ${INVOICES_AND_LINES('i.period_start = $1')}, ${expected(WHOLE_OF_PERIOD)}
       SELECT i.id AS invoice_id, bool_and(c.invoice_id IS NULL OR (c.id IS NOT NULL AND c.actual = c.expected)) AS ok
       FROM invoices i LEFT JOIN checked c ON c.invoice_id = i.id GROUP BY i.id`,
      [periodStart, calendarMonthOf(periodStart).end]);
    const mismatched = rows.filter((r) => !r.ok).map((r) => r.invoice_id);
    return { invoices: rows.length, ok: mismatched.length === 0, mismatched };
  }
}
