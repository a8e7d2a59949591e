import { Field, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeScalar, JSONScalar } from '../common/scalars';

/**
 * An epoch's end: its figures (a point of the training curves) and, at most once per
 * FINE_TUNE_CHECKPOINT_EVERY_MS and at each stage's last epoch, the training state (head,
 * optimizer state, the table rows changed): where a job cut off by a crash resumes. The rows of
 * the epochs since the last state are written with the next one, in one statement; the steps up
 * to `step` are billed before it is written. The API's `checkpoints` are the rows with a state.
 */
@ObjectType({ description: 'A checkpoint of a job at the end of an epoch: the training state a resumed job starts from.' })
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

  /** The state's tensors (a JSON header of names and dims, then their bytes); null for an epoch between checkpoints; loaded only to resume. */
  @Column({ type: 'bytea', select: false, nullable: true })
  state?: Buffer | null;

  @Field(() => DateTimeScalar, { description: 'When the epoch ended.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
