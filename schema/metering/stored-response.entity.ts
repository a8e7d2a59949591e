import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The answer given to a call that carried a `requestId`, written in the same statement as its
 * usage events: a retry gets it back instead of running (and billing) again. Kept at least
 * 35 days (see UsageRecorder.pruneStoredResponses).
 */
@Entity('stored_response')
export class StoredResponse {
  @PrimaryColumn({ type: 'uuid' })
  organizationId!: string;

  @PrimaryColumn({ type: 'text' })
  idempotencyKey!: string;

  /** SHA-256 of the call's canonical input: the same key with another input is a conflict. */
  @Column({ type: 'text' })
  requestHash!: string;

  @Column({ type: 'jsonb' })
  response!: Record<string, unknown>;

  @Index()
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
