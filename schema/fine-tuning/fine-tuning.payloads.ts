import { Field, ObjectType } from 'type-graphql';
import { UserError } from '../common/user-error.type';
import { Dataset } from './dataset.entity';
import { FineTuneJob } from './fine-tune-job.entity';

@ObjectType()
export class CreateDatasetPayload {
  @Field(() => Dataset, { nullable: true })
  dataset?: Dataset | null;

  @Field(() => [UserError], { description: 'What is wrong with the file: the first 20 row errors with their line numbers, or the file as a whole.' })
  userErrors!: UserError[];
}

@ObjectType()
export class StartFineTunePayload {
  @Field(() => FineTuneJob, { nullable: true })
  job?: FineTuneJob | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class CancelFineTunePayload {
  @Field(() => FineTuneJob, { nullable: true })
  job?: FineTuneJob | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
