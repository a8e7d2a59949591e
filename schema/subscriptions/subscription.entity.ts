import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';
import { Model } from '../catalogue/model.entity';
import { Plan } from '../catalogue/plan.entity';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';

/** ACTIVE serves calls; PAST_DUE (an invoice's payment failed, set by api/stripe) is refused, naming the invoice; CANCELED serves nothing. */
export enum SubscriptionStatus {
  ACTIVE = 'ACTIVE',
  PAST_DUE = 'PAST_DUE',
  CANCELED = 'CANCELED',
}
registerEnumType(SubscriptionStatus, {
  name: 'SubscriptionStatus',
  description: 'ACTIVE: serves calls; PAST_DUE: an invoice is unpaid (its payment failed), calls are refused naming it until it is paid; CANCELED: ended.',
});

/**
 * An organisation's subscription to one plan of a model. At most one per (organisation, model)
 * is not CANCELED (partial unique index). Billing periods are calendar months in UTC.
 */
// NOTE: the GraphQL type is PlanSubscription: an SDL type named "Subscription" would be read back as the
// subscription root type by tools that parse schema.graphql.
@ObjectType('PlanSubscription', { implements: Node, description: "An organisation's subscription to a plan of a model." })
@Entity('subscription')
@Index('UQ_subscription_live_per_model', ['organizationId', 'modelId'], { unique: true, where: `"status" <> 'CANCELED'` })
@Index(['organizationId', 'createdAt'])
export class Subscription implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn()
  organization?: Organization;

  @Index()
  @Column({ type: 'uuid' })
  planId!: string;

  @ManyToOne(() => Plan, { onDelete: 'RESTRICT' })
  @JoinColumn()
  plan?: Plan;

  @Index()
  @Column({ type: 'uuid' })
  modelId!: string;

  @ManyToOne(() => Model, { onDelete: 'RESTRICT' })
  @JoinColumn()
  model?: Model;

  /** Stored status; see {@link effectiveStatus} for a cancellation that reached its period end. */
  @Column({ type: 'text' })
  status!: SubscriptionStatus;

  @Field(() => DateTimeScalar, { description: 'When the subscription started.' })
  @Column({ type: 'timestamptz', precision: 3 })
  startedAt!: Date;

  @Field({ description: 'True when a cancellation takes effect at the end of the current period.' })
  @Column({ type: 'boolean', default: false })
  cancelAtPeriodEnd!: boolean;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the cancellation was asked for.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  canceledAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When it stops (or stopped) serving; null while it runs on.' })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  endsAt!: Date | null;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  get globalId(): string {
    return toGlobalId('Subscription', this.id);
  }
}

/** The status at `now`: an ACTIVE or PAST_DUE subscription whose end has passed is CANCELED. */
export function effectiveStatus(subscription: Pick<Subscription, 'status' | 'endsAt'>, now: Date): SubscriptionStatus {
  if (subscription.status !== SubscriptionStatus.CANCELED && subscription.endsAt && subscription.endsAt <= now) {
    return SubscriptionStatus.CANCELED;
  }
  return subscription.status;
}
