import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeScalar, JSONScalar } from '../common/scalars';
import { FineTuneEventLevel, FineTuneEventType } from './fine-tuning.enums';

/** A line of a job's log: a message, or metrics (per epoch: train_loss, valid_loss, valid_accuracy). */
@ObjectType({ description: 'An event of a fine-tune job: a message, or metrics.' })
@Entity('fine_tune_event')
@Index(['jobId', 'at'])
export class FineTuneEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  jobId!: string;

  @Field(() => DateTimeScalar)
  @Column({ type: 'timestamptz', precision: 3 })
  at!: Date;

  @Field(() => FineTuneEventLevel)
  @Column({ type: 'text' })
  level!: FineTuneEventLevel;

  @Field(() => FineTuneEventType)
  @Column({ type: 'text' })
  type!: FineTuneEventType;

  @Field()
  @Column({ type: 'text' })
  message!: string;

  @Field(() => JSONScalar, { nullable: true, description: 'For METRICS events: e.g. { epoch, step, train_loss, valid_loss, valid_accuracy }.' })
  @Column({ type: 'jsonb', nullable: true })
  metrics!: Record<string, number> | null;
}
