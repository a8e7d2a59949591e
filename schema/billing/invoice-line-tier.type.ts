import { Field, ObjectType } from 'type-graphql';
import { ValueTransformer } from 'typeorm';
import { Money } from '../common/money.type';
import { BigIntScalar } from '../common/scalars';

/**
 * One tier of a tiered invoice line as it was rated when the line was written (stored with the
 * line, so a finalized invoice keeps its tiers whatever later happens to the plan). The tiers of
 * a line add up to its amount exactly.
 */
export interface RatedTier {
  fromUnit: bigint;
  toUnit: bigint | null;
  units: bigint;
  unitPrice: string;
  amountMinor: bigint;
}

/** How a RatedTier sits in the invoice_line.rated_tiers jsonb array: integers as decimal strings. */
export interface StoredTier {
  fromUnit: string;
  toUnit: string | null;
  units: string;
  unitPrice: string;
  amountMinor: string;
}

/** RatedTier[] <-> the jsonb of invoice_line.rated_tiers (BigInts kept exact as strings). */
export const ratedTiersColumn: ValueTransformer = {
  to: (tiers: RatedTier[] | null | undefined): StoredTier[] | null | undefined => (tiers ? tiers.map(storedTier) : tiers),
  from: (stored: StoredTier[] | null): RatedTier[] => (stored ?? []).map((t) => ({
    fromUnit: BigInt(t.fromUnit), toUnit: t.toUnit === null ? null : BigInt(t.toUnit), units: BigInt(t.units), unitPrice: t.unitPrice, amountMinor: BigInt(t.amountMinor),
  })),
};

/** A RatedTier as stored. */
export function storedTier(tier: RatedTier): StoredTier {
  return { fromUnit: tier.fromUnit.toString(), toUnit: tier.toUnit === null ? null : tier.toUnit.toString(), units: tier.units.toString(), unitPrice: tier.unitPrice, amountMinor: tier.amountMinor.toString() };
}

/** The GraphQL view of a RatedTier. */
@ObjectType({
  description: 'One tier of a GRADUATED line (one per tier its units reached) or of a VOLUME line (the tier that priced every unit), as rated '
    + 'when the line was written. Units count billable units (after free units). The line is rounded once, half-up; its tiers share that '
    + 'amount exactly: each gets its exact amount rounded down, and the minor units left go one each to the tiers with the largest '
    + 'fractional remainders (the lower tier first on a tie), so tier amounts add up to the line amount.',
})
export class InvoiceLineTier {
  @Field(() => BigIntScalar, { description: 'First billable unit of the tier (1-based, inclusive).' })
  fromUnit!: bigint;

  @Field(() => BigIntScalar, { nullable: true, description: 'Last billable unit of the tier, inclusive; null: no upper bound.' })
  toUnit!: bigint | null;

  @Field(() => BigIntScalar, { description: 'Billable units of the line this tier priced.' })
  units!: bigint;

  @Field({ description: 'The tier\'s price per unit, a decimal string in the major unit, e.g. "0.0005".' })
  unitPrice!: string;

  @Field(() => Money, { description: 'This tier\'s share of the line amount (see the type\'s description for the rounding).' })
  amount!: Money;
}
