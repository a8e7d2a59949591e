import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';
import { bigintColumn } from '../common/column-transformers';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';
import { InvoiceStatus } from './billing.enums';

/**
 * One organisation's invoice for one billing period (a calendar month, UTC) in one currency:
 * unique per (organisation, period, currency), so closing a period twice or concurrently finds
 * the invoice it made instead of making another. Amounts in integer minor units.
 */
@ObjectType({ implements: Node, description: 'An invoice of one organisation for one period and currency.' })
@Entity('invoice')
@Index('UQ_invoice_org_period_currency', ['organizationId', 'periodStart', 'currency'], { unique: true })
@Index(['periodStart', 'status'])
export class Invoice implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT' })
  @JoinColumn()
  organization?: Organization;

  @Field({ description: 'ISO 4217 currency of every amount of the invoice.' })
  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Field(() => DateTimeScalar)
  @Column({ type: 'timestamptz', precision: 3 })
  periodStart!: Date;

  @Field(() => DateTimeScalar, { description: 'End of the period, exclusive.' })
  @Column({ type: 'timestamptz', precision: 3 })
  periodEnd!: Date;

  @Field(() => InvoiceStatus)
  @Column({ type: 'text' })
  status!: InvoiceStatus;

  /** `<ORG>-<YYYY>-<seq>`, assigned at finalization (gapless per organisation, never reused); null while DRAFT. */
  @Index({ unique: true })
  @Column({ type: 'text', nullable: true })
  number!: string | null;

  /** The organisation's invoice sequence number behind `number`. */
  @Column({ type: 'integer', nullable: true })
  sequence!: number | null;

  @Column({ type: 'bigint', transformer: bigintColumn })
  subtotalMinor!: bigint;

  @Column({ type: 'bigint', transformer: bigintColumn })
  totalMinor!: bigint;

  @Field(() => DateTimeScalar, { description: 'Until then late events and corrections still refresh the DRAFT.' })
  @Column({ type: 'timestamptz', precision: 3 })
  graceUntil!: Date;

  @Field(() => DateTimeScalar, { description: 'When the lines were last computed from the events.' })
  @Column({ type: 'timestamptz', precision: 3 })
  refreshedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  finalizedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  paidAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  voidedAt!: Date | null;

  /** The Stripe invoice this one is synchronised to (set by api/stripe); null until then or without Stripe. */
  @Field(() => String, { nullable: true, description: 'The Stripe invoice this one is kept in step with; null without Stripe or before sync.' })
  @Column({ type: 'text', nullable: true })
  stripeInvoiceId!: string | null;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  get globalId(): string {
    return toGlobalId('Invoice', this.id);
  }
}
