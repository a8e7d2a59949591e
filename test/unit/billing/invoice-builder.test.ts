import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { PlanCharge } from '../../../schema/catalogue/plan-charge.entity';
import { Meter } from '../../../schema/metering/meter.enum';
import { BilledPlan, BilledSubscription, buildDraftInvoices, planWindows, splitWindows } from '../../../api/billing/invoice-builder';
import { BilledUsageRow } from '../../../api/billing/billed-usage.query';

// The invoice builder's free units across plan windows: one allowance per period, shared among
// the plans a subscription was on by their time, as the flat fee is.

const PERIOD = { start: new Date('2026-10-01T00:00:00.000Z'), end: new Date('2026-11-01T00:00:00.000Z') };
const DAY = 86_400;

function plan(id: string, freeUnits: bigint): BilledPlan {
  const charge = { id: `${id}-c`, planId: id, meter: Meter.REQUESTS, pricing: PricingModel.STANDARD, unitPrice: '0.01', tiers: [], packageSize: null, freeUnits, position: 0 } as PlanCharge;
  return { id, name: id, currency: 'USD', flatFeeMinor: 0n, charges: [charge] };
}

const plans = new Map([['starter', plan('starter', 1000n)], ['pro', plan('pro', 3100n)]]);
const subscription = (startedAt: string): BilledSubscription => ({ id: 'sub', organizationId: 'org', planId: 'pro', modelId: 'model', startedAt: new Date(startedAt), endsAt: null });
const usage = (window: number | null, quantity: bigint): BilledUsageRow => ({ window, organizationId: 'org', subscriptionId: 'sub', modelId: 'model', meter: Meter.REQUESTS, quantity });

describe('free units across plan windows', () => {
  it('prorates each plan\'s free units by its window\'s share of the period (10 days on Starter, 21 on Pro), rounded down', () => {
    const sub = subscription('2026-09-01T00:00:00.000Z');
    const windows = planWindows(PERIOD, [sub], [
      { subscriptionId: 'sub', planId: 'starter', startsAt: sub.startedAt, endsAt: new Date('2026-10-11T00:00:00.000Z') },
      { subscriptionId: 'sub', planId: 'pro', startsAt: new Date('2026-10-11T00:00:00.000Z'), endsAt: null },
    ]);
    expect(windows.map((w) => w.freeUnitsShare)).toEqual([{ part: BigInt(10 * DAY), whole: BigInt(31 * DAY) }, { part: BigInt(21 * DAY), whole: BigInt(31 * DAY) }]);
    const [keyStarter, keyPro] = splitWindows(windows).map((w) => w.key);
    const [invoice] = buildDraftInvoices({ period: PERIOD, windows, usage: [usage(keyStarter, 5000n), usage(keyPro, 5000n)], plans, modelNames: new Map() });
    // Starter: 1000 x 10/31 = 322.58 -> 322 free; Pro: 3100 x 21/31 = 2100 free
    expect(invoice.lines.map((l) => [l.planId, l.quantity, l.billableUnits, l.amountMinor])).toEqual([
      ['starter', 5000n, 5000n - 322n, 4678n], ['pro', 5000n, 5000n - 2100n, 2900n]]);
  });

  it('shares the allowance over the time the subscription ran in the period when it started within it', () => {
    const sub = subscription('2026-10-16T00:00:00.000Z');
    const windows = planWindows(PERIOD, [sub], [
      { subscriptionId: 'sub', planId: 'starter', startsAt: sub.startedAt, endsAt: new Date('2026-10-21T00:00:00.000Z') },
      { subscriptionId: 'sub', planId: 'pro', startsAt: new Date('2026-10-21T00:00:00.000Z'), endsAt: null },
    ]);
    const [keyStarter, keyPro] = splitWindows(windows).map((w) => w.key);
    const [invoice] = buildDraftInvoices({ period: PERIOD, windows, usage: [usage(keyStarter, 5000n), usage(keyPro, 5000n)], plans, modelNames: new Map() });
    // 5 of 16 days on Starter (1000 x 5/16 = 312.5 -> 312), 11 of 16 on Pro (3100 x 11/16 = 2131.25 -> 2131)
    expect(invoice.lines.map((l) => l.billableUnits)).toEqual([5000n - 312n, 5000n - 2131n]);
  });

  it('gives a subscription on one plan all period its free units in full, even when it started within the period', () => {
    const windows = planWindows(PERIOD, [subscription('2026-10-20T00:00:00.000Z')], []);
    expect(windows.map((w) => w.freeUnitsShare)).toEqual([null]);
    const [invoice] = buildDraftInvoices({ period: PERIOD, windows, usage: [usage(null, 5000n)], plans, modelNames: new Map() });
    expect(invoice.lines.map((l) => [l.billableUnits, l.amountMinor])).toEqual([[5000n - 3100n, 1900n]]);
  });
});
