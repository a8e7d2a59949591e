import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';
import { bigintColumn } from '../common/column-transformers';
import { FilePurpose } from './catalogue.enums';

/** An uploaded file (model or data set). Contents live in content-addressed storage by sha256. */
@Entity('stored_file')
export class StoredFile {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT' })
  @JoinColumn()
  organization?: Organization;

  @Column({ type: 'text' })
  purpose!: FilePurpose;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ type: 'bigint', transformer: bigintColumn })
  bytes!: bigint;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
