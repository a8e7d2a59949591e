import fc from 'fast-check';
import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeTerms } from '../../../api/billing/charge-models/charge-model';
import { chargeModelFor, rateCharge } from '../../../api/billing/charge-models/charge-model.factory';
import { allocateMinorUnits } from '../../../api/common/money';

const tiers = [{ upTo: 100n, unitPrice: '0.01' }, { upTo: 1000n, unitPrice: '0.005' }, { upTo: null, unitPrice: '0.001' }];
/** Prices that leave fractions of a cent in every tier. */
const odd = [{ upTo: 3n, unitPrice: '0.0015' }, { upTo: 6n, unitPrice: '0.0025' }, { upTo: null, unitPrice: '0.0035' }];

/** [fromUnit, toUnit, units, unitPrice, amountMinor] of each tier. */
type Row = [bigint, bigint | null, bigint, string, bigint];

describe('the tiers of a rated line: what each tier priced, sharing the line amount exactly', () => {
  const cases: Array<[string, ChargeTerms, bigint, string, bigint, Row[]]> = [
    // [what, terms, quantity, currency, line amount, tiers]
    ['STANDARD has no tiers', { pricing: PricingModel.STANDARD, unitPrice: '0.002' }, 1234n, 'USD', 247n, []],
    ['PACKAGE has no tiers (its price per package is the line unitPrice)', { pricing: PricingModel.PACKAGE, unitPrice: '1.50', packageSize: 1000n }, 1001n, 'USD', 300n, []],
    ['GRADUATED inside the first tier: that tier only', { pricing: PricingModel.GRADUATED, tiers }, 50n, 'USD', 50n, [[1n, 100n, 50n, '0.01', 50n]]],
    ['GRADUATED at a tier edge (upTo inclusive): the next tier is not reached', { pricing: PricingModel.GRADUATED, tiers }, 100n, 'USD', 100n, [[1n, 100n, 100n, '0.01', 100n]]],
    ['GRADUATED one unit past the edge', { pricing: PricingModel.GRADUATED, tiers }, 101n, 'USD', 101n /* 1.005 -> 1.01 */,
      [[1n, 100n, 100n, '0.01', 100n], [101n, 1000n, 1n, '0.005', 1n /* 0.5 cent: the only remainder */]]],
    ['GRADUATED across all tiers, the open one last', { pricing: PricingModel.GRADUATED, tiers }, 2000n, 'USD', 650n,
      [[1n, 100n, 100n, '0.01', 100n], [101n, 1000n, 900n, '0.005', 450n], [1001n, null, 1000n, '0.001', 100n]]],
    ['GRADUATED counts billable units: free units off first', { pricing: PricingModel.GRADUATED, tiers, freeUnits: 100n }, 200n, 'USD', 100n,
      [[1n, 100n, 100n, '0.01', 100n]]],
    ['GRADUATED with remainders: 0.45 + 0.75 + 0.7 = 1.9 cents -> 2, to the largest fractions (.75, .7)', { pricing: PricingModel.GRADUATED, tiers: odd }, 8n, 'USD', 2n,
      [[1n, 3n, 3n, '0.0015', 0n], [4n, 6n, 3n, '0.0025', 1n], [7n, null, 2n, '0.0035', 1n]]],
    ['GRADUATED with remainders rounding the line down: 0.45 + 0.75 = 1.2 cents -> 1', { pricing: PricingModel.GRADUATED, tiers: odd }, 6n, 'USD', 1n,
      [[1n, 3n, 3n, '0.0015', 0n], [4n, 6n, 3n, '0.0025', 1n]]],
    ['GRADUATED, a tie of remainders goes to the lower tier: 0.5 + 0.5 = 1 cent', { pricing: PricingModel.GRADUATED, tiers: [{ upTo: 1n, unitPrice: '0.005' }, { upTo: null, unitPrice: '0.005' }] }, 2n, 'USD', 1n,
      [[1n, 1n, 1n, '0.005', 1n], [2n, null, 1n, '0.005', 0n]]],
    ['GRADUATED in JPY (no minor digits)', { pricing: PricingModel.GRADUATED, tiers: [{ upTo: 1n, unitPrice: '0.6' }, { upTo: null, unitPrice: '0.6' }] }, 2n, 'JPY', 1n,
      [[1n, 1n, 1n, '0.6', 1n], [2n, null, 1n, '0.6', 0n]]],
    ['VOLUME: the first tier prices all', { pricing: PricingModel.VOLUME, tiers }, 100n, 'USD', 100n, [[1n, 100n, 100n, '0.01', 100n]]],
    ['VOLUME: the tier of the total prices every unit (one tier, the whole line)', { pricing: PricingModel.VOLUME, tiers }, 101n, 'USD', 51n, [[101n, 1000n, 101n, '0.005', 51n]]],
    ['VOLUME: the open tier', { pricing: PricingModel.VOLUME, tiers }, 5000n, 'USD', 500n, [[1001n, null, 5000n, '0.001', 500n]]],
    ['VOLUME: zero usage, no tier', { pricing: PricingModel.VOLUME, tiers }, 0n, 'USD', 0n, []],
    ['GRADUATED: usage within the free units, no tier', { pricing: PricingModel.GRADUATED, tiers, freeUnits: 100n }, 40n, 'USD', 0n, []],
  ];
  it.each(cases)('%s', (_what, terms, quantity, currency, amount, rows) => {
    const rated = rateCharge(terms, quantity, currency);
    expect(rated.amountMinor).toBe(amount);
    expect(rated.tiers.map((t) => [t.fromUnit, t.toUnit, t.units, t.unitPrice, t.amountMinor])).toEqual(rows);
    if (rows.length) expect(rated.tiers.reduce((sum, t) => sum + t.amountMinor, 0n)).toBe(rated.amountMinor);
  });

  it('gives each strategy exact slices that add up to its exact amount', () => {
    for (const pricing of [PricingModel.GRADUATED, PricingModel.VOLUME]) {
      const model = chargeModelFor(pricing);
      const slices = model.slices({ pricing, tiers: odd }, 8n);
      expect(slices.reduce((sum, s) => sum.add(s.amount), new Decimal(0)).toFixed()).toBe(model.amount({ pricing, tiers: odd }, 8n).toFixed());
    }
  });
});

