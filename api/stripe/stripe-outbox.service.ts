import { DataSource, EntityManager } from 'typeorm';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';
import type { Logger } from '../logger';
import { isPermanentStripeError } from './stripe-client.factory';

/** Writes one entry's object to Stripe and returns its Stripe id (null: nothing to write); throws to be retried later. */
export type OutboxHandler = (entry: StripeOutboxEntry, now: Date) => Promise<string | null>;

export interface OutboxOptions {
  /** First retry delay; each failure doubles it. */
  baseDelayMs: number;
  /** Longest delay between two attempts. */
  maxDelayMs: number;
  /** How long a claimed entry is held by its worker before another may take it (a crashed worker's entries come back). */
  leaseMs: number;
  /** Entries claimed per round. */
  batchSize: number;
}

export const defaultOutboxOptions: OutboxOptions = { baseDelayMs: 2_000, maxDelayMs: 3_600_000, leaseMs: 120_000, batchSize: 20 };

/** What one drain did. */
export interface DrainReport {
  done: number;
  failed: number;
}

/** The delay before attempt `attempts + 1`: base * 2^(attempts - 1), at most `maxDelayMs`. */
export function backoffDelayMs(attempts: number, options: Pick<OutboxOptions, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

/** The rows of an `UPDATE ... RETURNING` sent through `query()` (TypeORM answers `[rows, count]` for UPDATE and DELETE). */
export function updatedRows<T>(result: unknown): T[] {
  return (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result) as T[];
}

/** The base of an entry's Stripe idempotency keys, from our id: `customer:<uuid>`, `invoice:<uuid>`. */
export function idempotencyKeyOf(kind: StripeOutboxKind, localId: string): string {
  return `${kind.toLowerCase()}:${localId}`;
}

/**
 * The Stripe outbox: every write to Stripe is an entry, enqueued in the transaction that made it
 * necessary and drained by a worker (any replica: entries are claimed with SKIP LOCKED and held
 * by a lease), retried with exponential backoff. A done entry keeps its Stripe id, so the object
 * is never created again.
 */
export class StripeOutbox {
  private readonly handlers = new Map<StripeOutboxKind, OutboxHandler>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    readonly options: OutboxOptions = defaultOutboxOptions,
  ) {}

  register(kind: StripeOutboxKind, handler: OutboxHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Adds the entry for (kind, localId) in `db`'s transaction, or makes an existing pending one due now. */
  async enqueue(db: EntityManager, kind: StripeOutboxKind, localId: string, now: Date): Promise<StripeOutboxEntry> {
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO stripe_outbox (kind, local_id, idempotency_key, next_attempt_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, local_id) DO UPDATE SET next_attempt_at = LEAST(stripe_outbox.next_attempt_at, EXCLUDED.next_attempt_at)
       WHERE stripe_outbox.done_at IS NULL
       RETURNING id`,
      [kind, localId, idempotencyKeyOf(kind, localId), now],
    );
    const entry = await this.find(db, kind, localId);
    if (!entry) throw new Error(`stripe_outbox entry ${kind} ${localId} vanished (row ${rows[0]?.id})`);
    return entry;
  }

  find(db: EntityManager, kind: StripeOutboxKind, localId: string): Promise<StripeOutboxEntry | null> {
    return db.getRepository(StripeOutboxEntry).findOneBy({ kind, localId });
  }

  /** Records a Stripe id reached mid-way (an invoice created before its items), so a retry does not create it again. */
  async saveStripeId(entry: StripeOutboxEntry, stripeId: string): Promise<void> {
    entry.stripeId = stripeId;
    await this.dataSource.query('UPDATE stripe_outbox SET stripe_id = $2 WHERE id = $1', [entry.id, stripeId]);
  }

  async complete(entry: StripeOutboxEntry, stripeId: string | null, now: Date): Promise<void> {
    entry.stripeId = stripeId;
    entry.doneAt = now;
    entry.lastError = null;
    await this.dataSource.query('UPDATE stripe_outbox SET stripe_id = $2, done_at = $3, last_error = NULL WHERE id = $1', [entry.id, stripeId, now]);
  }

  /**
   * The job handler: claims due entries and writes each to Stripe; a failure is recorded with
   * the next attempt after the backoff delay. Returns when no due entry is left (or after
   * `maxRounds` rounds).
   */
  async drain(now: Date = new Date(), maxRounds = 50): Promise<DrainReport> {
    const report: DrainReport = { done: 0, failed: 0 };
    for (let round = 0; round < maxRounds; round++) {
      const claimed = await this.claim(now);
      if (!claimed.length) break;
      for (const entry of claimed) {
        if (await this.attempt(entry, now)) report.done++;
        else report.failed++;
      }
      if (claimed.length < this.options.batchSize) break;
    }
    return report;
  }

  private async attempt(entry: StripeOutboxEntry, now: Date): Promise<boolean> {
    const handler = this.handlers.get(entry.kind);
    try {
      if (!handler) throw new Error(`no Stripe outbox handler for ${entry.kind}`);
      await this.complete(entry, await handler(entry, now), now);
      return true;
    } catch (error) {
      const delay = backoffDelayMs(entry.attempts, this.options);
      const message = error instanceof Error ? error.message : String(error);
      // NOTE: a permanent error (an idempotency key reused with other parameters, a refused request)
      // is retried at the longest delay: an operator must look, and nothing is created twice meanwhile.
      const next = new Date(now.getTime() + (isPermanentStripeError(error) ? this.options.maxDelayMs : delay));
      await this.dataSource.query('UPDATE stripe_outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1', [entry.id, message.slice(0, 2000), next]);
      this.logger.warn({ kind: entry.kind, localId: entry.localId, attempts: entry.attempts, nextAttemptAt: next, err: message }, 'a Stripe sync failed; it will be retried');
      return false;
    }
  }

  /** Takes up to a batch of due entries: attempts + 1, held for the lease. */
  private async claim(now: Date): Promise<StripeOutboxEntry[]> {
    const lease = new Date(now.getTime() + this.options.leaseMs);
    const rows = updatedRows<{ id: string }>(await this.dataSource.query(
      `UPDATE stripe_outbox SET attempts = attempts + 1, next_attempt_at = $2
       WHERE id IN (SELECT id FROM stripe_outbox WHERE done_at IS NULL AND next_attempt_at <= $1
                    ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [now, lease, this.options.batchSize],
    ));
    if (!rows.length) return [];
    const repo = this.dataSource.getRepository(StripeOutboxEntry);
    const entries = await repo.createQueryBuilder('e').where('e.id IN (:...ids)', { ids: rows.map((r) => r.id) }).orderBy('e.created_at').getMany();
    return entries;
  }
}
