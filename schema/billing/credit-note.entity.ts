import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';
import { Invoice } from './invoice.entity';

/** A credit note against a finalized invoice (voidInvoice issues one for the invoice's total): `<number>-CN<n>`. */
@ObjectType({ implements: Node, description: 'A credit note against a finalized invoice.' })
@Entity('credit_note')
export class CreditNote implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  invoiceId!: string;

  @ManyToOne(() => Invoice, { onDelete: 'RESTRICT' })
  @JoinColumn()
  invoice?: Invoice;

  @Column({ type: 'uuid' })
  organizationId!: string;

  @Field({ description: '`<invoice number>-CN<n>`.' })
  @Index({ unique: true })
  @Column({ type: 'text' })
  number!: string;

  @Column({ type: 'bigint', transformer: bigintColumn })
  amountMinor!: bigint;

  @Field()
  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Field()
  @Column({ type: 'text' })
  reason!: string;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  get globalId(): string {
    return toGlobalId('CreditNote', this.id);
  }
}
