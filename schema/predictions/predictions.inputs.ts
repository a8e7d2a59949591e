import { IsOptional, Matches, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { JSONScalar } from '../common/scalars';

@InputType()
export class RunInferenceInput {
  @Field(() => ID)
  modelId!: string;

  @Field(() => String, { nullable: true, description: 'A version string of the model, e.g. "1.0.0"; default the latest published.' })
  @IsOptional()
  @MaxLength(40)
  version?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Idempotency key, 1-128 letters, digits or ._:- characters: the same requestId again returns the ' +
      'stored answer and is billed once (kept at least 35 days); with a different input it is an IDEMPOTENCY_CONFLICT.',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, { message: 'requestId must be 1-128 letters, digits, dots, underscores, colons or dashes' })
  requestId?: string | null;

  @Field(() => [String], { nullable: true, description: 'Texts, for TEXT_CLASSIFICATION and TEXT_EMBEDDING models.' })
  texts?: string[] | null;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'Tensors by input name, for TENSOR models: `{ "features": { "type": "float32", "dims": [1, 5], "data": [...] } }`.',
  })
  inputs?: Record<string, unknown> | null;
}
