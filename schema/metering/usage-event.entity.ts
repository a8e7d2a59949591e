import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { Meter } from './meter.enum';

/**
 * One billable quantity of one meter, written by the UsageRecorder. The primary key
 * `(organizationId, idempotencyKey, meter)` makes a retried call count once. Corrections flag
 * an event (`canceledAt`), never delete it; aggregations skip canceled events.
 *
 * NOTE: built for bulk appends: no foreign keys (an append-only ledger; the rows it names are
 * never deleted), the idempotency key is the primary key (one index fewer), `id` is
 * time-ordered (appended to its index), and only the two indexes usage queries need, plus a
 * BRIN range index on occurred_at for platform-wide time windows (a few pages, next to nothing
 * to maintain, since events arrive in time order; created by its migration, not synchronised).
 */
@ObjectType({ implements: Node, description: 'A metered quantity of one call (or other billable action).' })
@Entity('usage_event')
@Index(['organizationId', 'occurredAt'])
@Index(['modelId', 'occurredAt'])
@Index('usage_event_occurred_at_brin', { synchronize: false })
export class UsageEvent implements Node {
  /** Unique; the recorder sets time-ordered ids, other writers get gen_random_uuid(). */
  @Index({ unique: true })
  @Column({ type: 'uuid' })
  @Generated('uuid')
  id!: string;

  @PrimaryColumn({ type: 'uuid' })
  organizationId!: string;

  @Column({ type: 'uuid', nullable: true })
  subscriptionId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @Column({ type: 'uuid' })
  modelId!: string;

  @Column({ type: 'uuid', nullable: true })
  modelVersionId!: string | null;

  @Field(() => Meter)
  @PrimaryColumn({ type: 'text' })
  meter!: Meter;

  @Field(() => BigIntScalar)
  @Column({ type: 'bigint', transformer: bigintColumn })
  quantity!: bigint;

  @Field(() => DateTimeScalar)
  @Column({ type: 'timestamptz', precision: 3 })
  occurredAt!: Date;

  @Field({ description: 'The call\'s requestId, or one the server generated (starting with "~").' })
  @PrimaryColumn({ type: 'text' })
  idempotencyKey!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Set when an operator canceled the event; it no longer counts.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  canceledAt!: Date | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  cancelReason!: string | null;

  @Field(() => DateTimeScalar, { description: 'When the event was committed.' })
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  get globalId(): string {
    return toGlobalId('UsageEvent', this.id);
  }
}