describe('allocateMinorUnits (largest remainder)', () => {
  it('refuses a total its parts cannot have rounded to, naming both', () => {
    expect(() => allocateMinorUnits(5n, [new Decimal('0.01'), new Decimal('0.01')], 'USD')).toThrow('cannot split 5 minor units over parts that sum to 2');
    expect(() => allocateMinorUnits(0n, [new Decimal('0.015'), new Decimal('0.01')], 'USD')).toThrow('cannot split 0 minor units over parts that sum to 2.5');
    expect(allocateMinorUnits(7n, [new Decimal('0.07')], 'USD')).toEqual([7n]); // one part is the whole line
  });

  it('over random tier tables and quantities: tier amounts add up to the line, each within one minor unit of its exact share', () => {
    const price = fc.tuple(fc.bigInt({ min: 0n, max: 9n }), fc.bigInt({ min: 0n, max: 999_999n })).map(([w, f]) => `${w}.${f.toString().padStart(6, '0')}`);
    const table = fc.tuple(fc.uniqueArray(fc.bigInt({ min: 1n, max: 10_000n }), { maxLength: 6 }), fc.array(price, { minLength: 7, maxLength: 7 }))
      .map(([bounds, prices]) => [...[...bounds].sort((a, b) => (a < b ? -1 : 1)).map((upTo, i) => ({ upTo, unitPrice: prices[i] })), { upTo: null, unitPrice: prices[6] }]);
    fc.assert(fc.property(fc.constantFrom(PricingModel.GRADUATED, PricingModel.VOLUME), table, fc.bigInt({ min: 0n, max: 50_000n }), fc.constantFrom('USD', 'JPY', 'KWD'),
      (pricing, t, quantity, currency) => {
        const terms = { pricing, tiers: t };
        const rated = rateCharge(terms, quantity, currency);
        const exact = chargeModelFor(pricing).slices(terms, rated.billableUnits);
        expect(rated.tiers).toHaveLength(exact.length);
        if (exact.length === 0) return;
        expect(rated.tiers.reduce((sum, tier) => sum + tier.amountMinor, 0n)).toBe(rated.amountMinor);
        const factor = new Decimal(10).pow(currency === 'JPY' ? 0 : currency === 'KWD' ? 3 : 2);
        rated.tiers.forEach((tier, i) => expect(new Decimal(tier.amountMinor.toString()).sub(exact[i].amount.mul(factor)).abs().lt(1)).toBe(true));
      }), { numRuns: 2000 });
  });
});
