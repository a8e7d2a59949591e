import { Field, Float, ObjectType } from 'type-graphql';
import { ModelVersion } from '../catalogue/model-version.entity';
import { BigIntScalar, JSONScalar } from '../common/scalars';
import { UserError } from '../common/user-error.type';
import { Meter } from '../metering/meter.enum';

@ObjectType({ description: 'A class label and its probability.' })
export class LabelScore {
  @Field()
  label!: string;

  @Field(() => Float)
  score!: number;
}

@ObjectType({ description: 'A classifier\'s answer for one text (or tensor row): the top label, and every label\'s score.' })
export class Prediction {
  @Field()
  label!: string;

  @Field(() => Float)
  score!: number;

  @Field(() => [LabelScore], { description: 'Every label with its probability, highest first.' })
  scores!: LabelScore[];
}

@ObjectType({ description: 'A quantity of one meter, as billed for the call.' })
export class MeteredQuantity {
  @Field(() => Meter)
  meter!: Meter;

  @Field(() => BigIntScalar)
  quantity!: bigint;
}

@ObjectType()
export class RunInferencePayload {
  @Field(() => JSONScalar, { nullable: true, description: 'Every output tensor: `{ "<name>": { "type", "dims", "data" } }`.' })
  outputs?: Record<string, unknown> | null;

  @Field(() => [Prediction], { nullable: true, description: 'Classifiers: one per text (or row), in input order.' })
  predictions?: Prediction[] | null;

  @Field(() => [[Float]], { nullable: true, description: 'Embedders: one vector per text, in input order.' })
  embeddings?: number[][] | null;

  @Field(() => [MeteredQuantity], { nullable: true, description: 'What the call was billed (nothing more for a replay).' })
  usage?: MeteredQuantity[] | null;

  @Field(() => ModelVersion, { nullable: true })
  modelVersion?: ModelVersion | null;

  @Field(() => String, { nullable: true, description: 'The requestId the answer is stored under, if one was given.' })
  requestId?: string | null;

  @Field({ defaultValue: false, description: 'True when this is the stored answer of an earlier call with the same requestId.' })
  replayed!: boolean;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
