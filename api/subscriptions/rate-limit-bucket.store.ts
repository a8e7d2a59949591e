import { DataSource } from 'typeorm';

/** What a lease got from a shared bucket: whole tokens granted, and the tokens left after it. */
export interface BucketLease {
  granted: number;
  tokensLeft: number;
}

/**
 * Refills the bucket to `at` and takes up to `want` whole tokens, under the row's lock (the
 * sub-select's FOR UPDATE waits for a concurrent lease and then reads its result, so two
 * replicas never both spend the same tokens). A changed rate starts a full bucket. Time never
 * runs backwards for a bucket: a replica whose clock is behind refills nothing.
 */
const LEASE_SQL = `UPDATE rate_limit_bucket b
  SET requests_per_minute = $2::int, tokens = r.tokens - r.granted, refilled_at = r.at
  FROM (
    SELECT at, tokens, least($3::int, floor(tokens))::int AS granted FROM (
      SELECT greatest(refilled_at, $4::timestamptz) AS at,
        CASE WHEN requests_per_minute <> $2::int THEN $2::int::float8
          ELSE least($2::int::float8, tokens + extract(epoch FROM greatest($4::timestamptz - refilled_at, interval '0'))::float8 * $2::int::float8 / 60) END AS tokens
      FROM rate_limit_bucket WHERE subscription_id = $1 FOR UPDATE
    ) refilled
  ) r
  WHERE b.subscription_id = $1
  RETURNING r.granted, b.tokens AS tokens_left`;

/** A subscription's first lease: its bucket starts full. */
const CREATE_SQL = `INSERT INTO rate_limit_bucket (subscription_id, requests_per_minute, tokens, refilled_at)
  VALUES ($1, $2::int, $2::int, $3) ON CONFLICT (subscription_id) DO NOTHING`;

/** Unspent leased tokens back into the bucket (never past its capacity, nor into a bucket whose rate changed). */
const GIVE_BACK_SQL = `UPDATE rate_limit_bucket SET tokens = least(requests_per_minute::float8, tokens + $3::int)
  WHERE subscription_id = $1 AND requests_per_minute = $2::int`;

/** The RETURNING rows of an UPDATE (TypeORM's PostgreSQL driver answers `[rows, affected]`). */
function returned(result: unknown): Array<{ granted: number; tokens_left: number }> {
  const r = result as unknown[];
  return (Array.isArray(r[0]) ? r[0] : r) as Array<{ granted: number; tokens_left: number }>;
}

/**
 * The token buckets in PostgreSQL (table rate_limit_bucket) that every API replica leases
 * from: one statement a lease, none on the hot path (see RateLimiter).
 */
export class RateLimitBucketStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Takes up to `want` tokens from a subscription's bucket at time `at` (creating it full). */
  async lease(subscriptionId: string, requestsPerMinute: number, want: number, at: Date): Promise<BucketLease> {
    const params = [subscriptionId, requestsPerMinute, want, at];
    let rows = returned(await this.dataSource.query(LEASE_SQL, params));
    if (rows.length === 0) {
      await this.dataSource.query(CREATE_SQL, [subscriptionId, requestsPerMinute, at]);
      rows = returned(await this.dataSource.query(LEASE_SQL, params));
    }
    if (rows.length === 0) throw new Error(`rate limit bucket of subscription ${subscriptionId} could not be created`);
    return { granted: Number(rows[0].granted), tokensLeft: Number(rows[0].tokens_left) };
  }

  /** Returns unspent tokens of a lease to the bucket. */
  async giveBack(subscriptionId: string, requestsPerMinute: number, tokens: number): Promise<void> {
    await this.dataSource.query(GIVE_BACK_SQL, [subscriptionId, requestsPerMinute, tokens]);
  }
}
