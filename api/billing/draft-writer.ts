import { EntityManager } from 'typeorm';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { RequestContext } from '../context';
import { BillingPeriod } from './billing-periods';
import { DraftInvoice, DraftLine } from './invoice-builder';

type ExistingInvoice = { id: string; organization_id: string; currency: string; status: InvoiceStatus; grace_until: Date };

const LINE_COLUMNS = ['invoice_id', 'kind', 'description', 'subscription_id', 'plan_id', 'model_id', 'meter', 'quantity', 'billable_units',
  'unit_price', 'amount_minor', 'service_period_start', 'service_period_end', 'position'];
const ANALYZE_AFTER_LINES = 1000;
const LINE_TYPES = ['uuid', 'text', 'text', 'uuid', 'uuid', 'uuid', 'text', 'bigint', 'bigint', 'text', 'bigint', 'timestamptz', 'timestamptz', 'int'];

/**
 * Writes computed drafts: missing invoices inserted, drafts in grace refreshed (lines replaced),
 * everything else left alone. Set-based: a handful of statements whatever the number of invoices
 * (arrays unnested in SQL), so a close costs about its aggregation.
 */
export class DraftWriter {
  constructor(private readonly options: { gracePeriodSeconds: number }) {}

  /** Serialises writers of one period (every replica's close job, an ADMIN's closeBillingPeriod). */
  async lockPeriod(db: EntityManager, period: BillingPeriod): Promise<void> {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`billing-period:${period.start.toISOString()}`]);
  }

  async write(ctx: RequestContext, period: BillingPeriod, drafts: DraftInvoice[], organizationIds: string[] | null) {
    const db = ctx.db;
    const now = ctx.now();
    const orgs = [...new Set(drafts.map((d) => d.organizationId))];
    await this.ensureAccounts(db, orgs);
    const existing: ExistingInvoice[] = await db.query(
      `SELECT id, organization_id, currency, status, grace_until FROM invoice WHERE period_start = $1${organizationIds ? ' AND organization_id = ANY($2::uuid[])' : ''}`,
      organizationIds ? [period.start, organizationIds] : [period.start]);
    const byKey = new Map(existing.map((e) => [`${e.organization_id}/${e.currency.trim()}`, e]));
    const refreshable = existing.filter((e) => e.status === InvoiceStatus.DRAFT && new Date(e.grace_until) > now);
    const draftByKey = new Map(drafts.map((d) => [`${d.organizationId}/${d.currency}`, d]));
    const fresh = drafts.filter((d) => !byKey.has(`${d.organizationId}/${d.currency}`));
    const lines: Array<{ invoiceId: string; line: DraftLine }> = [];
    if (fresh.length) {
      const created: Array<{ id: string; organization_id: string; currency: string }> = await db.query(
        `INSERT INTO invoice (organization_id, currency, period_start, period_end, status, subtotal_minor, total_minor, grace_until, refreshed_at)
         SELECT d.org, d.currency, $3, $4, '${InvoiceStatus.DRAFT}', d.subtotal, d.subtotal, $4::timestamptz + make_interval(secs => COALESCE(b.grace_period_seconds, $5)), $6
         FROM unnest($1::uuid[], $2::text[], $7::bigint[]) AS d(org, currency, subtotal)
         LEFT JOIN billing_account b ON b.organization_id = d.org
         ON CONFLICT (organization_id, period_start, currency) DO NOTHING
         RETURNING id, organization_id, currency`,
        [fresh.map((d) => d.organizationId), fresh.map((d) => d.currency), period.start, period.end, this.options.gracePeriodSeconds, now, fresh.map((d) => d.subtotalMinor.toString())]);
      for (const row of created) {
        const draft = draftByKey.get(`${row.organization_id}/${row.currency.trim()}`)!;
        for (const line of draft.lines) lines.push({ invoiceId: row.id, line });
      }
    }
    if (refreshable.length) {
      const ids = refreshable.map((e) => e.id);
      await db.query(`DELETE FROM invoice_line WHERE invoice_id = ANY($1::uuid[])`, [ids]);
      const subtotals = refreshable.map((e) => (draftByKey.get(`${e.organization_id}/${e.currency.trim()}`)?.subtotalMinor ?? 0n).toString());
      await db.query(`UPDATE invoice i SET subtotal_minor = u.subtotal, total_minor = u.subtotal, refreshed_at = $3, updated_at = $3
        FROM unnest($1::uuid[], $2::bigint[]) AS u(id, subtotal) WHERE i.id = u.id`, [ids, subtotals, now]);
      for (const e of refreshable) {
        for (const line of draftByKey.get(`${e.organization_id}/${e.currency.trim()}`)?.lines ?? []) lines.push({ invoiceId: e.id, line });
      }
    }
    await this.insertLines(db, lines);
    // NOTE: a close writes a period's invoices at once; fresh statistics of invoice (a row per
    // organisation, cheap to sample) keep the planner's estimates of a period's invoices right
    // (reconciliation, finance views) without waiting for autovacuum. invoice_line is reached
    // through its invoices (index or hash join), and sampling it would cost a close about as
    // much as writing its lines; autovacuum analyses it.
    if (lines.length >= ANALYZE_AFTER_LINES) await db.query('ANALYZE invoice');
    return { created: fresh.length, refreshed: refreshable.length, unchanged: existing.length - refreshable.length };
  }

  private async insertLines(db: EntityManager, lines: Array<{ invoiceId: string; line: DraftLine }>): Promise<void> {
    if (!lines.length) return;
    const columns: unknown[][] = LINE_COLUMNS.map(() => []);
    for (const { invoiceId, line: l } of lines) {
      [invoiceId, l.kind, l.description, l.subscriptionId, l.planId, l.modelId, l.meter, l.quantity.toString(), l.billableUnits.toString(), l.unitPrice,
        l.amountMinor.toString(), l.servicePeriodStart.toISOString(), l.servicePeriodEnd.toISOString(), l.position].forEach((v, i) => columns[i].push(v));
    }
    await db.query(`INSERT INTO invoice_line (${LINE_COLUMNS.join(', ')})
      SELECT * FROM unnest(${LINE_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`, columns);
  }

  /** A billing account (invoice sequence, number prefix) for each organisation: the prefix from its name, unique. */
  private async ensureAccounts(db: EntityManager, organizationIds: string[]): Promise<void> {
    if (!organizationIds.length) return;
    await db.query(`INSERT INTO billing_account (organization_id, number_prefix)
      SELECT c.id, CASE WHEN c.rank = 1 AND NOT EXISTS (SELECT 1 FROM billing_account b WHERE b.number_prefix = c.prefix) THEN c.prefix
                        ELSE c.prefix || upper(left(replace(c.id::text, '-', ''), 6)) END
      FROM (SELECT o.id, p.prefix, row_number() OVER (PARTITION BY p.prefix ORDER BY o.created_at, o.id) AS rank
            FROM organization o
            CROSS JOIN LATERAL (SELECT COALESCE(NULLIF(upper(left(regexp_replace(o.name, '[^A-Za-z0-9]', '', 'g'), 12)), ''), 'ORG') AS prefix) p
            WHERE o.id = ANY($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM billing_account b WHERE b.organization_id = o.id)) c
      ON CONFLICT (organization_id) DO NOTHING`, [organizationIds]);
  }
}
