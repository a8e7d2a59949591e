import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { Meter } from './meter.enum';

/**
 * The billable usage of one calendar month (UTC), per organisation, subscription, model and
 * meter: the sum of the events that count (canceled ones excluded), of events that name a
 * subscription. The read model of billing periods (calendar months): closing a period or
 * previewing the open one reads a row per line instead of every event, exactly.
 *
 * NOTE: kept from usage_event together with HourlyUsageTotal (one statement writes both):
 * inserted events reach it through usage_total_pending and usage_totals_roll() (off the commit
 * path, see the usage-totals-pending migration), so readers add the pending rows of the month
 * (BilledUsageQuery); an update (a cancellation, a corrected quantity) rolls the pending rows up
 * and moves its difference, deletes subtract, TRUNCATE empties it, each in the writer's
 * transaction; rows are added to in key order, so concurrent writers never deadlock.
 * Reconciliation does not read it: it recomputes every line from the events, which proves this table right.
 */
@Entity('monthly_usage_total')
export class MonthlyUsageTotal {
  /** The first instant of the UTC calendar month. */
  @PrimaryColumn({ type: 'timestamptz' })
  month!: Date;

  @PrimaryColumn({ type: 'uuid' })
  organizationId!: string;

  @PrimaryColumn({ type: 'uuid' })
  subscriptionId!: string;

  @PrimaryColumn({ type: 'uuid' })
  modelId!: string;

  @PrimaryColumn({ type: 'text' })
  meter!: Meter;

  @Column({ type: 'bigint', transformer: bigintColumn })
  quantity!: bigint;

  /** Events summed (canceled ones excluded); rows at 0 stay and are not read. */
  @Column({ type: 'integer' })
  events!: number;
}
