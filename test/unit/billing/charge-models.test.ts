import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeTerms } from '../../../api/billing/charge-models/charge-model';
import { chargeErrors, rateCharge } from '../../../api/billing/charge-models/charge-model.factory';

const tiers = [{ upTo: 100n, unitPrice: '0.01' }, { upTo: 1000n, unitPrice: '0.005' }, { upTo: null, unitPrice: '0.001' }];

describe('charge models rate exactly, rounding once per line, half-up, in the currency exponent', () => {
  const cases: Array<[string, ChargeTerms, bigint, string, bigint]> = [
    // [what, terms, quantity, currency, expected minor units]
    ['STANDARD: quantity x price', { pricing: PricingModel.STANDARD, unitPrice: '0.002' }, 1234n, 'USD', 247n /* 2.468 -> 2.47 */],
    ['STANDARD: half-up at exactly .5 of a cent', { pricing: PricingModel.STANDARD, unitPrice: '0.005' }, 1n, 'USD', 1n],
    ['STANDARD: below half a cent rounds down', { pricing: PricingModel.STANDARD, unitPrice: '0.004999' }, 1n, 'USD', 0n],
    ['STANDARD: free units off first', { pricing: PricingModel.STANDARD, unitPrice: '0.01', freeUnits: 1000n }, 1500n, 'USD', 500n],
    ['STANDARD: free units above usage bill nothing', { pricing: PricingModel.STANDARD, unitPrice: '0.01', freeUnits: 1000n }, 10n, 'USD', 0n],
    ['STANDARD: JPY has no minor digits', { pricing: PricingModel.STANDARD, unitPrice: '0.5' }, 3n, 'JPY', 2n],
    ['STANDARD: KWD has three', { pricing: PricingModel.STANDARD, unitPrice: '0.0005' }, 3n, 'KWD', 2n],
    ['STANDARD: 12-decimal price, no drift across a huge quantity', { pricing: PricingModel.STANDARD, unitPrice: '0.000000000001' }, 5_000_000_000_001n, 'USD', 500n /* 5.000000000001 */],
    ['GRADUATED: inside the first tier', { pricing: PricingModel.GRADUATED, tiers }, 50n, 'USD', 50n],
    ['GRADUATED: at a tier edge (upTo inclusive)', { pricing: PricingModel.GRADUATED, tiers }, 100n, 'USD', 100n],
    ['GRADUATED: across all tiers', { pricing: PricingModel.GRADUATED, tiers }, 2000n, 'USD', 100n + 450n + 100n],
    ['GRADUATED: free units then tiers', { pricing: PricingModel.GRADUATED, tiers, freeUnits: 100n }, 200n, 'USD', 100n],
    ['VOLUME: the first tier prices all', { pricing: PricingModel.VOLUME, tiers }, 100n, 'USD', 100n],
    ['VOLUME: the tier of the total prices every unit', { pricing: PricingModel.VOLUME, tiers }, 101n, 'USD', 51n /* 0.505 -> 0.51 */],
    ['VOLUME: the open tier', { pricing: PricingModel.VOLUME, tiers }, 5000n, 'USD', 500n],
    ['VOLUME: zero usage is zero', { pricing: PricingModel.VOLUME, tiers }, 0n, 'USD', 0n],
    ['PACKAGE: a started package is paid', { pricing: PricingModel.PACKAGE, unitPrice: '1.50', packageSize: 1000n }, 1001n, 'USD', 300n],
    ['PACKAGE: exact packages', { pricing: PricingModel.PACKAGE, unitPrice: '1.50', packageSize: 1000n }, 2000n, 'USD', 300n],
    ['PACKAGE: zero usage buys no package', { pricing: PricingModel.PACKAGE, unitPrice: '1.50', packageSize: 1000n }, 0n, 'USD', 0n],
    ['PACKAGE: free units off before packaging', { pricing: PricingModel.PACKAGE, unitPrice: '2', packageSize: 10n, freeUnits: 5n }, 16n, 'EUR', 400n],
  ];
  it.each(cases)('%s', (_what, terms, quantity, currency, expected) => {
    expect(rateCharge(terms, quantity, currency).amountMinor).toBe(expected);
  });
});

describe('charge models validate their own fields', () => {
  const errors = (charge: Record<string, unknown>) => chargeErrors([{ meter: 'REQUESTS', ...charge } as never]).map((e) => e.message);
  const cases: Array<[string, Record<string, unknown>, RegExp | null]> = [
    ['STANDARD without unitPrice', { pricing: PricingModel.STANDARD }, /needs unitPrice/],
    ['STANDARD with tiers', { pricing: PricingModel.STANDARD, unitPrice: '1', tiers }, /takes no tiers/],
    ['STANDARD with a float-like price', { pricing: PricingModel.STANDARD, unitPrice: '1e-3' }, /needs unitPrice as a decimal/],
    ['PACKAGE without packageSize', { pricing: PricingModel.PACKAGE, unitPrice: '1' }, /packageSize of at least 1/],
    ['GRADUATED without tiers', { pricing: PricingModel.GRADUATED }, /at least one tier/],
    ['GRADUATED with a closed last tier', { pricing: PricingModel.GRADUATED, tiers: [{ upTo: 5n, unitPrice: '1' }] }, /last tier must have no upTo/],
    ['VOLUME with decreasing upTo', { pricing: PricingModel.VOLUME, tiers: [{ upTo: 5n, unitPrice: '1' }, { upTo: 3n, unitPrice: '1' }, { upTo: null, unitPrice: '1' }] }, /greater than the previous/],
    ['VOLUME with unitPrice', { pricing: PricingModel.VOLUME, unitPrice: '1', tiers }, /not unitPrice/],
    ['GRADUATED with packageSize', { pricing: PricingModel.GRADUATED, tiers, packageSize: 3n }, /only for PACKAGE/],
    ['negative free units', { pricing: PricingModel.STANDARD, unitPrice: '1', freeUnits: -1n }, /must not be negative/],
    ['a valid VOLUME charge', { pricing: PricingModel.VOLUME, tiers }, null],
  ];
  it.each(cases)('%s', (_what, charge, message) => {
    const found = errors(charge);
    if (message === null) expect(found).toEqual([]);
    else expect(found.some((m) => message.test(m))).toBe(true);
  });

  it('refuses a meter charged twice', () => {
    const charge = { meter: 'REQUESTS', pricing: PricingModel.STANDARD, unitPrice: '1' } as never;
    expect(chargeErrors([charge, charge]).map((e) => e.message)).toEqual(['charges[1]: REQUESTS is charged twice; one charge per meter']);
  });
});
