import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeAt, ChargeModel, ChargeSlice, ChargeTerms, decimal, noPackageSize, tierErrors, tiersOf } from './charge-model';

/** The one tier the total falls in, pricing all `units` (none for zero units). */
function volumeSlices(terms: ChargeTerms, units: bigint): ChargeSlice[] {
  if (units <= 0n) return [];
  const tiers = tiersOf(terms);
  const found = tiers.findIndex((t) => t.upTo === null || units <= t.upTo);
  const index = found === -1 ? tiers.length - 1 : found;
  const tier = tiers[index];
  const fromUnit = index > 0 ? tiers[index - 1].upTo! + 1n : 1n;
  return [{ fromUnit, toUnit: tier.upTo, units, unitPrice: tier.price, amount: decimal(units).mul(tier.unitPrice) }];
}

/** VOLUME: the tier the total falls in prices every unit. */
export const volumeCharge: ChargeModel = {
  pricing: PricingModel.VOLUME,
  validate: (terms: ChargeTerms, at: ChargeAt) => [...tierErrors(terms, at), ...noPackageSize(terms, at)],
  amount: (terms: ChargeTerms, units: bigint): Decimal => (units <= 0n ? decimal(0) : volumeSlices(terms, units)[0].amount),
  slices: volumeSlices,
};
