import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintColumn } from '../common/column-transformers';
import { Model } from './model.entity';
import { StoredFile } from './stored-file.entity';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { BigIntScalar, DateTimeScalar, JSONScalar } from '../common/scalars';
import { ModelVersionStatus } from './catalogue.enums';
import { ModelSignature } from './model-signature.type';

/** One immutable ONNX file of a model, with the signature read from it and how to preprocess input. */
@ObjectType({ implements: Node, description: 'A version of a model: one validated ONNX file.' })
@Entity('model_version')
@Index(['modelId', 'version'], { unique: true })
export class ModelVersion implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  modelId!: string;

  @ManyToOne(() => Model, { onDelete: 'CASCADE' })
  @JoinColumn()
  model?: Model;

  @Field({ description: 'Vendor-chosen version string, e.g. "1.0.0".' })
  @Column({ type: 'text' })
  version!: string;

  @Field(() => ModelVersionStatus)
  @Column({ type: 'text' })
  status!: ModelVersionStatus;

  @Column({ type: 'uuid' })
  fileId!: string;

  @ManyToOne(() => StoredFile, { onDelete: 'RESTRICT' })
  @JoinColumn()
  file?: StoredFile;

  @Field()
  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Field(() => BigIntScalar)
  @Column({ type: 'bigint', transformer: bigintColumn })
  bytes!: bigint;

  @Field(() => ModelSignature)
  @Column({ type: 'jsonb' })
  signature!: ModelSignature;

  @Field(() => [String], { nullable: true, description: 'Class labels of a classifier, in output order.' })
  @Column({ type: 'text', array: true, nullable: true })
  labels!: string[] | null;

  @Field(() => JSONScalar, { nullable: true, description: 'How texts become tensors, e.g. the tokenizer spec.' })
  @Column({ type: 'jsonb', nullable: true })
  preprocessing!: Record<string, unknown> | null;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', nullable: true })
  deprecatedAt!: Date | null;

  get globalId(): string {
    return toGlobalId('ModelVersion', this.id);
  }
}
