import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeAt, ChargeModel, ChargeTerms, decimal, noPackageSize, tierErrors, tiersOf } from './charge-model';

/** GRADUATED: each tier prices the slice of units that falls in it (units 1..upTo of the first, and so on). */
export const graduatedCharge: ChargeModel = {
  pricing: PricingModel.GRADUATED,
  validate: (terms: ChargeTerms, at: ChargeAt) => [...tierErrors(terms, at), ...noPackageSize(terms, at)],
  amount: (terms: ChargeTerms, units: bigint): Decimal => {
    let total = decimal(0);
    let below = 0n;
    for (const tier of tiersOf(terms)) {
      if (units <= below) break;
      const top = tier.upTo === null || tier.upTo > units ? units : tier.upTo;
      total = total.add(decimal(top - below).mul(tier.unitPrice));
      below = top;
    }
    return total;
  },
};
