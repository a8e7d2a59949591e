import { DataSource, EntityManager } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { Meter } from '../../schema/metering/meter.enum';
import type { Subscription } from '../../schema/subscriptions/subscription.entity';
import { ApiError, ErrorCode } from '../common/errors';
import { countedUsageRows } from '../metering/counted-usage';
import type { UsageLine } from '../metering/usage-recorder';
import { BillingPeriod } from './billing-period';

interface Counter {
  /** Committed usage of the period as the last seed's query counted it. */
  seeded: bigint;
  /** What this replica committed since that query was sent (see {@link QuotaGuard.seed}). */
  committedSince: bigint;
  /** Everything this replica committed to the counter: marks where a seed began. */
  committedTotal: bigint;
  /** Admitted calls not yet committed. */
  reserved: bigint;
  /** When the last seed's query was sent (the callers' clock). */
  seededAt: number;
  /** The seed in flight, which callers near the cap wait for. */
  seeding?: Promise<void>;
  /** The first seed: nothing is admitted before it. */
  ready: Promise<void>;
}

const used = (counter: Counter) => counter.seeded + counter.committedSince;

/** What a call was admitted with; hand it back to {@link QuotaGuard.settle}. */
export interface QuotaReservation {
  counters: Array<{ counter: Counter; planned: bigint; meter: Meter }>;
}

export interface QuotaGuardOptions {
  /** How old a count may get while over a tenth of the cap is left (default 60 s). */
  reseedMs: number;
  /** How old it may get within the last tenth (default 1 s). */
  closeReseedMs: number;
  /** Told when a background re-count failed (the counter keeps its last count). */
  onReseedFailed?: (error: unknown) => void;
}

/**
 * Monthly caps per meter, held across API replicas. Each (subscription, meter, period)
 * counter is seeded from SQL, then kept in memory: a call is admitted when used + reserved +
 * its planned quantity stays within the cap, and settled with what was really committed, so
 * far from the cap the hot path makes no database round trip. Other replicas' usage comes in
 * by re-counting in the background: every `reseedMs`, every `closeReseedMs` within the last
 * tenth of the cap; and a call that would leave under a hundredth of it (or take the last
 * unit) waits for a fresh count first, so replicas together overshoot a cap by at most the
 * calls they have in flight at that moment. A counter known to be used up refuses from memory
 * until its next re-count is due.
 * NOTE: COMPUTE_MS is only known after the call; its cap refuses once it is reached.
 */
export class QuotaGuard {
  private readonly counters = new Map<string, Counter>();
  private readonly options: QuotaGuardOptions;

  constructor(
    private readonly dataSource: DataSource,
    options: Partial<QuotaGuardOptions> = {},
  ) {
    this.options = { reseedMs: 60_000, closeReseedMs: 1_000, ...options };
  }

  /** Reserves `planned` on every capped meter, or throws QUOTA_EXCEEDED naming the meter. */
  async admit(subscription: Pick<Subscription, 'id' | 'organizationId'>, plan: Plan, period: BillingPeriod, planned: UsageLine[], now: Date): Promise<QuotaReservation> {
    const caps = plan.limits.monthlyCaps;
    if (caps.length === 0) return { counters: [] };
    const entries = await Promise.all(caps.map(async (cap) => {
      const want = planned.filter((l) => l.meter === cap.meter).reduce((sum, l) => sum + l.quantity, 0n);
      const limit = BigInt(cap.quantity);
      const { counter, created } = await this.counter(subscription, cap.meter, period, now);
      if (!created) await this.refresh(counter, subscription, cap.meter, period, limit, want, now.getTime());
      return { counter, planned: want, meter: cap.meter, limit };
    }));
    for (const e of entries) {
      const after = used(e.counter) + e.counter.reserved + e.planned;
      if (after > e.limit || (e.planned === 0n && used(e.counter) >= e.limit)) {
        throw new ApiError(ErrorCode.QUOTA_EXCEEDED, `The monthly cap of ${e.limit} ${e.meter} of the plan "${plan.name}" is reached (used ${used(e.counter)}); it resets at ${period.end.toISOString()}`, {
          meter: e.meter, limit: e.limit.toString(), used: used(e.counter).toString(), resetsAt: period.end.toISOString(),
        });
      }
    }
    for (const e of entries) e.counter.reserved += e.planned;
    return { counters: entries.map(({ counter, planned: p, meter }) => ({ counter, planned: p, meter })) };
  }

