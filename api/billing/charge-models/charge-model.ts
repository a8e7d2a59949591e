import Decimal from 'decimal.js';
import { PricingModel } from '../../../schema/catalogue/catalogue.enums';
import { UserError, UserErrorCode } from '../../../schema/common/user-error.type';
import { isDecimalPrice, MoneyDecimal } from '../../common/money';

/** One tier of a GRADUATED or VOLUME charge: `upTo` is the tier's last unit, inclusive (null: open-ended). */
export interface ChargeTier {
  upTo?: bigint | string | null;
  unitPrice: string;
}

/** What a charge model reads of a plan charge (the entity, or a createPlan input). */
export interface ChargeTerms {
  pricing: PricingModel;
  unitPrice?: string | null;
  tiers?: ChargeTier[] | null;
  packageSize?: bigint | null;
  freeUnits?: bigint | null;
}

/**
 * The part of a tiered line's billable units that one tier priced, exactly: units
 * `fromUnit..toUnit` of the tier (billable units, free units already off; toUnit null: no upper
 * bound), `units` of them priced at the tier's `unitPrice`, for `amount` in major units.
 */
export interface ChargeSlice {
  fromUnit: bigint;
  toUnit: bigint | null;
  units: bigint;
  unitPrice: string;
  amount: Decimal;
}

/**
 * One way of turning a period's quantity into an amount (Lago's charge models): it validates a
 * charge's terms and rates a quantity exactly, in the plan currency's major unit. The caller
 * takes off free units first and rounds once per invoice line (see rateCharge).
 */
export interface ChargeModel {
  readonly pricing: PricingModel;
  /** Business rules of the charge's own fields; `at` names the charge in messages and field paths. */
  validate(terms: ChargeTerms, at: ChargeAt): UserError[];
  /** The exact amount for `units` billable units (free units already taken off). */
  amount(terms: ChargeTerms, units: bigint): Decimal;
  /**
   * The tiers `units` touched, each with its exact amount (they add up to `amount`): GRADUATED
   * one per tier reached, VOLUME the one tier that priced them all; none for STANDARD and
   * PACKAGE (one price, shown as the line's unitPrice) or for zero units.
   */
  slices(terms: ChargeTerms, units: bigint): ChargeSlice[];
}

/** Where a charge sits in a createPlan input (for userErrors). */
export interface ChargeAt {
  index: number;
}

export function invalidCharge(at: ChargeAt, field: string, message: string): UserError {
  return new UserError(UserErrorCode.INVALID, `charges[${at.index}]: ${message}`, ['input', 'charges', String(at.index), field]);
}

const PRICES = new Map<string, Decimal>();

/** A decimal of a quantity or a price; prices (strings) are parsed once and kept (decimals are immutable). */
export function decimal(value: Decimal.Value | bigint): Decimal {
  if (typeof value !== 'string') return new MoneyDecimal(typeof value === 'bigint' ? value.toString() : value);
  let parsed = PRICES.get(value);
  if (!parsed) {
    parsed = new MoneyDecimal(value);
    if (PRICES.size < 100_000) PRICES.set(value, parsed);
  }
  return parsed;
}

/** Tiers of a tiered charge as (upTo | null, unit price), upTo as bigint; `price` is the plan's decimal string. */
export function tiersOf(terms: ChargeTerms): Array<{ upTo: bigint | null; unitPrice: Decimal; price: string }> {
  return (terms.tiers ?? []).map((t) => ({ upTo: t.upTo === null || t.upTo === undefined ? null : BigInt(t.upTo), unitPrice: decimal(t.unitPrice), price: t.unitPrice }));
}

/** The exact sum of slices' amounts. */
export function sumOf(slices: ChargeSlice[]): Decimal {
  return slices.reduce((total, slice) => total.add(slice.amount), decimal(0));
}

/** A unit price field that must be a decimal, and no tiers. */
export function unitPriceErrors(terms: ChargeTerms, at: ChargeAt): UserError[] {
  const errors: UserError[] = [];
  if (terms.unitPrice === undefined || terms.unitPrice === null || !isDecimalPrice(terms.unitPrice)) {
    errors.push(invalidCharge(at, 'unitPrice', `${terms.pricing} pricing needs unitPrice as a decimal such as "0.002"`));
  }
  if (terms.tiers?.length) errors.push(invalidCharge(at, 'tiers', `${terms.pricing} pricing takes no tiers`));
  return errors;
}

/** Tier tables: at least one tier, decimal prices, increasing upTo, only the last one open-ended; no unitPrice. */
export function tierErrors(terms: ChargeTerms, at: ChargeAt): UserError[] {
  const errors: UserError[] = [];
  if (terms.unitPrice !== undefined && terms.unitPrice !== null) errors.push(invalidCharge(at, 'unitPrice', `${terms.pricing} pricing takes prices from its tiers, not unitPrice`));
  const tiers = terms.tiers ?? [];
  if (tiers.length === 0) return [...errors, invalidCharge(at, 'tiers', `${terms.pricing} pricing needs at least one tier`)];
  let previous = 0n;
  tiers.forEach((tier, t) => {
    if (!isDecimalPrice(tier.unitPrice)) errors.push(invalidCharge(at, 'tiers', `tier ${t} unitPrice "${tier.unitPrice}" is not a decimal such as "0.002"`));
    const last = t === tiers.length - 1;
    const open = tier.upTo === null || tier.upTo === undefined;
    if (last && !open) errors.push(invalidCharge(at, 'tiers', 'the last tier must have no upTo (it covers everything above)'));
    if (!last && open) errors.push(invalidCharge(at, 'tiers', `tier ${t} needs upTo; only the last tier is open-ended`));
    if (!last && !open) {
      const upTo = BigInt(tier.upTo!);
      if (upTo <= previous) errors.push(invalidCharge(at, 'tiers', `tier ${t} upTo must be greater than the previous tier's (${previous})`));
      previous = upTo;
    }
  });
  return errors;
}

/** packageSize belongs to PACKAGE pricing only. */
export function noPackageSize(terms: ChargeTerms, at: ChargeAt): UserError[] {
  return terms.packageSize !== undefined && terms.packageSize !== null ? [invalidCharge(at, 'packageSize', 'packageSize is only for PACKAGE pricing')] : [];
}
