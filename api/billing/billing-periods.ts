import Decimal from 'decimal.js';
import { MoneyDecimal, roundMinorUnits } from '../common/money';
import { BillingPeriod, calendarMonthOf } from '../subscriptions/billing-period';

export type { BillingPeriod };

/** True when `at` is a period boundary: the 1st of a month, 00:00:00.000 UTC. */
export function isPeriodBoundary(at: Date): boolean {
  return calendarMonthOf(at).start.getTime() === at.getTime();
}

/** The period that ends at `periodEnd` (a boundary). */
export function periodEndingAt(periodEnd: Date): BillingPeriod {
  return calendarMonthOf(new Date(periodEnd.getTime() - 1));
}

/** The latest period that has ended by `now`. */
export function lastEndedPeriod(now: Date): BillingPeriod {
  return periodEndingAt(calendarMonthOf(now).start);
}

/** [start, end) of `window` clipped to `period`; null when they do not overlap. */
export function clip(window: { start: Date; end: Date | null }, period: BillingPeriod): BillingPeriod | null {
  const start = window.start > period.start ? window.start : period.start;
  const end = window.end && window.end < period.end ? window.end : period.end;
  return start < end ? { start, end } : null;
}

/** Whole seconds of [start, end) (a started second counts only once it has passed). */
export function secondsOf(window: BillingPeriod): bigint {
  return BigInt(Math.floor((window.end.getTime() - window.start.getTime()) / 1000));
}

/**
 * A monthly flat fee for the part `served` of `period`, prorated by the second: fee x served
 * seconds / the period's seconds, rounded half-up once. The whole period is the whole fee.
 */
export function proratedFee(flatFeeMinor: bigint, served: BillingPeriod, period: BillingPeriod): bigint {
  const whole = secondsOf(period);
  const part = secondsOf(served);
  if (part >= whole) return flatFeeMinor;
  const exact: Decimal = new MoneyDecimal(flatFeeMinor.toString()).mul(part.toString()).div(whole.toString());
  return roundMinorUnits(exact);
}
