import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';
import { ModelTask, ModelVisibility } from './catalogue.enums';

/**
 * A catalogue entry: what a vendor sells. Versions hold the ONNX files; plans hold prices.
 * PRIVATE models (fine-tunes) are visible to their owning organisation only.
 */
@ObjectType({ implements: Node, description: 'A model in the catalogue.' })
@Entity('model')
@Index(['organizationId', 'createdAt'])
export class Model implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The publishing vendor (or, for a private fine-tune, the partner that owns it). */
  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT' })
  @JoinColumn()
  organization?: Organization;

  @Field({ description: 'Unique, URL-safe name, e.g. "sentiment-en".' })
  @Index({ unique: true })
  @Column({ type: 'text' })
  slug!: string;

  @Field()
  @Column({ type: 'text' })
  name!: string;

  @Field(() => ModelTask)
  @Column({ type: 'text' })
  task!: ModelTask;

  @Field()
  @Column({ type: 'text', default: '' })
  description!: string;

  @Field(() => [String])
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @Field(() => ModelVisibility)
  @Column({ type: 'text', default: ModelVisibility.PUBLIC })
  visibility!: ModelVisibility;

  /** For a private fine-tune: the catalogue model it was tuned from (its calls are billed under that model's plan). */
  @Column({ type: 'uuid', nullable: true })
  baseModelId!: string | null;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  get globalId(): string {
    return toGlobalId('Model', this.id);
  }
}
