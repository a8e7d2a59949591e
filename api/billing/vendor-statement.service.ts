import Decimal from 'decimal.js';
import { Organization, OrganizationKind } from '../../schema/accounts/organization.entity';
import { InvoiceStatus } from '../../schema/billing/billing.enums';
import { rowIdOf } from '../../schema/common/global-id';
import { isAdmin, RequestContext } from '../context';
import { badUserInput, notFound } from '../common/errors';
import { MoneyDecimal } from '../common/money';
import { BillingPeriod } from './billing-periods';

/** One model's revenue in one currency, split between the platform and the vendor (minor units). */
export interface StatementShare {
  modelId: string;
  currency: string;
  grossMinor: bigint;
  platformShareMinor: bigint;
  netPayableMinor: bigint;
}

/**
 * Splits gross amounts by a percentage so that the parts add up exactly: the total share is the
 * total gross x percent rounded half-up once, and it is allocated to the items by largest
 * remainder (each gets its share rounded down, the leftover minor units go one each to the
 * largest fractional parts, ties by position). So shares sum to the total share and every
 * item's share + net = its gross.
 */
export function allocateShares(grosses: bigint[], percent: Decimal.Value): bigint[] {
  const rate = new MoneyDecimal(percent).div(100);
  const exact = grosses.map((g) => new MoneyDecimal(g.toString()).mul(rate));
  const total = BigInt(exact.reduce((a, b) => a.add(b), new MoneyDecimal(0)).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
  const floors = exact.map((e) => BigInt(e.floor().toFixed(0)));
  let left = total - floors.reduce((a, b) => a + b, 0n);
  const order = exact.map((e, i) => ({ i, fraction: e.sub(e.floor()) })).sort((a, b) => b.fraction.comparedTo(a.fraction) || a.i - b.i);
  const shares = [...floors];
  for (const { i } of order) {
    if (left <= 0n) break;
    shares[i] += 1n;
    left -= 1n;
  }
  return shares;
}

/** vendorStatement: a vendor's gross revenue per model in a period, the platform's share and the net payable. */
export class VendorStatementService {
  constructor(private readonly options: { platformSharePercent: string }) {}

  get platformSharePercent(): string {
    return this.options.platformSharePercent;
  }

  /** VENDOR: its own organisation; ADMIN: the vendor named by `vendorId`. */
  async vendorOf(ctx: RequestContext, vendorId: string | null | undefined): Promise<Organization> {
    if (!isAdmin(ctx) || !vendorId) {
      if (isAdmin(ctx) && !vendorId && ctx.principal?.organizationKind !== OrganizationKind.VENDOR) throw badUserInput('vendorId is required for ADMIN', { field: 'vendorId' });
      return (await ctx.db.findOneBy(Organization, { id: ctx.principal!.organizationId }))!;
    }
    const id = rowIdOf(vendorId, 'Organization');
    const vendor = id ? await ctx.db.findOneBy(Organization, { id }) : null;
    if (!vendor || vendor.kind !== OrganizationKind.VENDOR) throw notFound('Vendor');
    return vendor;
  }

  async shares(ctx: RequestContext, vendor: Organization, period: BillingPeriod): Promise<StatementShare[]> {
    const rows: Array<{ model_id: string; currency: string; gross: string }> = await ctx.db.query(
      `SELECT l.model_id, i.currency, SUM(l.amount_minor)::text AS gross
       FROM invoice i JOIN invoice_line l ON l.invoice_id = i.id JOIN model m ON m.id = l.model_id
       WHERE m.organization_id = $1 AND i.period_start = $2 AND i.status = ANY($3::text[])
       GROUP BY l.model_id, i.currency ORDER BY i.currency, l.model_id`,
      [vendor.id, period.start, [InvoiceStatus.FINALIZED, InvoiceStatus.PAID, InvoiceStatus.PAYMENT_FAILED]]);
    const out: StatementShare[] = [];
    for (const currency of [...new Set(rows.map((r) => r.currency.trim()))]) {
      const items = rows.filter((r) => r.currency.trim() === currency);
      const grosses = items.map((r) => BigInt(r.gross));
      const shares = allocateShares(grosses, this.options.platformSharePercent);
      items.forEach((r, i) => out.push({ modelId: r.model_id, currency, grossMinor: grosses[i], platformShareMinor: shares[i], netPayableMinor: grosses[i] - shares[i] }));
    }
    return out;
  }
}
