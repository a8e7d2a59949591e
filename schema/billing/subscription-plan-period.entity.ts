import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Plan } from '../catalogue/plan.entity';
import { Subscription } from '../subscriptions/subscription.entity';

/**
 * Which plan a subscription was on when: written by plan changes (a subscription that never
 * changed plan has none, and its plan was in force throughout). Billing rates each event under
 * the plan of its instant and prorates each plan's flat fee over its [startsAt, endsAt).
 */
@Entity('subscription_plan_period')
@Index(['subscriptionId', 'startsAt'], { unique: true })
export class SubscriptionPlanPeriod {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @ManyToOne(() => Subscription, { onDelete: 'CASCADE' })
  @JoinColumn()
  subscription?: Subscription;

  @Column({ type: 'uuid' })
  planId!: string;

  @ManyToOne(() => Plan, { onDelete: 'RESTRICT' })
  @JoinColumn()
  plan?: Plan;

  @Column({ type: 'timestamptz', precision: 3 })
  startsAt!: Date;

  /** Exclusive; null while it runs on. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  endsAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
