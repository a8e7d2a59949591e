import { ComputeMeter } from '../../../api/predictions/compute-meter';
import { requestFingerprint } from '../../../api/predictions/request-fingerprint';
import { calendarMonthOf, subscriptionPeriodAt } from '../../../api/subscriptions/billing-period';
import { parseGlobalId, toGlobalId } from '../../../schema/common/global-id';
import { effectiveStatus, SubscriptionStatus } from '../../../schema/subscriptions/subscription.entity';

describe('ComputeMeter', () => {
  it('bills whole milliseconds and carries fractions per subscription instead of losing them', () => {
    const meter = new ComputeMeter();
    const billed = Array.from({ length: 10 }, () => meter.bill('a', 0.25));
    expect(billed.reduce((a, b) => a + b, 0n)).toBe(2n);
    expect(meter.bill('b', 2.5)).toBe(2n);
    expect(meter.bill('b', 0.5)).toBe(1n);
    expect(meter.bill('c', Number.NaN)).toBe(0n);
  });
});

describe('billing periods (calendar months, UTC)', () => {
  it.each([
    ['2026-11-28T14:00:00Z', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2027-02-01T00:00:00Z', '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
  ])('%s lies in [%s, %s)', (at, start, end) => {
    const period = calendarMonthOf(new Date(at));
    expect([period.start.toISOString(), period.end.toISOString()]).toEqual([start, end]);
  });

  it('starts a subscription\'s first period when it started', () => {
    const started = new Date('2026-11-15T09:30:00Z');
    expect(subscriptionPeriodAt(started, new Date('2026-11-20T00:00:00Z')).start).toEqual(started);
    expect(subscriptionPeriodAt(started, new Date('2026-12-20T00:00:00Z')).start.toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });

  it('treats a subscription canceled at period end as CANCELED once that end has passed', () => {
    const sub = { status: SubscriptionStatus.ACTIVE, endsAt: new Date('2026-12-01T00:00:00Z') };
    expect(effectiveStatus(sub, new Date('2026-11-30T23:59:59Z'))).toBe(SubscriptionStatus.ACTIVE);
    expect(effectiveStatus(sub, new Date('2026-12-01T00:00:00Z'))).toBe(SubscriptionStatus.CANCELED);
    expect(effectiveStatus({ status: SubscriptionStatus.PAST_DUE, endsAt: null }, new Date())).toBe(SubscriptionStatus.PAST_DUE);
  });
});

describe('requestFingerprint', () => {
  it('ignores the order of object keys but not of texts', () => {
    const a = requestFingerprint('m', null, null, { x: { type: 'float32', dims: [1], data: [1] } });
    const b = requestFingerprint('m', null, null, { x: { data: [1], dims: [1], type: 'float32' } });
    expect(a).toBe(b);
    expect(requestFingerprint('m', null, ['a', 'b'], null)).not.toBe(requestFingerprint('m', null, ['b', 'a'], null));
    expect(requestFingerprint('m', '1.0.0', ['a'], null)).not.toBe(requestFingerprint('m', null, ['a'], null));
  });
});
