import { Field, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';
import { StoredFile } from '../catalogue/stored-file.entity';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';
import { DatasetFormat } from './fine-tuning.enums';

/** How many rows of a dataset carry one label. */
@ObjectType({ description: 'Rows per label, in the training and validation parts.' })
export class LabelCount {
  @Field()
  label!: string;

  @Field(() => Int)
  count!: number;

  @Field(() => Int)
  trainCount!: number;

  @Field(() => Int)
  validationCount!: number;
}

/** One labelled text. */
export interface DatasetRow {
  text: string;
  label: string;
}

/** The rows a job trains and validates on (kept with the dataset; never sent to clients). */
export interface DatasetSplit {
  train: DatasetRow[];
  validation: DatasetRow[];
}

/**
 * A validated training set of an organisation: rows `{ text, label }` from an uploaded file,
 * de-duplicated and split (seeded, stratified) into training and validation rows. Visible to
 * its organisation alone.
 */
@ObjectType({ implements: Node, description: 'A validated, split set of labelled texts for fine-tuning.' })
@Entity('dataset')
@Index(['organizationId', 'createdAt'])
export class Dataset implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn()
  organization?: Organization;

  @Column({ type: 'uuid' })
  fileId!: string;

  @ManyToOne(() => StoredFile, { onDelete: 'RESTRICT' })
  @JoinColumn()
  file?: StoredFile;

  @Column({ type: 'uuid', nullable: true })
  validationFileId!: string | null;

  @ManyToOne(() => StoredFile, { onDelete: 'RESTRICT' })
  @JoinColumn()
  validationFile?: StoredFile;

  @Field(() => DatasetFormat)
  @Column({ type: 'text' })
  format!: DatasetFormat;

  @Field(() => Int, { description: 'Rows read from the file(s), duplicates included.' })
  @Column({ type: 'integer' })
  rowCount!: number;

  @Field(() => Int, { description: 'Rows whose text repeats an earlier row (kept once).' })
  @Column({ type: 'integer' })
  duplicateRows!: number;

  @Field(() => Int, { description: 'Rows longer than the text models\' token limit (the model reads their start only).' })
  @Column({ type: 'integer' })
  rowsOverTextLimit!: number;

  @Field(() => Int, { description: 'The token limit `rowsOverTextLimit` counts against.' })
  @Column({ type: 'integer' })
  textLimitTokens!: number;

  @Field(() => Int)
  @Column({ type: 'integer' })
  trainRows!: number;

  @Field(() => Int)
  @Column({ type: 'integer' })
  validationRows!: number;

  @Field(() => Int, { description: 'Seed of the train/validation split.' })
  @Column({ type: 'integer' })
  splitSeed!: number;

  @Field(() => [LabelCount], { description: 'Labels in first-seen order, with their row counts.' })
  @Column({ type: 'jsonb' })
  labels!: LabelCount[];

  /** The split rows; loaded only by the job runner. */
  @Column({ type: 'jsonb', select: false })
  rows?: DatasetSplit;

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  get globalId(): string {
    return toGlobalId('Dataset', this.id);
  }
}
