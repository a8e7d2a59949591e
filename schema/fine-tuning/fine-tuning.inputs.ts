import { Matches, MaxLength } from 'class-validator';
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { DatasetFormat } from './fine-tuning.enums';

@InputType()
export class CreateDatasetInput {
  @Field(() => ID, { description: 'A file uploaded with POST /v1/files?purpose=dataset.' })
  fileId!: string;

  @Field(() => DatasetFormat)
  format!: DatasetFormat;

  @Field(() => ID, { nullable: true, description: 'A second file of validation rows (same format); without it the rows are split.' })
  validationFileId?: string | null;

  @Field(() => Float, { nullable: true, description: 'Share of rows held out for validation when no validation file is given (default 0.1).' })
  validationFraction?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seed of the stratified split (default 42).' })
  seed?: number | null;
}

@InputType({ description: 'Each optional: absent ones are chosen by rule from the dataset.' })
export class FineTuneHyperparametersInput {
  @Field(() => Int, { nullable: true, description: '1..100' })
  epochs?: number | null;

  @Field(() => Float, { nullable: true, description: 'greater than 0, at most 1' })
  learningRate?: number | null;

  @Field(() => Int, { nullable: true, description: '1..1024' })
  batchSize?: number | null;

  @Field(() => Int, { nullable: true, description: '0..2147483647' })
  seed?: number | null;
}

@InputType()
export class StartFineTuneInput {
  @Field(() => ID, { description: 'The base model: a TEXT_CLASSIFICATION model the organisation subscribes to.' })
  modelId!: string;

  @Field(() => ID)
  datasetId!: string;

  @Field(() => FineTuneHyperparametersInput, { nullable: true })
  hyperparameters?: FineTuneHyperparametersInput | null;

  @Field(() => String, { nullable: true, description: 'Lower-case letters, digits and dashes; names the tuned model.' })
  @MaxLength(40)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'suffix must be lower-case letters, digits and single dashes' })
  suffix?: string | null;
}

@InputType()
export class CancelFineTuneInput {
  @Field(() => ID)
  jobId!: string;
}

/** Ranges of the hyperparameters; the job service checks them (a userError names the field). */
export const HYPERPARAMETER_RANGES = {
  epochs: { min: 1, max: 100, integer: true },
  learningRate: { min: 0, max: 1, integer: false, exclusiveMin: true },
  batchSize: { min: 1, max: 1024, integer: true },
  seed: { min: 0, max: 2147483647, integer: true },
} as const;
