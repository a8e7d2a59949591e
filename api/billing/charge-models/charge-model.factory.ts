import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { UserError } from '../../../schema/common/user-error.type';
import { RatedTier } from '../../../schema/billing/invoice-line-tier.type';
import { allocateMinorUnits, toMinorUnits } from '../../common/money';
import { ChargeModel, ChargeTerms, invalidCharge, sumOf } from './charge-model';
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

/**
 * A rated usage line: the billable units, the amount rounded once, half-up, to the currency's
 * minor unit, and for tiered pricing the tiers that amount came from (they add up to it).
 */
export interface RatedCharge {
  billableUnits: bigint;
  amountMinor: bigint;
  tiers: RatedTier[];
}

/**
 * Rates a period's quantity of one meter under a charge: free units off, the charge model's
 * exact amount, then ONE half-up rounding to minor units (the line's amount).
 *
 * NOTE: a tiered line's amount is shared out over its tiers after that one rounding (largest
 * remainder, see allocateMinorUnits), so the tiers shown add up to the line and never re-round it.
 */
export function rateCharge(terms: ChargeTerms, quantity: bigint, currency: string): RatedCharge {
  const units = billableUnits(terms, quantity);
  if (units === 0n) return { billableUnits: 0n, amountMinor: 0n, tiers: [] };
  const model = chargeModelFor(terms.pricing);
  const slices = model.slices(terms, units);
  // NOTE: a tiered charge's exact amount is the sum of its slices (the strategies define it so); computed once here.
  const amountMinor = toMinorUnits(slices.length ? sumOf(slices) : model.amount(terms, units), currency);
  if (slices.length === 0) return { billableUnits: units, amountMinor, tiers: [] };
  const shares = allocateMinorUnits(amountMinor, slices.map((s) => s.amount), currency);
  const tiers = slices.map((s, i) => ({ fromUnit: s.fromUnit, toUnit: s.toUnit, units: s.units, unitPrice: s.unitPrice, amountMinor: shares[i] }));
  return { billableUnits: units, amountMinor, tiers };
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
