import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A Stripe webhook event that was handled (or deliberately ignored), by event id: a redelivery is a no-op. */
@Entity('stripe_webhook_event')
export class StripeWebhookEvent {
  /** Stripe's event id, `evt_...`. */
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  /** The Stripe object the event is about (e.g. `in_...`), when it has one. */
  @Column({ type: 'text', nullable: true })
  objectId!: string | null;

  /** What was done: `applied`, `ignored` (unknown type) or `unmatched` (no invoice of ours). */
  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'timestamptz', precision: 3 })
  receivedAt!: Date;
}
