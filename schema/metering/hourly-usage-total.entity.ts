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
 * MonthlyUsageTotal in the same statement). An insert's trigger appends its sums per key and
 * hour to usage_total_pending (a table without indexes: next to nothing on the commit path), and
 * usage_totals_roll() moves them here in one statement (the recorder calls it about a second
 * after it wrote); readers add the pending rows of their hours (countedUsageRows), so they are
 * never behind the events, whoever writes them. An update (a cancellation) rolls the pending rows
 * up, then moves its difference, in its own transaction; TRUNCATE empties both. Roll-ups take
 * an advisory lock and add in key order, so they and corrections never deadlock. See the
 * usage-totals-pending migration.
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
