import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** What an outbox entry writes to Stripe: an organisation's customer, a plan's product and prices, an invoice, an invoice's voiding. */
export enum StripeOutboxKind {
  CUSTOMER = 'CUSTOMER',
  PRODUCT = 'PRODUCT',
  INVOICE = 'INVOICE',
  INVOICE_VOID = 'INVOICE_VOID',
}

/**
 * One write to Stripe that must happen (the transactional outbox): enqueued in the transaction
 * that made it necessary, drained by a worker with exponential backoff. Once done it keeps the
 * Stripe id, so the object is never created twice; until then its idempotency key, derived from
 * our ids, makes every retry the same request.
 */
@Entity('stripe_outbox')
@Index('UQ_stripe_outbox_kind_local_id', ['kind', 'localId'], { unique: true })
@Index('IDX_stripe_outbox_due', ['nextAttemptAt'], { where: '"done_at" IS NULL' })
export class StripeOutboxEntry {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: StripeOutboxKind;

  /** Our id of the thing synced: organisation, plan or invoice. */
  @Column({ type: 'uuid' })
  localId!: string;

  /** Base of the Stripe idempotency keys of this entry's requests, e.g. `invoice:<uuid>`. */
  @Column({ type: 'text', unique: true })
  idempotencyKey!: string;

  /** The Stripe object's id once created (customer, product, invoice). */
  @Column({ type: 'text', nullable: true })
  stripeId!: string | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  /** Due time; while a worker holds the entry, the end of its lease. */
  @Column({ type: 'timestamptz', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  doneAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
