import { Field, ObjectType } from 'type-graphql';
import { BigIntScalar } from './scalars';

/** An amount of money: integer minor units (cents, yen) plus an ISO 4217 currency. */
@ObjectType({ description: 'An amount in integer minor units plus its currency. Never a float.' })
export class Money {
  @Field(() => BigIntScalar, { description: 'Amount in minor units (USD cents, JPY yen, KWD fils).' })
  amountMinor!: bigint;

  @Field({ description: 'ISO 4217 code, e.g. USD.' })
  currency!: string;

  @Field({ description: 'Human-readable amount, e.g. "$12.50".' })
  formatted!: string;
}
