import { PricingModel } from '../../schema/catalogue/catalogue.enums';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { RatedTier } from '../../schema/billing/invoice-line-tier.type';
import { InvoiceLineKind } from '../../schema/billing/billing.enums';
import { Meter } from '../../schema/metering/meter.enum';
import { BillingPeriod, clip, proratedFee, secondsOf } from './billing-periods';
import { BilledUsageRow, UsageWindow } from './billed-usage.query';
import { ChargeTerms } from './charge-models/charge-model';
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
  /**
   * For a window of a period split by plan changes: its part (seconds of `usage`) of the whole
   * (the seconds of all the subscription's windows in the period), by which the plan's free
   * units are prorated; null for a subscription's only window (free units in full).
   */
  freeUnitsShare: { part: bigint; whole: bigint } | null;
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
  for (const span of spans) {
    const list = bySubscription.get(span.subscriptionId);
    if (list) list.push(span);
    else bySubscription.set(span.subscriptionId, [span]);
  }
  const windows: PlanWindow[] = [];
  let key = 0;
  for (const subscription of subscriptions) {
    const active = { start: subscription.startedAt, end: subscription.endsAt };
    const history = (bySubscription.get(subscription.id) ?? []).sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    if (history.length === 0) {
      windows.push({ key: null, subscription, planId: subscription.planId, usage: period, served: clip(active, period), freeUnitsShare: null });
      continue;
    }
    const split: PlanWindow[] = [];
    for (const span of history) {
      const usage = clip({ start: span.startsAt, end: span.endsAt }, period);
      if (usage) split.push({ key: key++, subscription, planId: span.planId, usage, served: clip({ start: active.start, end: active.end }, usage), freeUnitsShare: null });
    }
    const whole = split.reduce((seconds, w) => seconds + secondsOf(w.usage), 0n);
    for (const w of split) {
      if (split.length > 1 && whole > 0n) w.freeUnitsShare = { part: secondsOf(w.usage), whole };
      windows.push(w);
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

/** A plan as the builder rates it: charges by meter and each line's text, prepared once per plan (not per line). */
interface RatingPlan {
  plan: BilledPlan;
  charges: Map<string, { charge: PlanCharge; unitPrice: string | null; label: string }>;
  exactFee: Map<string, bigint>;
}

function ratingPlanOf(plan: BilledPlan): RatingPlan {
  const charges = new Map<string, { charge: PlanCharge; unitPrice: string | null; label: string }>();
  for (const charge of plan.charges) {
    if (!charges.has(charge.meter)) charges.set(charge.meter, { charge, unitPrice: unitPriceOf(charge), label: ` (${charge.pricing})` });
  }
  return { plan, charges, exactFee: new Map() };
}

/**
 * The free units of `charge` in a window that holds `share` of its subscription's time in the
 * period (see PlanWindow.freeUnitsShare): freeUnits x part / whole, rounded down to a unit.
 */
function termsIn(charge: PlanCharge, share: PlanWindow['freeUnitsShare']): ChargeTerms {
  if (!share || !charge.freeUnits) return charge;
  return { pricing: charge.pricing, unitPrice: charge.unitPrice, tiers: charge.tiers, packageSize: charge.packageSize, freeUnits: (charge.freeUnits * share.part) / share.whole };
}

const meterRank = (meter: string) => METER_ORDER.indexOf(meter as Meter);
const byMeterThenModel = (a: BilledUsageRow, b: BilledUsageRow) => meterRank(a.meter) - meterRank(b.meter) || (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0);

/** Appends a window's lines to its invoice: the flat fee (when it served), then a usage line per (model, meter) in meter order. */
function appendWindowLines(invoice: DraftInvoice, w: PlanWindow, rating: RatingPlan, modelName: string, usage: BilledUsageRow[], period: BillingPeriod): void {
  const plan = rating.plan;
  const subscriptionId = w.subscription.id;
  if (w.served && plan.flatFeeMinor > 0n) {
    const seconds = secondsOf(w.served);
    const whole = secondsOf(period) === seconds;
    const feeKey = `${w.served.start.getTime()}/${w.served.end.getTime()}`;
    let amountMinor = rating.exactFee.get(feeKey);
    if (amountMinor === undefined) rating.exactFee.set(feeKey, (amountMinor = proratedFee(plan.flatFeeMinor, w.served, period)));
    invoice.lines.push({
      kind: InvoiceLineKind.FLAT_FEE, description: `${modelName} (${plan.name}): monthly fee${whole ? '' : `, prorated ${day(w.served.start)} to ${day(w.served.end)}`}`,
      subscriptionId, planId: plan.id, modelId: w.subscription.modelId, meter: null, quantity: seconds, billableUnits: seconds, unitPrice: null, pricing: null, ratedTiers: [],
      amountMinor, servicePeriodStart: w.served.start, servicePeriodEnd: w.served.end, position: invoice.lines.length,
    });
    invoice.subtotalMinor += amountMinor;
  }
  if (usage.length > 1) usage.sort(byMeterThenModel);
  for (const row of usage) {
    const priced = rating.charges.get(row.meter);
    const rated = priced ? rateCharge(termsIn(priced.charge, w.freeUnitsShare), row.quantity, plan.currency) : { billableUnits: 0n, amountMinor: 0n, tiers: [] };
    invoice.lines.push({
      kind: InvoiceLineKind.USAGE, description: `${modelName} (${plan.name}): ${row.meter}${priced ? priced.label : ' (not charged by the plan)'}`,
      subscriptionId, planId: plan.id, modelId: row.modelId, meter: row.meter, quantity: row.quantity, billableUnits: rated.billableUnits,
      unitPrice: priced ? priced.unitPrice : null, amountMinor: rated.amountMinor, servicePeriodStart: w.usage.start, servicePeriodEnd: w.usage.end,
      pricing: priced ? priced.charge.pricing : null, ratedTiers: rated.tiers, position: invoice.lines.length,
    });
    invoice.subtotalMinor += rated.amountMinor;
  }
}

/**
 * The draft invoices of a period: per (organisation, currency), a flat-fee line per window of
 * each subscription (prorated by the second) and a usage line per (subscription, model, meter)
 * and window, each rated under the window's plan and rounded once. Pure: closing a period and
 * previewing the open one both build their invoices here. Linear in the lines: each plan is
 * prepared once, each line is one object written once.
 *
 * NOTE: free units are a per-period allowance. A subscription whose period is split by a plan
 * change gets, in each plan's window, that plan's free units prorated by the window's share of
 * the subscription's time in the period (rounded down to a unit, so the windows never get more
 * than their time's share), as its flat fee is prorated; a subscription on one plan all period
 * (even one that started or ended within it) gets its plan's free units in full.
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
    const key = row.window === null ? row.subscriptionId : `${row.subscriptionId}/${row.window}`;
    const rows = usageBy.get(key);
    if (rows) rows.push(row);
    else usageBy.set(key, [row]);
  }
  const ratingPlans = new Map<string, RatingPlan>();
  const invoices = new Map<string, DraftInvoice>();
  for (const w of input.windows) {
    let rating = ratingPlans.get(w.planId);
    if (!rating) {
      const plan = input.plans.get(w.planId);
      if (!plan) throw new Error(`plan ${w.planId} of subscription ${w.subscription.id} not loaded`);
      ratingPlans.set(w.planId, (rating = ratingPlanOf(plan)));
    }
    const usage = usageBy.get(w.key === null ? w.subscription.id : `${w.subscription.id}/${w.key}`) ?? [];
    if (usage.length === 0 && !(w.served && rating.plan.flatFeeMinor > 0n)) continue;
    const key = `${w.subscription.organizationId}/${rating.plan.currency}`;
    let invoice = invoices.get(key);
    if (!invoice) invoices.set(key, (invoice = { organizationId: w.subscription.organizationId, currency: rating.plan.currency, period: input.period, lines: [], subtotalMinor: 0n }));
    appendWindowLines(invoice, w, rating, input.modelNames.get(w.subscription.modelId) ?? 'model', usage, input.period);
  }
  return [...invoices.values()];
}
