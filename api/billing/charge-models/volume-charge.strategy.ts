import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeAt, ChargeModel, ChargeTerms, decimal, noPackageSize, tierErrors, tiersOf } from './charge-model';

/** VOLUME: the tier the total falls in prices every unit. */
export const volumeCharge: ChargeModel = {
  pricing: PricingModel.VOLUME,
  validate: (terms: ChargeTerms, at: ChargeAt) => [...tierErrors(terms, at), ...noPackageSize(terms, at)],
  amount: (terms: ChargeTerms, units: bigint): Decimal => {
    if (units <= 0n) return decimal(0);
    const tiers = tiersOf(terms);
    const tier = tiers.find((t) => t.upTo === null || units <= t.upTo) ?? tiers[tiers.length - 1];
    return decimal(units).mul(tier.unitPrice);
  },
};
