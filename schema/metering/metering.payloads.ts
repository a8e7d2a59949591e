import { Field, ObjectType } from 'type-graphql';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { UserError } from '../common/user-error.type';
import { Meter } from './meter.enum';
import { UsageEvent } from './usage-event.entity';

/** Usage summed over one time bucket and one combination of the grouped dimensions. */
@ObjectType({ description: 'Usage summed over [start, end) for one meter and one combination of the groupBy dimensions.' })
export class UsageBucket {
  @Field(() => DateTimeScalar)
  start!: Date;

  @Field(() => DateTimeScalar)
  end!: Date;

  @Field(() => Meter)
  meter!: Meter;

  @Field(() => BigIntScalar)
  quantity!: bigint;

  /** Set when grouped by MODEL (resolved by a field resolver). */
  modelId!: string | null;

  /** Set when grouped by API_KEY. */
  apiKeyId!: string | null;

  /** Set when grouped by SUBSCRIPTION. */
  subscriptionId!: string | null;
}

@ObjectType()
export class CancelUsageEventPayload {
  @Field(() => UsageEvent, { nullable: true })
  usageEvent?: UsageEvent | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
