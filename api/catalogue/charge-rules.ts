import { PricingModel } from '../../schema/catalogue/catalogue.enums';
import { PlanChargeInput } from '../../schema/catalogue/catalogue.inputs';
import { UserError, UserErrorCode } from '../../schema/common/user-error.type';
import { isDecimalPrice } from '../common/money';

function invalid(index: number, field: string, message: string): UserError {
  return new UserError(UserErrorCode.INVALID, `charges[${index}]: ${message}`, ['input', 'charges', String(index), field]);
}

function tierErrors(charge: PlanChargeInput, index: number): UserError[] {
  const tiers = charge.tiers ?? [];
  if (tiers.length === 0) return [invalid(index, 'tiers', `${charge.pricing} pricing needs at least one tier`)];
  const errors: UserError[] = [];
  let previous = 0n;
  tiers.forEach((tier, t) => {
    if (!isDecimalPrice(tier.unitPrice)) errors.push(invalid(index, 'tiers', `tier ${t} unitPrice "${tier.unitPrice}" is not a decimal such as "0.002"`));
    const last = t === tiers.length - 1;
    if (last && tier.upTo !== null && tier.upTo !== undefined) errors.push(invalid(index, 'tiers', 'the last tier must have no upTo (it covers everything above)'));
    if (!last && (tier.upTo === null || tier.upTo === undefined)) errors.push(invalid(index, 'tiers', `tier ${t} needs upTo; only the last tier is open-ended`));
    if (!last && tier.upTo !== null && tier.upTo !== undefined) {
      if (tier.upTo <= previous) errors.push(invalid(index, 'tiers', `tier ${t} upTo must be greater than the previous tier's (${previous})`));
      previous = tier.upTo;
    }
  });
  return errors;
}

/**
 * Business rules of a plan's charges: each pricing model has the fields it needs and none
 * that contradict it; prices are decimals; one charge per meter.
 */
export function chargeErrors(charges: PlanChargeInput[]): UserError[] {
  const errors: UserError[] = [];
  const meters = new Set<string>();
  charges.forEach((charge, index) => {
    if (meters.has(charge.meter)) errors.push(invalid(index, 'meter', `${charge.meter} is charged twice; one charge per meter`));
    meters.add(charge.meter);
    if ((charge.freeUnits ?? 0n) < 0n) errors.push(invalid(index, 'freeUnits', 'freeUnits must not be negative'));
    const needsUnitPrice = charge.pricing === PricingModel.STANDARD || charge.pricing === PricingModel.PACKAGE;
    if (needsUnitPrice && (charge.unitPrice === undefined || !isDecimalPrice(charge.unitPrice))) {
      errors.push(invalid(index, 'unitPrice', `${charge.pricing} pricing needs unitPrice as a decimal such as "0.002"`));
    }
    if (needsUnitPrice && charge.tiers?.length) errors.push(invalid(index, 'tiers', `${charge.pricing} pricing takes no tiers`));
    if (charge.pricing === PricingModel.PACKAGE && (!charge.packageSize || charge.packageSize <= 0n)) {
      errors.push(invalid(index, 'packageSize', 'PACKAGE pricing needs a packageSize of at least 1'));
    }
    if (charge.pricing !== PricingModel.PACKAGE && charge.packageSize !== undefined && charge.packageSize !== null) {
      errors.push(invalid(index, 'packageSize', 'packageSize is only for PACKAGE pricing'));
    }
    if (charge.pricing === PricingModel.GRADUATED || charge.pricing === PricingModel.VOLUME) {
      if (charge.unitPrice !== undefined && charge.unitPrice !== null) errors.push(invalid(index, 'unitPrice', `${charge.pricing} pricing takes prices from its tiers, not unitPrice`));
      errors.push(...tierErrors(charge, index));
    }
  });
  return errors;
}
