import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Organization } from '../accounts/organization.entity';

/**
 * An organisation's billing settings and its invoice sequence: `lastInvoiceSequence` moves by one
 * in the transaction that finalizes an invoice (row lock), so numbers are gapless and never reused.
 */
@Entity('billing_account')
export class BillingAccount {
  @PrimaryColumn({ type: 'uuid' })
  organizationId!: string;

  @OneToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn()
  organization?: Organization;

  /** `<ORG>` of invoice numbers, e.g. CONTOSO. */
  @Column({ type: 'text' })
  numberPrefix!: string;

  @Column({ type: 'integer', default: 0 })
  lastInvoiceSequence!: number;

  /** Grace period of the organisation's drafts; null = the platform default (BILLING_GRACE_PERIOD_SECONDS). */
  @Column({ type: 'integer', nullable: true })
  gracePeriodSeconds!: number | null;
}
