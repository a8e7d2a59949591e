interface Bucket {
  tokens: number;
  updatedAt: number;
  perMinute: number;
}

/** A refused take: how long until one request fits again. */
export interface RateLimitRefusal {
  retryAfterSeconds: number;
}

/**
 * Requests per minute per subscription, as token buckets held in memory: a bucket holds up to
 * `perMinute` requests and refills at perMinute/60 per second, so a full minute's allowance may
 * be spent in a burst. NOTE: limits are enforced per API replica (N replicas let through up to
 * N x the plan's rate); a shared limiter would cost a round trip per request.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  /** Takes one request from the key's bucket; null when allowed, else when to retry. */
  take(key: string, perMinute: number, nowMs: number): RateLimitRefusal | null {
    this.sweep(nowMs);
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.perMinute !== perMinute) {
      bucket = { tokens: perMinute, updatedAt: nowMs, perMinute };
      this.buckets.set(key, bucket);
    }
    const ratePerMs = perMinute / 60_000;
    bucket.tokens = Math.min(perMinute, bucket.tokens + (nowMs - bucket.updatedAt) * ratePerMs);
    bucket.updatedAt = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
  }

  /** Drops buckets that have refilled completely (idle for over a minute). */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < 60_000) return;
    this.lastSweep = nowMs;
    for (const [key, bucket] of this.buckets) if (nowMs - bucket.updatedAt > 60_000) this.buckets.delete(key);
  }
}
