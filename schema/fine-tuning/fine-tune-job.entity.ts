import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';
import { Model } from '../catalogue/model.entity';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';
import { Dataset } from './dataset.entity';
import { FineTuneStatus } from './fine-tuning.enums';

/** The hyperparameters a job trains with (each given, or chosen by rule). */
@ObjectType({ description: 'Hyperparameters of a job: each as given, or as chosen by rule when absent.' })
export class FineTuneHyperparameters {
  @Field(() => Int)
  epochs!: number;

  @Field(() => Float)
  learningRate!: number;

  @Field(() => Int)
  batchSize!: number;

  @Field(() => Int)
  seed!: number;
}

/** The base model's score on the job's validation rows, before tuning. */
@ObjectType({ description: "The base model's score on the job's own validation rows." })
export class FineTuneBaseline {
  @Field(() => Float, { description: 'Share of validation rows the base model labels right (its labels matched to the dataset\'s by name).' })
  validationAccuracy!: number;

  @Field(() => [String], { description: 'Dataset labels the base model can output at all.' })
  sharedLabels!: string[];
}

/** Why a job failed. */
@ObjectType()
export class FineTuneError {
  @Field()
  code!: string;

  @Field()
  message!: string;
}

/**
 * A fine-tune of a base text classifier on a dataset, for the partner organisation that
 * started it. Runs on any replica's worker (claimed from the table with a lease); a job whose
 * lease lapsed (its replica crashed) is resumed from its last checkpoint.
 */
@ObjectType({ implements: Node, description: 'A fine-tuning job: a base model trained on a dataset into a private model version.' })
@Entity('fine_tune_job')
@Index(['organizationId', 'createdAt'])
@Index(['status', 'createdAt'])
export class FineTuneJob implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn()
  organization?: Organization;

  @Column({ type: 'uuid' })
  baseModelId!: string;

  @ManyToOne(() => Model, { onDelete: 'RESTRICT' })
  @JoinColumn()
  baseModel?: Model;

  @Column({ type: 'uuid' })
  baseVersionId!: string;

  @Column({ type: 'uuid' })
  datasetId!: string;

  @ManyToOne(() => Dataset, { onDelete: 'RESTRICT' })
  @JoinColumn()
  dataset?: Dataset;

  /** The subscription to the base model that training and the tuned model are billed under. */
  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @Field(() => FineTuneStatus)
  @Column({ type: 'text' })
  status!: FineTuneStatus;

  @Field(() => FineTuneHyperparameters)
  @Column({ type: 'jsonb' })
  hyperparameters!: FineTuneHyperparameters;

  @Field(() => String, { nullable: true, description: 'Part of the tuned model\'s name and slug.' })
  @Column({ type: 'text', nullable: true })
  suffix!: string | null;

  @Field(() => Int, { description: 'Optimisation steps done (billed as TRAINING_STEPS, once each).' })
  @Column({ type: 'integer', default: 0 })
  trainedSteps!: number;

  @Field(() => Int, { description: 'Steps the whole job takes.' })
  @Column({ type: 'integer', default: 0 })
  totalSteps!: number;

  @Field(() => FineTuneBaseline, { nullable: true })
  @Column({ type: 'jsonb', nullable: true })
  baseline!: FineTuneBaseline | null;

  @Field(() => FineTuneError, { nullable: true })
  @Column({ type: 'jsonb', nullable: true })
  error!: FineTuneError | null;

  @Column({ type: 'uuid', nullable: true })
  resultModelId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  resultVersionId!: string | null;

  /** Set by cancelFineTune; the running worker stops within one step. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  cancelRequestedAt!: Date | null;

  /** The worker holding the job and until when (renewed while it runs). */
  @Column({ type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  @Field(() => Int, { description: 'Times a worker has started (or resumed) the job.' })
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  finishedAt!: Date | null;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  get globalId(): string {
    return toGlobalId('FineTuneJob', this.id);
  }
}
