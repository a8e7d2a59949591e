import { Field, ObjectType } from 'type-graphql';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { UserError } from '../common/user-error.type';
import { Meter } from '../metering/meter.enum';
import { Subscription } from './subscription.entity';

/** Where a subscription stands against its plan on one meter in the current period. */
@ObjectType({ description: 'Usage of one meter in the current period against the plan\'s monthly cap.' })
export class QuotaUsage {
  @Field(() => Meter)
  meter!: Meter;

  @Field(() => BigIntScalar, { nullable: true, description: 'The monthly cap; null = no cap (metered and charged only).' })
  limit!: bigint | null;

  @Field(() => BigIntScalar, { description: 'Committed usage this period (canceled events excluded).' })
  used!: bigint;

  @Field(() => BigIntScalar, { nullable: true, description: 'max(0, limit - used); null when there is no cap.' })
  remaining!: bigint | null;

  @Field(() => DateTimeScalar, { description: 'When the period ends and the count starts again.' })
  resetsAt!: Date;
}

@ObjectType()
export class SubscribePayload {
  @Field(() => Subscription, { nullable: true })
  subscription?: Subscription | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class CancelSubscriptionPayload {
  @Field(() => Subscription, { nullable: true })
  subscription?: Subscription | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
