import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeAt, ChargeModel, ChargeSlice, ChargeTerms, decimal, noPackageSize, sumOf, tierErrors, tiersOf } from './charge-model';

/** The slice of `units` each tier prices: units 1..upTo of the first, upTo+1.. of the next, and so on. */
function graduatedSlices(terms: ChargeTerms, units: bigint): ChargeSlice[] {
  const slices: ChargeSlice[] = [];
  let below = 0n;
  for (const tier of tiersOf(terms)) {
    if (units <= below) break;
    const top = tier.upTo === null || tier.upTo > units ? units : tier.upTo;
    slices.push({ fromUnit: below + 1n, toUnit: tier.upTo, units: top - below, unitPrice: tier.price, amount: decimal(top - below).mul(tier.unitPrice) });
    below = top;
  }
  return slices;
}

/** GRADUATED: each tier prices the slice of units that falls in it (units 1..upTo of the first, and so on). */
export const graduatedCharge: ChargeModel = {
  pricing: PricingModel.GRADUATED,
  validate: (terms: ChargeTerms, at: ChargeAt) => [...tierErrors(terms, at), ...noPackageSize(terms, at)],
  amount: (terms: ChargeTerms, units: bigint): Decimal => sumOf(graduatedSlices(terms, units)),
  slices: graduatedSlices,
};
