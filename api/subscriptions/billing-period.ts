/** A billing period: [start, end). */
export interface BillingPeriod {
  start: Date;
  end: Date;
}

/**
 * NOTE: billing periods are calendar months in UTC, for every subscription: the first one runs
 * from the subscription's start to the end of that month, and quotas reset on the 1st, 00:00 UTC.
 */
export function calendarMonthOf(at: Date): BillingPeriod {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { start, end };
}

/** The period of a subscription that contains `at` (its first one starts when it started). */
export function subscriptionPeriodAt(startedAt: Date, at: Date): BillingPeriod {
  const month = calendarMonthOf(at);
  return { start: startedAt > month.start ? startedAt : month.start, end: month.end };
}
