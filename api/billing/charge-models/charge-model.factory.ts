import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { UserError } from '../../../schema/common/user-error.type';
import { toMinorUnits } from '../../common/money';
import { ChargeModel, ChargeTerms, invalidCharge } from './charge-model';
import { graduatedCharge } from './graduated-charge.strategy';
import { packageCharge } from './package-charge.strategy';
import { standardCharge } from './standard-charge.strategy';
import { volumeCharge } from './volume-charge.strategy';

const MODELS: Record<PricingModel, ChargeModel> = {
  [PricingModel.STANDARD]: standardCharge,
  [PricingModel.GRADUATED]: graduatedCharge,
  [PricingModel.VOLUME]: volumeCharge,
  [PricingModel.PACKAGE]: packageCharge,
};

/** The charge model of a pricing. */
export function chargeModelFor(pricing: PricingModel): ChargeModel {
  const model = MODELS[pricing];
  if (!model) throw new Error(`no charge model for pricing ${String(pricing)}`);
  return model;
}

/** Units that are billed after the free units: max(0, quantity - freeUnits). */
export function billableUnits(terms: ChargeTerms, quantity: bigint): bigint {
  const free = terms.freeUnits ?? 0n;
  return quantity > free ? quantity - free : 0n;
}

/** A rated usage line: the billable units and the amount, rounded once, half-up, to the currency's minor unit. */
export interface RatedCharge {
  billableUnits: bigint;
  amountMinor: bigint;
}

/**
 * Rates a period's quantity of one meter under a charge: free units off, the charge model's
 * exact amount, then ONE half-up rounding to minor units (the line's amount).
 */
export function rateCharge(terms: ChargeTerms, quantity: bigint, currency: string): RatedCharge {
  const units = billableUnits(terms, quantity);
  if (units === 0n) return { billableUnits: 0n, amountMinor: 0n };
  const exact = chargeModelFor(terms.pricing).amount(terms, units);
  return { billableUnits: units, amountMinor: toMinorUnits(exact, currency) };
}

/**
 * Business rules of a plan's charges: each pricing model's own fields (its charge model
 * validates them); free units not negative; one charge per meter.
 */
export function chargeErrors(charges: Array<ChargeTerms & { meter: string }>): UserError[] {
  const errors: UserError[] = [];
  const meters = new Set<string>();
  charges.forEach((charge, index) => {
    const at = { index };
    if (meters.has(charge.meter)) errors.push(invalidCharge(at, 'meter', `${charge.meter} is charged twice; one charge per meter`));
    meters.add(charge.meter);
    if ((charge.freeUnits ?? 0n) < 0n) errors.push(invalidCharge(at, 'freeUnits', 'freeUnits must not be negative'));
    errors.push(...chargeModelFor(charge.pricing).validate(charge, at));
  });
  return errors;
}
