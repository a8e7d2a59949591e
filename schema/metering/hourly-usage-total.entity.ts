import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { Meter } from './meter.enum';

/** Stands for "none" in the key columns that events may leave NULL (a primary key cannot hold NULL). */
export const NO_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The usage of one UTC hour, per organisation, model, subscription, API key and meter: the sum
 * of the events that count (canceled ones excluded). A read model for usage queries over long
 * windows, so that a month reads hundreds of rows instead of millions of events.
 *
 * NOTE: kept by statement triggers on usage_event (one per operation, which keeps
 * MonthlyUsageTotal in the same statement; see the usage-totals-one-trigger migration), in the
 * same transaction as every write there: inserts add, an update (a cancellation) moves its difference, TRUNCATE
 * empties it. So it is never behind the events, whoever writes them, and needs no job or
 * watermark. Inserts add to a row per key and hour in key order, so concurrent flushes queue
 * on a row briefly and never deadlock.
 */
@Entity('hourly_usage_total')
@Index(['organizationId', 'hour'])
@Index(['modelId', 'hour'])
export class HourlyUsageTotal {
  /** Start of the UTC hour. */
  @PrimaryColumn({ type: 'timestamptz' })
  hour!: Date;

  @PrimaryColumn({ type: 'uuid' })
  organizationId!: string;

  @PrimaryColumn({ type: 'uuid' })
  modelId!: string;

  /** {@link NO_ID} for events without one. */
  @PrimaryColumn({ type: 'uuid' })
  subscriptionId!: string;

  /** {@link NO_ID} for events without one. */
  @PrimaryColumn({ type: 'uuid' })
  apiKeyId!: string;

  @PrimaryColumn({ type: 'text' })
  meter!: Meter;

  @Column({ type: 'bigint', transformer: bigintColumn })
  quantity!: bigint;

  /** Events summed (canceled ones excluded). */
  @Column({ type: 'integer' })
  events!: number;
}
