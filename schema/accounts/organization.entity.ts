import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';

/** What an organisation is to the marketplace. */
export enum OrganizationKind {
  VENDOR = 'VENDOR',
  PARTNER = 'PARTNER',
  PLATFORM = 'PLATFORM',
}
registerEnumType(OrganizationKind, {
  name: 'OrganizationKind',
  description: 'VENDOR publishes models, PARTNER consumes them, PLATFORM operates the marketplace.',
});

/** A tenant: a vendor, a partner or the platform operator. Every row of data belongs to one. */
@ObjectType({ implements: Node, description: 'A vendor, partner or the platform operator.' })
@Entity('organization')
export class Organization implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field()
  @Column({ type: 'text' })
  name!: string;

  @Field(() => OrganizationKind)
  @Column({ type: 'text' })
  kind!: OrganizationKind;

  @Field({ description: 'Currency its invoices are issued in.' })
  @Column({ type: 'char', length: 3, default: 'USD' })
  billingCurrency!: string;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  get globalId(): string {
    return toGlobalId('Organization', this.id);
  }
}
