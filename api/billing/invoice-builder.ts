import { PricingModel } from '../../schema/catalogue/catalogue.enums';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { RatedTier } from '../../schema/billing/invoice-line-tier.type';
import { InvoiceLineKind } from '../../schema/billing/billing.enums';
import { Meter } from '../../schema/metering/meter.enum';
import { BillingPeriod, clip, proratedFee, secondsOf } from './billing-periods';
import { BilledUsageRow, UsageWindow } from './billed-usage.query';
import { rateCharge } from './charge-models/charge-model.factory';

/** What the builder reads of a subscription. */
export interface BilledSubscription {
  id: string;
  organizationId: string;
  planId: string;
  modelId: string;
  startedAt: Date;
  endsAt: Date | null;
}

/** What the builder reads of a plan. */
export interface BilledPlan {
  id: string;
  name: string;
  currency: string;
  flatFeeMinor: bigint;
  charges: PlanCharge[];
}

/** A plan a subscription was on, from plan history (SubscriptionPlanPeriod). */
export interface PlanSpan {
  subscriptionId: string;
  planId: string;
  startsAt: Date;
  endsAt: Date | null;
}

/** One part of a period a subscription spent on one plan. */
export interface PlanWindow {
  /** null: the subscription's only window (its usage is summed over the whole period). */
  key: number | null;
  subscription: BilledSubscription;
  planId: string;
  /** Where its events are counted. */
  usage: BillingPeriod;
  /** Where its flat fee is owed (the subscription served); null when it did not. */
  served: BillingPeriod | null;
}

/** An invoice line before it is written. */
export interface DraftLine {
  kind: InvoiceLineKind;
  description: string;
  subscriptionId: string;
  planId: string;
  modelId: string;
  meter: Meter | null;
  quantity: bigint;
  billableUnits: bigint;
  unitPrice: string | null;
  amountMinor: bigint;
  /** How the plan priced a USAGE line; null for flat fees and meters it does not charge. */
  pricing: PricingModel | null;
  /** A GRADUATED or VOLUME line's tiers as rated (adding up to amountMinor); empty otherwise. */
  ratedTiers: RatedTier[];
  servicePeriodStart: Date;
  servicePeriodEnd: Date;
  position: number;
}

/** An invoice before it is written: one per (organisation, currency). */
export interface DraftInvoice {
  organizationId: string;
  currency: string;
  period: BillingPeriod;
  lines: DraftLine[];
  subtotalMinor: bigint;
}

const METER_ORDER = Object.values(Meter);
const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The windows of each subscription in `period`: one per plan it was on (plan history), or a
 * single one for a subscription that never changed plan. Split windows get keys, so their usage
 * is summed per window.
 */
export function planWindows(period: BillingPeriod, subscriptions: BilledSubscription[], spans: PlanSpan[]): PlanWindow[] {
  const bySubscription = new Map<string, PlanSpan[]>();
  for (const span of spans) bySubscription.set(span.subscriptionId, [...(bySubscription.get(span.subscriptionId) ?? []), span]);
  const windows: PlanWindow[] = [];
  let key = 0;
  for (const subscription of subscriptions) {
    const active = { start: subscription.startedAt, end: subscription.endsAt };
    const history = (bySubscription.get(subscription.id) ?? []).sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    if (history.length === 0) {
      windows.push({ key: null, subscription, planId: subscription.planId, usage: period, served: clip(active, period) });
      continue;
    }
    for (const span of history) {
      const usage = clip({ start: span.startsAt, end: span.endsAt }, period);
      if (usage) windows.push({ key: key++, subscription, planId: span.planId, usage, served: clip({ start: active.start, end: active.end }, usage) });
    }
  }
  return windows;
}

/** The usage windows to sum separately (see BilledUsageQuery). */
export function splitWindows(windows: PlanWindow[]): UsageWindow[] {
  return windows.filter((w) => w.key !== null).map((w) => ({ key: w.key!, subscriptionId: w.subscription.id, window: w.usage }));
}

