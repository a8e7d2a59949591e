import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { Meter } from '../metering/meter.enum';
import { PricingModel } from '../catalogue/catalogue.enums';
import { InvoiceLineKind } from './billing.enums';
import { RatedTier, ratedTiersColumn } from './invoice-line-tier.type';
import { Invoice } from './invoice.entity';

/**
 * One line of an invoice: a subscription's flat fee for the part of the period a plan was in
 * force (prorated by the second), or the usage of one meter of one subscription and model under
 * one plan, whose `quantity` is the SQL sum of the non-canceled events of
 * [servicePeriodStart, servicePeriodEnd). Immutable once its invoice is finalized (trigger).
 */
@ObjectType({ implements: Node, description: 'A line of an invoice: a flat fee, or one meter\'s usage.' })
@Entity('invoice_line')
@Index(['invoiceId', 'position'])
export class InvoiceLine implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  invoiceId!: string;

  // NOTE: no foreign key constraint: the line guard checks (and locks) the lines' invoices once per
  // statement, and deleting invoices deletes their lines (triggers, see InvoiceLineInvoiceCheckPerStatement).
  @ManyToOne(() => Invoice, { onDelete: 'CASCADE', createForeignKeyConstraints: false })
  @JoinColumn()
  invoice?: Invoice;

  @Field(() => InvoiceLineKind)
  @Column({ type: 'text' })
  kind!: InvoiceLineKind;

  @Field()
  @Column({ type: 'text' })
  description!: string;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'uuid' })
  planId!: string;

  @Column({ type: 'uuid' })
  modelId!: string;

  @Field(() => Meter, { nullable: true, description: 'The meter of a USAGE line.' })
  @Column({ type: 'text', nullable: true })
  meter!: Meter | null;

  @Field(() => BigIntScalar, { description: 'Units used (USAGE), or seconds the plan was in force (FLAT_FEE).' })
  @Column({ type: 'bigint', transformer: bigintColumn })
  quantity!: bigint;

  @Field(() => BigIntScalar, { description: 'Units billed after free units (USAGE); equals quantity for FLAT_FEE.' })
  @Column({ type: 'bigint', transformer: bigintColumn })
  billableUnits!: bigint;

  @Field(() => String, { nullable: true, description: 'The unit price as a decimal string (STANDARD / PACKAGE), null for tiered or flat lines.' })
  @Column({ type: 'text', nullable: true })
  unitPrice!: string | null;

  @Column({ type: 'bigint', transformer: bigintColumn })
  amountMinor!: bigint;

  @Field(() => PricingModel, { nullable: true, description: 'How the plan priced a USAGE line when it was rated; null for FLAT_FEE lines, meters the plan does not charge, and lines written before pricing was recorded.' })
  @Column({ type: 'text', nullable: true })
  pricing!: PricingModel | null;

  /** The tiers of a GRADUATED or VOLUME line as rated (GraphQL `tiers`); empty for every other line. */
  @Column({ type: 'jsonb', default: () => `'[]'`, transformer: ratedTiersColumn })
  ratedTiers!: RatedTier[];

  @Field(() => DateTimeScalar)
  @Column({ type: 'timestamptz', precision: 3 })
  servicePeriodStart!: Date;

  @Field(() => DateTimeScalar, { description: 'Exclusive.' })
  @Column({ type: 'timestamptz', precision: 3 })
  servicePeriodEnd!: Date;

  @Column({ type: 'integer' })
  position!: number;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  /** The invoice's currency, set by the service that loads the line (not a column). */
  currency?: string;

  get globalId(): string {
    return toGlobalId('InvoiceLine', this.id);
  }
}
