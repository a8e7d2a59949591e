import type { RateLimitBucketStore } from './rate-limit-bucket.store';

/** A refused take: how long until one request fits again. */
export interface RateLimitRefusal {
  retryAfterSeconds: number;
}

export interface RateLimiterOptions {
  /**
   * How long a replica may hold leased tokens without spending one (default 1 s); a lease asks
   * for this long's refill. Unspent tokens go back to the shared bucket when it ends.
   */
  leaseMs: number;
  /** Told when unspent tokens could not be given back (they are lost to the bucket, never overspent). */
  onGiveBackFailed?: (error: unknown) => void;
}

/** This replica's tokens of one subscription's shared bucket. */
interface Lease {
  requestsPerMinute: number;
  /** Leased tokens not yet spent. */
  tokens: number;
  expiresAt: number;
  /** The shared bucket was found empty: nothing to lease before this time (no round trip). */
  emptyUntil: number;
  /** The lease being renewed; takes that find no token wait for it. */
  renewal?: Promise<void>;
}

/**
 * Requests per minute per subscription, the same however many API replicas serve it. Each
 * subscription has a token bucket in PostgreSQL (RateLimitBucketStore: up to the plan's
 * `requestsPerMinute` tokens, refilled at requestsPerMinute / 60 a second, so a full minute's
 * allowance may be spent in a burst). A replica leases tokens from it in chunks (one second's
 * refill, at least one) and spends them in memory: a call makes a round trip only when its
 * replica's lease runs out, and concurrent calls then share one. Once the bucket is found
 * empty, calls are refused from memory until a token can have refilled, so a flood of refused
 * calls costs the database nothing. Unspent tokens go back when a lease ends (`leaseMs` after
 * its last spent token, or at shutdown): a replica that stops getting traffic strands nothing
 * for long.
 * NOTE: a lease that is being spent stays the replica's: a steady caller slower than a lease
 * lasts (one call a second against a generous plan) would otherwise pay a durable round trip
 * on every other call, and the give-back another. A replica never holds more than one lease's
 * grant (it renews only once its tokens are spent), as before: only where that grant is spent
 * in time changes, never how many tokens the shared bucket hands out.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly givingBack = new Set<Promise<void>>();
  private readonly options: RateLimiterOptions;

  constructor(
    private readonly store: RateLimitBucketStore,
    options: Partial<RateLimiterOptions> = {},
  ) {
    this.options = { leaseMs: 1000, ...options };
    this.sweeper = setInterval(() => this.endExpiredLeases(Date.now()), this.options.leaseMs);
    this.sweeper.unref();
  }

  /** Takes one request from a subscription's allowance; null when allowed, else when to retry. */
  async take(subscriptionId: string, requestsPerMinute: number, nowMs: number): Promise<RateLimitRefusal | null> {
    for (;;) {
      const lease = this.currentLease(subscriptionId, requestsPerMinute, nowMs);
      if (lease.tokens >= 1) {
        lease.tokens -= 1;
        lease.expiresAt = Math.max(lease.expiresAt, nowMs + this.options.leaseMs);
        return null;
      }
      if (nowMs < lease.emptyUntil) return { retryAfterSeconds: Math.max(1, Math.ceil((lease.emptyUntil - nowMs) / 1000)) };
      lease.renewal ??= this.renew(subscriptionId, lease, nowMs).finally(() => {
        lease.renewal = undefined;
      });
      await lease.renewal;
    }
  }

  /** Gives back the unspent tokens of leases that ended by `nowMs` (the sweeper calls it every `leaseMs`). */
  endExpiredLeases(nowMs: number): void {
    for (const [subscriptionId, lease] of this.leases) {
      if (nowMs >= lease.expiresAt && nowMs >= lease.emptyUntil && !lease.renewal) this.endLease(subscriptionId, lease);
    }
  }

  /** Gives back every unspent token (at shutdown, while the database is still open). */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    for (const [subscriptionId, lease] of this.leases) if (!lease.renewal) this.endLease(subscriptionId, lease);
    await Promise.all(this.givingBack);
  }

  private currentLease(subscriptionId: string, requestsPerMinute: number, nowMs: number): Lease {
    const lease = this.leases.get(subscriptionId);
    // NOTE: an expired lease the sweeper has not ended yet still holds this replica's tokens: spending one extends it.
    if (lease && (lease.renewal || (lease.requestsPerMinute === requestsPerMinute && (nowMs < lease.expiresAt || lease.tokens >= 1)))) return lease;
    // NOTE: an empty bucket stays known as empty after its lease expired, unless the rate changed.
    const emptyUntil = lease && lease.requestsPerMinute === requestsPerMinute ? lease.emptyUntil : 0;
    if (lease) this.endLease(subscriptionId, lease);
    const fresh: Lease = { requestsPerMinute, tokens: 0, expiresAt: 0, emptyUntil };
    this.leases.set(subscriptionId, fresh);
    return fresh;
  }

  private async renew(subscriptionId: string, lease: Lease, nowMs: number): Promise<void> {
    const perMs = lease.requestsPerMinute / 60_000;
    const want = Math.max(1, Math.ceil(perMs * this.options.leaseMs));
    const { granted, tokensLeft } = await this.store.lease(subscriptionId, lease.requestsPerMinute, want, new Date(nowMs));
    lease.tokens += granted;
    lease.expiresAt = nowMs + this.options.leaseMs;
    if (granted === 0) lease.emptyUntil = nowMs + Math.ceil((1 - tokensLeft) / perMs);
  }

  private endLease(subscriptionId: string, lease: Lease): void {
    if (this.leases.get(subscriptionId) === lease) this.leases.delete(subscriptionId);
    const unspent = Math.floor(lease.tokens);
    lease.tokens = 0;
    if (unspent < 1) return;
    const giving = this.store.giveBack(subscriptionId, lease.requestsPerMinute, unspent)
      .catch((error) => this.options.onGiveBackFailed?.(error))
      .finally(() => this.givingBack.delete(giving));
    this.givingBack.add(giving);
  }
}
