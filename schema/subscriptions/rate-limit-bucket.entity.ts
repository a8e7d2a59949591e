import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Subscription } from './subscription.entity';

/**
 * A subscription's requests-per-minute token bucket, shared by every API replica: it holds up to
 * `requestsPerMinute` tokens and refills at requestsPerMinute / 60 a second. Replicas lease
 * tokens from it in chunks and spend them in memory (see RateLimiter), so a plan's rate holds
 * however many replicas serve the subscription. Not part of the GraphQL schema.
 */
@Entity('rate_limit_bucket')
export class RateLimitBucket {
  @PrimaryColumn({ type: 'uuid' })
  subscriptionId!: string;

  @ManyToOne(() => Subscription, { onDelete: 'CASCADE' })
  @JoinColumn()
  subscription?: Subscription;

  /** The plan's rate when the bucket last refilled; a different rate starts a full bucket. */
  @Column({ type: 'integer' })
  requestsPerMinute!: number;

  /** Tokens left as of `refilledAt` (fractional: refill is continuous). */
  @Column({ type: 'double precision' })
  tokens!: number;

  @Column({ type: 'timestamptz', precision: 3 })
  refilledAt!: Date;
}
