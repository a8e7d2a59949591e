import { ArrayMaxSize, IsOptional, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { BigIntScalar, JSONScalar } from '../common/scalars';
import { Meter } from '../metering/meter.enum';
import { ModelTask, PricingModel } from './catalogue.enums';

@InputType({ description: 'Narrows the catalogue. All given conditions must hold.' })
export class ModelFilter {
  @Field(() => ModelTask, { nullable: true })
  task?: ModelTask;

  @Field({ nullable: true })
  tag?: string;

  @Field(() => ID, { nullable: true, description: "The vendor organisation's global id." })
  vendorId?: string;

  @Field({ nullable: true, description: 'Words to find in slug, name or description.' })
  @IsOptional()
  @MaxLength(200, { message: 'search must be at most 200 characters' })
  search?: string;
}

@InputType()
export class CreateModelInput {
  @Field({ description: 'Unique, lowercase letters, digits and dashes, 3 to 64 characters.' })
  @Matches(/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/, { message: 'slug must be 3-64 lowercase letters, digits or dashes, starting and ending with a letter or digit' })
  slug!: string;

  @Field()
  @Length(1, 120, { message: 'name must be 1 to 120 characters' })
  name!: string;

  @Field(() => ModelTask)
  task!: ModelTask;

  @Field({ defaultValue: '' })
  @MaxLength(4000, { message: 'description must be at most 4000 characters' })
  description: string = '';

  @Field(() => [String], { defaultValue: [] })
  @ArrayMaxSize(20, { message: 'tags must be at most 20' })
  @Matches(/^[a-z0-9][a-z0-9-]{0,39}$/, { each: true, message: 'each tag must be 1-40 lowercase letters, digits or dashes' })
  tags!: string[];
}

@InputType()
export class PublishModelVersionInput {
  @Field(() => ID)
  modelId!: string;

  @Field(() => ID, { description: 'Id returned by POST /v1/files?purpose=model.' })
  fileId!: string;

  @Field({ description: 'e.g. "1.0.0"; unique within the model.' })
  @Matches(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$/, { message: 'version must be 1-40 letters, digits, dots, dashes or pluses, e.g. 1.0.0' })
  version!: string;

  @Field(() => [String], { nullable: true, description: "Class labels in the order of the model's output." })
  @IsOptional()
  @ArrayMaxSize(10000)
  labels?: string[];

  @Field(() => JSONScalar, { nullable: true, description: 'Preprocessing spec, e.g. `{ "tokenizer": { ... } }` for TEXT_* tasks.' })
  preprocessing?: Record<string, unknown>;
}

@InputType()
export class DeprecateModelVersionInput {
  @Field(() => ID)
  versionId!: string;
}

@InputType()
export class PriceTierInput {
  @Field(() => BigIntScalar, { nullable: true, description: 'Last unit of the tier, inclusive; omit for the last tier.' })
  upTo?: bigint | null;

  @Field({ description: 'Decimal price per unit, e.g. "0.002".' })
  unitPrice!: string;
}

@InputType()
export class PlanChargeInput {
  @Field(() => Meter)
  meter!: Meter;

  @Field(() => PricingModel)
  pricing!: PricingModel;

  @Field({ nullable: true, description: 'Decimal price per unit (STANDARD) or per package (PACKAGE).' })
  unitPrice?: string;

  @Field(() => [PriceTierInput], { nullable: true })
  @IsOptional()
  @ValidateNested({ each: true })
  @ArrayMaxSize(20, { message: 'tiers must be at most 20' })
  tiers?: PriceTierInput[];

  @Field(() => BigIntScalar, { nullable: true })
  packageSize?: bigint;

  @Field(() => BigIntScalar, { nullable: true })
  freeUnits?: bigint;
}

@InputType()
export class MeterCapInput {
  @Field(() => Meter)
  meter!: Meter;

  @Field(() => BigIntScalar)
  quantity!: bigint;
}

@InputType()
export class PlanLimitsInput {
  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1, { message: 'requestsPerMinute must be at least 1' })
  @Max(1_000_000, { message: 'requestsPerMinute must be at most 1000000' })
  requestsPerMinute?: number;

  @Field(() => [MeterCapInput], { nullable: true })
  @IsOptional()
  @ValidateNested({ each: true })
  monthlyCaps?: MeterCapInput[];
}

@InputType()
export class CreatePlanInput {
  @Field(() => ID)
  modelId!: string;

  @Field()
  @Length(1, 80, { message: 'name must be 1 to 80 characters' })
  name!: string;

  @Field({ description: 'ISO 4217 code, e.g. USD.' })
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as USD' })
  currency!: string;

  @Field(() => BigIntScalar, { defaultValue: 0n, description: 'Monthly fee in minor units.' })
  flatFeeMinor!: bigint;

  @Field(() => [PlanChargeInput], { defaultValue: [] })
  @ValidateNested({ each: true })
  @ArrayMaxSize(8, { message: 'charges must be at most 8' })
  charges!: PlanChargeInput[];

  @Field(() => PlanLimitsInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  limits?: PlanLimitsInput;
}
