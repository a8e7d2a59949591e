import { Field, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeScalar, JSONScalar } from '../common/scalars';

/**
 * The training state at the end of an epoch (head weights and optimizer state): where a job
 * cut off by a crash resumes. Steps up to `step` are billed before the checkpoint is written.
 */
@ObjectType({ description: 'A checkpoint of a job at the end of an epoch.' })
@Entity('fine_tune_checkpoint')
@Index(['jobId', 'epoch'], { unique: true })
export class FineTuneCheckpoint {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  jobId!: string;

  @Field(() => Int)
  @Column({ type: 'integer' })
  epoch!: number;

  @Field(() => Int, { description: 'Steps done in all at this checkpoint.' })
  @Column({ type: 'integer' })
  step!: number;

  @Field(() => JSONScalar)
  @Column({ type: 'jsonb' })
  metrics!: Record<string, number>;

  /** The state's float32 tensors (a JSON header of names and dims, then their bytes); loaded only to resume. */
  @Column({ type: 'bytea', select: false })
  state?: Buffer;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
