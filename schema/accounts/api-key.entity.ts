import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { toGlobalId } from '../common/global-id';
import { Node } from '../common/node.interface';
import { DateTimeScalar } from '../common/scalars';
import { Organization } from './organization.entity';
import { Role } from './role.enum';

/**
 * A credential of an organisation. Only a SHA-256 hash of the secret is stored; the
 * plaintext key is shown once, at creation. `prefix` identifies the key in lists and logs.
 */
@ObjectType({ implements: Node, description: 'An API key. The secret is shown once, at creation.' })
@Entity('api_key')
export class ApiKey implements Node {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn()
  organization?: Organization;

  @Field({ description: 'What the key is for, e.g. "Contoso portal (production)".' })
  @Column({ type: 'text' })
  name!: string;

  @Field({ description: 'Public, non-secret start of the key, e.g. "mk_3f9a1c2b".' })
  @Index({ unique: true })
  @Column({ type: 'text' })
  prefix!: string;

  @Column({ type: 'text' })
  secretHash!: string;

  @Field(() => [Role])
  @Column({ type: 'text', array: true })
  roles!: Role[];

  @Field(() => DateTimeScalar)
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  get globalId(): string {
    return toGlobalId('ApiKey', this.id);
  }
}
