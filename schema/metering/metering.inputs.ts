import { Length } from 'class-validator';
import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';
import { Meter } from './meter.enum';

/** Width of a usage bucket. Buckets are aligned to UTC hours or days. */
export enum UsageBucketSize {
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(UsageBucketSize, { name: 'UsageBucketSize', description: 'Width of a usage bucket, aligned in UTC.' });

/** What usage buckets are split by (besides time and meter). */
export enum UsageGroupBy {
  MODEL = 'MODEL',
  METER = 'METER',
  API_KEY = 'API_KEY',
  SUBSCRIPTION = 'SUBSCRIPTION',
}
registerEnumType(UsageGroupBy, {
  name: 'UsageGroupBy',
  description: 'Dimensions to split buckets by. Buckets are always split by meter too: units of different meters never add up.',
});

@InputType({ description: 'Which usage to aggregate: [from, to) plus optional narrowing. All given conditions must hold.' })
export class UsageFilter {
  @Field(() => DateTimeScalar, { description: 'Start, inclusive.' })
  from!: Date;

  @Field(() => DateTimeScalar, { description: 'End, exclusive.' })
  to!: Date;

  @Field(() => ID, { nullable: true })
  modelId?: string | null;

  @Field(() => ID, { nullable: true })
  subscriptionId?: string | null;

  @Field(() => Meter, { nullable: true })
  meter?: Meter | null;
}

@InputType({ description: 'Which usage events to list. All given conditions must hold.' })
export class UsageEventFilter {
  @Field(() => DateTimeScalar, { nullable: true, description: 'occurredAt from, inclusive.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'occurredAt to, exclusive.' })
  to?: Date | null;

  @Field(() => ID, { nullable: true })
  modelId?: string | null;

  @Field(() => ID, { nullable: true })
  subscriptionId?: string | null;

  @Field(() => Meter, { nullable: true })
  meter?: Meter | null;

  @Field(() => String, { nullable: true, description: 'The requestId (idempotency key) of the call.' })
  idempotencyKey?: string | null;
}

@InputType()
export class CancelUsageEventInput {
  @Field(() => ID)
  usageEventId!: string;

  @Field({ description: 'Why the event does not count (kept with it).' })
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  reason!: string;
}
