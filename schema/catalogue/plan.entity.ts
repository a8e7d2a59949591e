import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { Model } from './model.entity';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { BigIntScalar, DateTimeScalar } from '../common/scalars';
import { Meter } from '../metering/meter.enum';

export enum PlanStatus {
  ACTIVE = 'ACTIVE',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(PlanStatus, { name: 'PlanStatus', description: 'ARCHIVED plans take no new subscriptions.' });

/** A monthly cap on one meter. */
@ObjectType()
export class MeterCap {
  @Field(() => Meter)
  meter!: Meter;

  @Field(() => BigIntScalar)
  quantity!: string;
}

/** Usage limits a plan grants; enforced on every call. */
@ObjectType()
export class PlanLimits {
  @Field(() => Int, { nullable: true, description: 'Requests per minute per subscription; null = unlimited.' })
  requestsPerMinute!: number | null;

  @Field(() => [MeterCap])
  monthlyCaps!: MeterCap[];
}

/** A price plan of a model: a flat monthly fee plus usage charges, in one currency. */
@ObjectType({ implements: Node, description: 'A price plan of a model.' })
@Entity('plan')
export class Plan implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  modelId!: string;

  @ManyToOne(() => Model, { onDelete: 'CASCADE' })
  @JoinColumn()
  model?: Model;

  @Field()
  @Column({ type: 'text' })
  name!: string;

  @Field({ description: 'ISO 4217 currency of every amount of the plan.' })
  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'bigint', transformer: bigintColumn })
  flatFeeMinor!: bigint;

  @Field(() => PlanStatus)
  @Column({ type: 'text', default: PlanStatus.ACTIVE })
  status!: PlanStatus;

  @Field(() => PlanLimits)
  @Column({ type: 'jsonb' })
  limits!: PlanLimits;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  get globalId(): string {
    return toGlobalId('Plan', this.id);
  }
}
