import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { ChargeAt, ChargeModel, ChargeTerms, decimal, noPackageSize, unitPriceErrors } from './charge-model';

/** STANDARD: every billable unit at the unit price. */
export const standardCharge: ChargeModel = {
  pricing: PricingModel.STANDARD,
  validate: (terms: ChargeTerms, at: ChargeAt) => [...unitPriceErrors(terms, at), ...noPackageSize(terms, at)],
  amount: (terms: ChargeTerms, units: bigint): Decimal => decimal(units).mul(decimal(terms.unitPrice!)),
  slices: () => [],
};