  /** Releases a reservation and adds what was committed (nothing when the call failed or was a replay). */
  settle(reservation: QuotaReservation, committed: UsageLine[]): void {
    for (const { counter, planned, meter } of reservation.counters) {
      const quantity = committed.filter((l) => l.meter === meter).reduce((sum, l) => sum + l.quantity, 0n);
      counter.reserved -= planned;
      counter.committedSince += quantity;
      counter.committedTotal += quantity;
    }
  }

  /** Drops a subscription's counters (after cancellation, or a corrected event). */
  forgetSubscription(subscriptionId: string): void {
    for (const key of this.counters.keys()) if (key.startsWith(`${subscriptionId}|`)) this.counters.delete(key);
  }

  /**
   * Committed, non-canceled usage of a subscription per meter within a period (one query; whole
   * hours from the hourly totals, so a busy month costs hundreds of rows, not millions of events).
   */
  async usedInPeriod(db: EntityManager | DataSource, subscription: Pick<Subscription, 'id' | 'organizationId'>, period: BillingPeriod): Promise<Map<Meter, bigint>> {
    const params: unknown[] = [subscription.organizationId, subscription.id];
    const rows: Array<{ meter: Meter; used: string }> = await db.query(
      `SELECT r.meter, SUM(r.quantity)::text AS used FROM (${countedUsageRows({
        from: period.start, to: period.end, columns: [], readHourlyTotals: true,
        where: (alias) => `${alias}.organization_id = $1 AND ${alias}.subscription_id = $2`,
      }, params)}) r GROUP BY r.meter`,
      params,
    );
    return new Map(rows.map((r) => [r.meter, BigInt(r.used)]));
  }

  /** The counter, seeded; `created` when this call made it (so its count is fresh). */
  private async counter(subscription: Pick<Subscription, 'id' | 'organizationId'>, meter: Meter, period: BillingPeriod, now: Date): Promise<{ counter: Counter; created: boolean }> {
    const key = `${subscription.id}|${meter}|${period.start.toISOString()}`;
    const existing = this.counters.get(key);
    if (existing) {
      await existing.ready;
      return { counter: existing, created: false };
    }
    const fresh: Counter = { seeded: 0n, committedSince: 0n, committedTotal: 0n, reserved: 0n, seededAt: now.getTime(), ready: Promise.resolve() };
    fresh.ready = this.seed(fresh, subscription, meter, period, now.getTime());
    fresh.ready.catch(() => this.counters.delete(key));
    this.counters.set(key, fresh);
    await fresh.ready;
    return { counter: fresh, created: true };
  }

  /**
   * Re-counts when the count is too old for the headroom left: waits for it when this call
   * would leave under a hundredth of the cap, else lets it run in the background.
   */
  private async refresh(counter: Counter, subscription: Pick<Subscription, 'id' | 'organizationId'>, meter: Meter, period: BillingPeriod,
    limit: bigint, want: bigint, nowMs: number): Promise<void> {
    const age = nowMs - counter.seededAt;
    const headroom = limit - used(counter) - counter.reserved;
    const usedUp = used(counter) >= limit;
    if (usedUp && age < this.options.closeReseedMs) return;
    if ((headroom - want) * 100n < limit || usedUp) {
      await this.seed(counter, subscription, meter, period, nowMs);
      return;
    }
    const maxAge = headroom * 10n <= limit ? this.options.closeReseedMs : this.options.reseedMs;
    if (age > maxAge) this.seed(counter, subscription, meter, period, nowMs).catch((error) => this.options.onReseedFailed?.(error));
  }

  /**
   * Counts the period's committed usage in SQL (one count in flight per counter, shared). What
   * this replica commits while the query runs is added on top; a commit that lands just as the
   * query reads may so count twice until the next count (never too little).
   */
  private seed(counter: Counter, subscription: Pick<Subscription, 'id' | 'organizationId'>, meter: Meter, period: BillingPeriod, nowMs: number): Promise<void> {
    if (counter.seeding) return counter.seeding;
    const mark = counter.committedTotal;
    counter.seeding = this.usedInPeriod(this.dataSource, subscription, period).then((usage) => {
      counter.seeded = usage.get(meter) ?? 0n;
      counter.committedSince = counter.committedTotal - mark;
      counter.seededAt = nowMs;
    }).finally(() => {
      counter.seeding = undefined;
    });
    return counter.seeding;
  }
}
