import { EntityManager } from 'typeorm';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { PricingModel } from '../../schema/catalogue/catalogue.enums';
import { Meter } from '../../schema/metering/meter.enum';
import { BillingPeriod, clip } from './billing-periods';
import { BilledUsageQuery } from './billed-usage.query';
import { BilledPlan, BilledSubscription, buildDraftInvoices, DraftInvoice, PlanSpan, planWindows, splitWindows } from './invoice-builder';

type SpanRow = { plan_id: string; starts_at: string; ends_at: string | null };
type SubscriptionRow = { id: string; organization_id: string; plan_id: string; model_id: string; started_at: Date; ends_at: Date | null; spans: SpanRow[] | null };
type ChargeRow = { id: string; meter: Meter; pricing: PricingModel; unit_price: string | null; tiers: PlanCharge['tiers']; package_size: string | null; free_units: string; position: number };
type PlanRow = { id: string; name: string; currency: string; flat_fee_minor: string; charges: ChargeRow[] | null; model_name: string | null };

const toSubscription = (r: SubscriptionRow): BilledSubscription => ({
  id: r.id, organizationId: r.organization_id, planId: r.plan_id, modelId: r.model_id, startedAt: new Date(r.started_at), endsAt: r.ends_at ? new Date(r.ends_at) : null,
});

/** A subscription's columns and, as JSON, its plan history overlapping [$2, $1) (see SubscriptionPlanPeriod). */
const SUBSCRIPTION_COLUMNS = `s.id, s.organization_id, s.plan_id, s.model_id, s.started_at, s.ends_at,
  (SELECT json_agg(json_build_object('plan_id', p.plan_id, 'starts_at', p.starts_at, 'ends_at', p.ends_at)) FROM subscription_plan_period p
   WHERE p.subscription_id = s.id AND p.starts_at < $1 AND (p.ends_at IS NULL OR p.ends_at > $2)) AS spans`;

/**
 * Computes the draft invoices of a period from the database without writing anything: the one
 * code path behind closing a period, refreshing drafts and previewing the open period. Three
 * statements whatever the number of organisations: the subscriptions with their plan history,
 * the usage sums (BilledUsageQuery), and the plans with their charges and model names.
 */
export class InvoiceDrafts {
  constructor(private readonly usage: BilledUsageQuery) {}

  async compute(db: EntityManager, period: BillingPeriod, organizationIds: string[] | null): Promise<DraftInvoice[]> {
    const params: unknown[] = [period.end, period.start];
    const orgFilter = organizationIds ? ` AND s.organization_id = ANY($3::uuid[])` : '';
    if (organizationIds) params.push(organizationIds);
    const subscriptionRows: SubscriptionRow[] = await db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription s WHERE s.started_at < $1 AND (s.ends_at IS NULL OR s.ends_at > $2)${orgFilter} ORDER BY s.started_at, s.id`, params);
    const subscriptions = subscriptionRows.map(toSubscription);
    const spans: PlanSpan[] = subscriptionRows.flatMap((r) => (r.spans ?? []).map((p) => ({
      subscriptionId: r.id, planId: p.plan_id, startsAt: new Date(p.starts_at), endsAt: p.ends_at ? new Date(p.ends_at) : null,
    })));
    const windows = planWindows(period, subscriptions, spans);
    const usage = await this.usage.sums(db, { period, organizationIds, windows: splitWindows(windows) });
    // NOTE: usage of a subscription that did not run in the period (its events were recorded
    // just before a cancellation took effect, say) is still billed, under its plan.
    const known = new Set(subscriptions.map((s) => s.id));
    const missing = [...new Set(usage.filter((u) => !known.has(u.subscriptionId)).map((u) => u.subscriptionId))];
    if (missing.length) {
      const rows: SubscriptionRow[] = await db.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription s WHERE s.id = ANY($3::uuid[])`, [period.end, period.start, missing]);
      for (const s of rows.map(toSubscription)) windows.push({ key: null, subscription: s, planId: s.planId, usage: period, served: clip({ start: s.startedAt, end: s.endsAt }, period), freeUnitsShare: null });
    }
    const planIds = [...new Set(windows.map((w) => w.planId))];
    if (planIds.length === 0) return [];
    const modelIds = [...new Set(windows.map((w) => w.subscription.modelId))];
    const { plans, modelNames } = await this.plansOf(db, planIds, modelIds);
    return buildDraftInvoices({ period, windows, usage, plans, modelNames });
  }

  /** The plans with their charges (in position order), and the models' names, in one statement. */
  private async plansOf(db: EntityManager, planIds: string[], modelIds: string[]): Promise<{ plans: Map<string, BilledPlan>; modelNames: Map<string, string> }> {
    const rows: PlanRow[] = await db.query(
      `SELECT p.id, p.name, p.currency, p.flat_fee_minor::text AS flat_fee_minor, NULL AS model_name,
         (SELECT json_agg(json_build_object('id', c.id, 'meter', c.meter, 'pricing', c.pricing, 'unit_price', c.unit_price::text, 'tiers', c.tiers,
            'package_size', c.package_size::text, 'free_units', c.free_units::text, 'position', c.position) ORDER BY c.position) FROM plan_charge c WHERE c.plan_id = p.id) AS charges
       FROM plan p WHERE p.id = ANY($1::uuid[])
       UNION ALL SELECT m.id, NULL, NULL, NULL, m.name, NULL FROM model m WHERE m.id = ANY($2::uuid[])`,
      [planIds, modelIds]);
    const plans = new Map<string, BilledPlan>();
    const modelNames = new Map<string, string>();
    for (const r of rows) {
      if (r.model_name !== null) {
        modelNames.set(r.id, r.model_name);
        continue;
      }
      const charges = (r.charges ?? []).map((c): PlanCharge => ({
        id: c.id, planId: r.id, meter: c.meter, pricing: c.pricing, unitPrice: c.unit_price, tiers: c.tiers ?? [],
        packageSize: c.package_size === null ? null : BigInt(c.package_size), freeUnits: BigInt(c.free_units), position: c.position,
      }));
      plans.set(r.id, { id: r.id, name: r.name, currency: r.currency.trim(), flatFeeMinor: BigInt(r.flat_fee_minor), charges });
    }
    return { plans, modelNames };
  }
}
