import { Field, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeScalar, JSONScalar } from '../common/scalars';

/** A tensor of a checkpoint's state, stored as base64 float32 bytes. */
export interface StoredTensor {
  dims: number[];
  base64: string;
}

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

  /** Tensors by name; loaded only to resume. */
  @Column({ type: 'jsonb', select: false })
  state?: Record<string, StoredTensor>;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
