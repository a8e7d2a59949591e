import { invoiceActions, linesAddUp, periodLabel, tierRange, tiersAddUp } from '../../../console/src/invoice-math';
import { formatCount } from '../../../console/src/money';

describe('console invoice arithmetic (BigInt minor units)', () => {
  const usd = (amountMinor: string) => ({ amountMinor, currency: 'USD' });

  it('checks that the lines add up to the subtotal, exactly past 2^53', () => {
    expect(linesAddUp([{ amount: usd('3361') }, { amount: usd('0') }, { amount: usd('2') }], usd('3363'))).toEqual({ sum: 3363n, equal: true });
    expect(linesAddUp([{ amount: usd('9007199254740993') }, { amount: usd('1') }], usd('9007199254740994'))).toEqual({ sum: 9007199254740994n, equal: true });
    // As floats both sides would be 9007199254740992 and look equal.
    expect(linesAddUp([{ amount: usd('9007199254740993') }], usd('9007199254740992')).equal).toBe(false);
    expect(linesAddUp([], usd('0'))).toEqual({ sum: 0n, equal: true });
  });

  it('offers finalize on drafts and void on finalized invoices only', () => {
    expect(invoiceActions('DRAFT')).toEqual({ finalize: true, void: false });
    expect(invoiceActions('FINALIZED')).toEqual({ finalize: false, void: true });
    expect(invoiceActions('PAYMENT_FAILED')).toEqual({ finalize: false, void: true });
    expect(invoiceActions('PAID')).toEqual({ finalize: false, void: false });
    expect(invoiceActions('VOID')).toEqual({ finalize: false, void: false });
  });

  it('names a calendar-month period by its month, any other span by its days', () => {
    expect(periodLabel('2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBe('2026-11');
    expect(periodLabel('2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z')).toBe('2026-12');
    expect(periodLabel('2026-11-10T10:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBe('2026-11-10 to 2026-12-01');
    expect(periodLabel('2026-10-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z')).toBe('2026-10-01 to 2026-12-01');
  });
});

describe('console revenue period', () => {
  it('defaults to the UTC month before now, across a year boundary too', async () => {
    const { previousMonth } = await import('../../../console/src/revenue-period');
    expect(previousMonth(new Date('2026-12-01T21:00:00Z'))).toBe('2026-11');
    expect(previousMonth(new Date('2027-01-01T00:30:00Z'))).toBe('2026-12');
  });
});

describe('console tiers of a tiered invoice line (as the API rated them)', () => {
  const usd = (amountMinor: string) => ({ amountMinor, currency: 'USD' });

  it('checks that the tier amounts add up to the line amount, exactly past 2^53', () => {
    expect(tiersAddUp([{ amount: usd('0') }, { amount: usd('1') }, { amount: usd('1') }], usd('2'))).toEqual({ sum: 2n, equal: true });
    expect(tiersAddUp([{ amount: usd('9007199254740993') }, { amount: usd('1') }], usd('9007199254740994')).equal).toBe(true);
    expect(tiersAddUp([{ amount: usd('9007199254740993') }], usd('9007199254740992')).equal).toBe(false);
    expect(tiersAddUp([{ amount: usd('1') }], usd('2'))).toEqual({ sum: 1n, equal: false });
  });

  it('labels a tier by its range of billable units, the open one "and up"', () => {
    expect(tierRange({ fromUnit: '1', toUnit: '100000' }, formatCount)).toBe('1–100,000');
    expect(tierRange({ fromUnit: '1000001', toUnit: null }, formatCount)).toBe('1,000,001 and up');
  });
});
