import fc from 'fast-check';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeTerms } from '../../../api/billing/charge-models/charge-model';
import { rateCharge } from '../../../api/billing/charge-models/charge-model.factory';

/**
 * An independent reference in plain BigInt: prices are scaled to integers of 10^-12, amounts
 * summed exactly in those units, and rounded half-up once to the currency's minor unit.
 */
const SCALE = 12;
const EXPONENT: Record<string, number> = { USD: 2, JPY: 0, KWD: 3 };

function scaled(price: string): bigint {
  const [whole, fraction = ''] = price.split('.');
  return BigInt(whole) * 10n ** BigInt(SCALE) + BigInt((fraction + '0'.repeat(SCALE)).slice(0, SCALE));
}

function roundHalfUp(amountScaled: bigint, currency: string): bigint {
  const divisor = 10n ** BigInt(SCALE - EXPONENT[currency]);
  return (amountScaled + divisor / 2n) / divisor;
}

function referenceMinor(terms: ChargeTerms, quantity: bigint, currency: string): bigint {
  const free = terms.freeUnits ?? 0n;
  const units = quantity > free ? quantity - free : 0n;
  const tiers = (terms.tiers ?? []).map((t) => ({ upTo: t.upTo === null || t.upTo === undefined ? null : BigInt(t.upTo), price: scaled(t.unitPrice) }));
  let total = 0n;
  switch (terms.pricing) {
    case PricingModel.STANDARD:
      total = units * scaled(terms.unitPrice!);
      break;
    case PricingModel.PACKAGE: {
      const size = terms.packageSize!;
      total = ((units + size - 1n) / size) * scaled(terms.unitPrice!);
      break;
    }
    case PricingModel.GRADUATED: {
      let lower = 0n;
      for (const tier of tiers) {
        const upper = tier.upTo ?? units;
        const slice = (units < upper ? units : upper) - lower;
        if (slice > 0n) total += slice * tier.price;
        if (tier.upTo === null || units <= tier.upTo) break;
        lower = tier.upTo;
      }
      break;
    }
    case PricingModel.VOLUME: {
      if (units === 0n) break;
      const tier = tiers.find((t) => t.upTo === null || units <= t.upTo)!;
      total = units * tier.price;
      break;
    }
  }
  return roundHalfUp(total, currency);
}

/** A unit price as plans accept it: up to 12 integer digits (mostly small ones) and 12 decimals. */
const price = fc.tuple(fc.oneof(fc.bigInt({ min: 0n, max: 9n }), fc.bigInt({ min: 0n, max: 999_999_999_999n })), fc.bigInt({ min: 0n, max: 999_999_999_999n }))
  .map(([whole, fraction]) => `${whole}.${fraction.toString().padStart(12, '0')}`);
const quantity = fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 10_000_000_000_000n }));
const tierTable = fc.tuple(fc.uniqueArray(fc.bigInt({ min: 1n, max: 1_000_000_000n }), { minLength: 0, maxLength: 6 }), fc.array(price, { minLength: 7, maxLength: 7 }))
  .map(([bounds, prices]) => {
    const sorted = [...bounds].sort((a, b) => (a < b ? -1 : 1));
    return [...sorted.map((upTo, i) => ({ upTo, unitPrice: prices[i] })), { upTo: null, unitPrice: prices[6] }];
  });
const freeUnits = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1_000_000n }));
const terms: fc.Arbitrary<ChargeTerms> = fc.oneof(
  fc.record({ pricing: fc.constant(PricingModel.STANDARD), unitPrice: price, freeUnits }),
  fc.record({ pricing: fc.constant(PricingModel.PACKAGE), unitPrice: price, packageSize: fc.bigInt({ min: 1n, max: 100_000n }), freeUnits }),
  fc.record({ pricing: fc.constant(PricingModel.GRADUATED), tiers: tierTable, freeUnits }),
  fc.record({ pricing: fc.constant(PricingModel.VOLUME), tiers: tierTable, freeUnits }),
);

describe('rating against an independent BigInt reference', () => {
  it('has zero minor-unit drift over thousands of random usages, tier tables and 12-decimal prices', () => {
    fc.assert(
      fc.property(terms, quantity, fc.constantFrom('USD', 'JPY', 'KWD'), (t, q, currency) => {
        expect(rateCharge(t, q, currency).amountMinor).toBe(referenceMinor(t, q, currency));
      }),
      { numRuns: 5000 },
    );
  });
});
