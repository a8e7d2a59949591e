import { invoiceActions, linesAddUp, periodLabel, planOfLine, tierSlices } from '../../../console/src/invoice-math';

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

describe('console tier slices of a tiered invoice line', () => {
  const tiers = [{ upTo: '100000', unitPrice: '0.001' }, { upTo: '1000000', unitPrice: '0.0005' }, { upTo: null, unitPrice: '0.0002' }];
  const units = (pricing: string, n: bigint) => tierSlices(pricing, tiers, n).map((s) => s.units);

  it('GRADUATED: each tier its own slice', () => {
    expect(units('GRADUATED', 2n)).toEqual([2n, 0n, 0n]);
    expect(units('GRADUATED', 100_000n)).toEqual([100_000n, 0n, 0n]);
    expect(units('GRADUATED', 100_001n)).toEqual([100_000n, 1n, 0n]);
    expect(units('GRADUATED', 2_500_000n)).toEqual([100_000n, 900_000n, 1_500_000n]);
    expect(units('GRADUATED', 0n)).toEqual([0n, 0n, 0n]);
    expect(tierSlices('GRADUATED', tiers, 5n).map((s) => [s.from, s.upTo])).toEqual([[1n, 100_000n], [100_001n, 1_000_000n], [1_000_001n, null]]);
  });

  it('VOLUME: the tier the total falls in takes every unit', () => {
    expect(units('VOLUME', 2n)).toEqual([2n, 0n, 0n]);
    expect(units('VOLUME', 1_000_000n)).toEqual([0n, 1_000_000n, 0n]);
    expect(units('VOLUME', 9_000_000n)).toEqual([0n, 0n, 9_000_000n]);
    expect(units('VOLUME', 0n)).toEqual([0n, 0n, 0n]);
  });

  it("finds a line's plan by the name in its description", () => {
    const plans = [{ name: 'Scale' }, { name: 'Scale Plus' }, { name: 'Pay as you go' }];
    expect(planOfLine('Review sentiment (Scale): REQUESTS (GRADUATED)', plans)).toEqual({ name: 'Scale' });
    expect(planOfLine('Review sentiment (Scale Plus): REQUESTS (GRADUATED)', plans)).toEqual({ name: 'Scale Plus' });
    expect(planOfLine('Something else', plans)).toBeUndefined();
  });
});
