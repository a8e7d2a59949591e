import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';

/** A job's training figures at the end of one epoch, typed (from the epoch's checkpoint). */
@ObjectType({ description: "A fine-tune job's figures at the end of one epoch: the points of its loss and accuracy curves." })
export class FineTuneEpochMetrics {
  @Field(() => Int, { description: '1-based. Epochs past hyperparameters.epochs are the second stage, which adapts the body too (see bodyTrained).' })
  epoch!: number;

  @Field(() => Int, { description: 'Optimisation steps done in all at the end of the epoch.' })
  step!: number;

  @Field({ description: 'True for epochs that trained the embedding table as well as the head (the head alone fell short of the quality bar).' })
  bodyTrained!: boolean;

  @Field(() => Float, { nullable: true, description: 'Mean cross-entropy loss on the training rows over the epoch.' })
  trainLoss!: number | null;

  @Field(() => Float, { nullable: true, description: 'Share of training rows labelled right (0..1).' })
  trainAccuracy!: number | null;

  @Field(() => Float, { nullable: true, description: 'Loss on the validation rows; null when the dataset has none.' })
  validationLoss!: number | null;

  @Field(() => Float, { nullable: true, description: 'Share of validation rows labelled right (0..1); null when the dataset has none.' })
  validationAccuracy!: number | null;

  @Field(() => DateTimeScalar, { description: 'When the epoch ended (its last step did).' })
  at!: Date;
}
