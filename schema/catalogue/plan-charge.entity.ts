import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Plan } from './plan.entity';
import { bigintColumn } from '../common/column-transformers';
import { BigIntScalar } from '../common/scalars';
import { Meter } from '../metering/meter.enum';
import { PricingModel } from './catalogue.enums';

/** One tier of a GRADUATED or VOLUME charge. */
@ObjectType()
export class PriceTier {
  @Field(() => BigIntScalar, { nullable: true, description: 'Last unit of the tier, inclusive; null = no upper bound.' })
  upTo!: string | null;

  @Field({ description: 'Price per unit as a decimal string in the plan currency\'s major unit, e.g. "0.0004".' })
  unitPrice!: string;
}

/** How one meter of a plan is priced. */
@ObjectType({ description: 'How one meter of a plan is priced.' })
@Entity('plan_charge')
export class PlanCharge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  planId!: string;

  @ManyToOne(() => Plan, { onDelete: 'CASCADE' })
  @JoinColumn()
  plan?: Plan;

  @Field(() => Meter)
  @Column({ type: 'text' })
  meter!: Meter;

  @Field(() => PricingModel)
  @Column({ type: 'text' })
  pricing!: PricingModel;

  @Field(() => String, { nullable: true, description: 'Decimal price per unit (STANDARD) or per package (PACKAGE).' })
  @Column({ type: 'numeric', nullable: true })
  unitPrice!: string | null;

  @Field(() => [PriceTier])
  @Column({ type: 'jsonb', default: () => `'[]'` })
  tiers!: PriceTier[];

  @Field(() => BigIntScalar, { nullable: true, description: 'Units per package (PACKAGE pricing).' })
  @Column({ type: 'bigint', nullable: true, transformer: bigintColumn })
  packageSize!: bigint | null;

  @Field(() => BigIntScalar, { description: 'Units each billing period that are not charged.' })
  @Column({ type: 'bigint', default: 0, transformer: bigintColumn })
  freeUnits!: bigint;

  @Column({ type: 'int', default: 0 })
  position!: number;
}
