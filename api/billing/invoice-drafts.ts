import { EntityManager, In } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { BillingPeriod, clip } from './billing-periods';
import { BilledUsageQuery } from './billed-usage.query';
import { BilledPlan, BilledSubscription, buildDraftInvoices, DraftInvoice, PlanSpan, planWindows, splitWindows } from './invoice-builder';

type SubscriptionRow = { id: string; organization_id: string; plan_id: string; model_id: string; started_at: Date; ends_at: Date | null };

const toSubscription = (r: SubscriptionRow): BilledSubscription => ({
  id: r.id, organizationId: r.organization_id, planId: r.plan_id, modelId: r.model_id, startedAt: new Date(r.started_at), endsAt: r.ends_at ? new Date(r.ends_at) : null,
});

const SUBSCRIPTION_COLUMNS = 'id, organization_id, plan_id, model_id, started_at, ends_at';

/**
 * Computes the draft invoices of a period from the database without writing anything: the one
 * code path behind closing a period, refreshing drafts and previewing the open period.
 */
export class InvoiceDrafts {
  constructor(private readonly usage: BilledUsageQuery) {}

  async compute(db: EntityManager, period: BillingPeriod, organizationIds: string[] | null): Promise<DraftInvoice[]> {
    const params: unknown[] = [period.end, period.start];
    const orgFilter = organizationIds ? ` AND organization_id = ANY($3::uuid[])` : '';
    if (organizationIds) params.push(organizationIds);
    const subscriptionRows: SubscriptionRow[] = await db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription WHERE started_at < $1 AND (ends_at IS NULL OR ends_at > $2)${orgFilter} ORDER BY started_at, id`, params);
    const subscriptions = subscriptionRows.map(toSubscription);
    const spanRows: Array<{ subscription_id: string; plan_id: string; starts_at: Date; ends_at: Date | null }> = subscriptions.length
      ? await db.query(`SELECT subscription_id, plan_id, starts_at, ends_at FROM subscription_plan_period
          WHERE subscription_id = ANY($1::uuid[]) AND starts_at < $2 AND (ends_at IS NULL OR ends_at > $3)`, [subscriptions.map((s) => s.id), period.end, period.start])
      : [];
    const spans: PlanSpan[] = spanRows.map((r) => ({ subscriptionId: r.subscription_id, planId: r.plan_id, startsAt: new Date(r.starts_at), endsAt: r.ends_at ? new Date(r.ends_at) : null }));
    const windows = planWindows(period, subscriptions, spans);
    const usage = await this.usage.sums(db, { period, organizationIds, windows: splitWindows(windows) });
    // NOTE: usage of a subscription that did not run in the period (its events were recorded
    // just before a cancellation took effect, say) is still billed, under its plan.
    const known = new Set(subscriptions.map((s) => s.id));
    const missing = [...new Set(usage.filter((u) => !known.has(u.subscriptionId)).map((u) => u.subscriptionId))];
    if (missing.length) {
      const rows: SubscriptionRow[] = await db.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscription WHERE id = ANY($1::uuid[])`, [missing]);
      for (const s of rows.map(toSubscription)) windows.push({ key: null, subscription: s, planId: s.planId, usage: period, served: clip({ start: s.startedAt, end: s.endsAt }, period) });
    }
    const planIds = [...new Set(windows.map((w) => w.planId))];
    const modelIds = [...new Set([...windows.map((w) => w.subscription.modelId), ...usage.map((u) => u.modelId)])];
    if (planIds.length === 0) return [];
    const [plans, charges, models] = [
      await db.find(Plan, { where: { id: In(planIds) } }),
      await db.find(PlanCharge, { where: { planId: In(planIds) }, order: { position: 'ASC' } }),
      (await db.query('SELECT id, name FROM model WHERE id = ANY($1::uuid[])', [modelIds])) as Array<{ id: string; name: string }>,
    ];
    const billedPlans = new Map<string, BilledPlan>(plans.map((p) => [p.id, { id: p.id, name: p.name, currency: p.currency, flatFeeMinor: p.flatFeeMinor, charges: charges.filter((c) => c.planId === p.id) }]));
    return buildDraftInvoices({ period, windows, usage, plans: billedPlans, modelNames: new Map(models.map((m) => [m.id, m.name])) });
  }
}
