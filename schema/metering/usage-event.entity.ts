import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { Meter } from './meter.enum';

/**
 * One billable quantity of one meter, written by the UsageRecorder. `(organizationId,
 * idempotencyKey, meter)` is unique, so a retried call is counted once. Corrections flag an
 * event (`canceledAt`), never delete it; aggregations skip canceled events.
 *
 * NOTE: no foreign keys on purpose: usage is an append-only ledger written in bulk, and the
 * rows it names (keys, subscriptions, versions) are never deleted.
 */
@ObjectType({ implements: Node, description: 'A metered quantity of one call (or other billable action).' })
@Entity('usage_event')
@Index('UQ_usage_event_idempotency', ['organizationId', 'idempotencyKey', 'meter'], { unique: true })
@Index(['organizationId', 'occurredAt'])
@Index(['modelId', 'occurredAt'])
@Index(['subscriptionId', 'meter', 'occurredAt'])
export class UsageEvent implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
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
  @Column({ type: 'text' })
  meter!: Meter;

  @Field(() => BigIntScalar)
  @Column({ type: 'bigint', transformer: bigintColumn })
  quantity!: bigint;

  @Field(() => DateTimeScalar)
  @Column({ type: 'timestamptz', precision: 3 })
  occurredAt!: Date;

  @Field({ description: 'The call\'s requestId, or one the server generated.' })
  @Column({ type: 'text' })
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