function unitPriceOf(charge: PlanCharge | undefined): string | null {
  if (!charge || !charge.unitPrice) return null;
  return charge.packageSize ? `${charge.unitPrice} per ${charge.packageSize}` : charge.unitPrice;
}

function windowLines(w: PlanWindow, plan: BilledPlan, modelName: string, usage: BilledUsageRow[], period: BillingPeriod): Omit<DraftLine, 'position'>[] {
  const lines: Omit<DraftLine, 'position'>[] = [];
  const base = { subscriptionId: w.subscription.id, planId: plan.id, modelId: w.subscription.modelId };
  if (w.served && plan.flatFeeMinor > 0n) {
    const seconds = secondsOf(w.served);
    const whole = secondsOf(period) === seconds;
    lines.push({
      ...base, kind: InvoiceLineKind.FLAT_FEE, meter: null, quantity: seconds, billableUnits: seconds, unitPrice: null, pricing: null, ratedTiers: [],
      description: `${modelName} (${plan.name}): monthly fee${whole ? '' : `, prorated ${day(w.served.start)} to ${day(w.served.end)}`}`,
      amountMinor: proratedFee(plan.flatFeeMinor, w.served, period), servicePeriodStart: w.served.start, servicePeriodEnd: w.served.end,
    });
  }
  for (const row of [...usage].sort((a, b) => METER_ORDER.indexOf(a.meter) - METER_ORDER.indexOf(b.meter) || a.modelId.localeCompare(b.modelId))) {
    const charge = plan.charges.find((c) => c.meter === row.meter);
    const rated = charge ? rateCharge(charge, row.quantity, plan.currency) : { billableUnits: 0n, amountMinor: 0n, tiers: [] };
    lines.push({
      ...base, modelId: row.modelId, kind: InvoiceLineKind.USAGE, meter: row.meter, quantity: row.quantity, billableUnits: rated.billableUnits,
      unitPrice: unitPriceOf(charge), amountMinor: rated.amountMinor, pricing: charge?.pricing ?? null, ratedTiers: rated.tiers,
      description: `${modelName} (${plan.name}): ${row.meter}${charge ? ` (${charge.pricing})` : ' (not charged by the plan)'}`,
      servicePeriodStart: w.usage.start, servicePeriodEnd: w.usage.end,
    });
  }
  return lines;
}

/**
 * The draft invoices of a period: per (organisation, currency), a flat-fee line per window of
 * each subscription (prorated by the second) and a usage line per (subscription, model, meter)
 * and window, each rated under the window's plan and rounded once. Pure: closing a period and
 * previewing the open one both build their invoices here.
 *
 * NOTE: a window that is one plan's part of a split period gets that plan's free units in full.
 */
export function buildDraftInvoices(input: {
  period: BillingPeriod;
  windows: PlanWindow[];
  usage: BilledUsageRow[];
  plans: Map<string, BilledPlan>;
  modelNames: Map<string, string>;
}): DraftInvoice[] {
  const usageBy = new Map<string, BilledUsageRow[]>();
  for (const row of input.usage) {
    const key = `${row.subscriptionId}/${row.window ?? ''}`;
    usageBy.set(key, [...(usageBy.get(key) ?? []), row]);
  }
  const invoices = new Map<string, DraftInvoice>();
  for (const w of input.windows) {
    const plan = input.plans.get(w.planId);
    if (!plan) throw new Error(`plan ${w.planId} of subscription ${w.subscription.id} not loaded`);
    const lines = windowLines(w, plan, input.modelNames.get(w.subscription.modelId) ?? 'model', usageBy.get(`${w.subscription.id}/${w.key ?? ''}`) ?? [], input.period);
    if (lines.length === 0) continue;
    const key = `${w.subscription.organizationId}/${plan.currency}`;
    const invoice = invoices.get(key) ?? { organizationId: w.subscription.organizationId, currency: plan.currency, period: input.period, lines: [], subtotalMinor: 0n };
    invoices.set(key, invoice);
    for (const line of lines) {
      invoice.lines.push({ ...line, position: invoice.lines.length });
      invoice.subtotalMinor += line.amountMinor;
    }
  }
  return [...invoices.values()];
}
