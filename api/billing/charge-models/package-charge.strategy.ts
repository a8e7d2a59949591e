import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeAt, ChargeModel, ChargeTerms, decimal, invalidCharge, unitPriceErrors } from './charge-model';

/** Packages started by `units`: a package begun is a package paid (rounding up). */
export function packagesOf(units: bigint, packageSize: bigint): bigint {
  return units <= 0n ? 0n : (units + packageSize - 1n) / packageSize;
}

/** PACKAGE: the unit price per started block of packageSize units. */
export const packageCharge: ChargeModel = {
  pricing: PricingModel.PACKAGE,
  validate: (terms: ChargeTerms, at: ChargeAt) => {
    const errors = unitPriceErrors(terms, at);
    if (!terms.packageSize || terms.packageSize <= 0n) errors.push(invalidCharge(at, 'packageSize', 'PACKAGE pricing needs a packageSize of at least 1'));
    return errors;
  },
  amount: (terms: ChargeTerms, units: bigint): Decimal => decimal(packagesOf(units, terms.packageSize!)).mul(decimal(terms.unitPrice!)),
  slices: () => [],
};
