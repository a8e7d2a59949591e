import { DataSource, EntityManager } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { Meter } from '../../schema/metering/meter.enum';
import type { Subscription } from '../../schema/subscriptions/subscription.entity';
import { ApiError, ErrorCode } from '../common/errors';
import { countedUsageRows } from '../metering/counted-usage';
import type { UsageLine } from '../metering/usage-recorder';
import { BillingPeriod } from './billing-period';

interface Counter {
  /** Committed usage: the period's SQL sum when seeded, plus what this replica committed since. */
  used: bigint;
  /** Admitted calls not yet committed. */
  reserved: bigint;
  seeded: Promise<void>;
  seededAt: number;
}

/** What a call was admitted with; hand it back to {@link QuotaGuard.settle}. */
export interface QuotaReservation {
  counters: Array<{ counter: Counter; planned: bigint; meter: Meter }>;
}

/**
 * Monthly caps per meter. Each (subscription, meter, period) counter is seeded from SQL once
 * (re-seeded every `reseedMs` to take in other replicas' usage), then kept in memory: a call is
 * admitted when used + reserved + its planned quantity stays within the cap, and settled with
 * what was really committed. So the hot path makes no database round trip.
 * NOTE: COMPUTE_MS is only known after the call; its cap refuses once it is reached.
 */
export class QuotaGuard {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly reseedMs: number,
  ) {}

  /** Reserves `planned` on every capped meter, or throws QUOTA_EXCEEDED naming the meter. */
  async admit(subscription: Pick<Subscription, 'id' | 'organizationId'>, plan: Plan, period: BillingPeriod, planned: UsageLine[], now: Date): Promise<QuotaReservation> {
    const caps = plan.limits.monthlyCaps;
    if (caps.length === 0) return { counters: [] };
    const entries = await Promise.all(caps.map(async (cap) => {
      const counter = await this.counter(subscription, cap.meter, period, now);
      const want = planned.filter((l) => l.meter === cap.meter).reduce((sum, l) => sum + l.quantity, 0n);
      return { counter, planned: want, meter: cap.meter, limit: BigInt(cap.quantity) };
    }));
    for (const e of entries) {
      const after = e.counter.used + e.counter.reserved + e.planned;
      if (after > e.limit || (e.planned === 0n && e.counter.used >= e.limit)) {
        throw new ApiError(ErrorCode.QUOTA_EXCEEDED, `The monthly cap of ${e.limit} ${e.meter} of the plan "${plan.name}" is reached (used ${e.counter.used}); it resets at ${period.end.toISOString()}`, {
          meter: e.meter, limit: e.limit.toString(), used: e.counter.used.toString(), resetsAt: period.end.toISOString(),
        });
      }
    }
    for (const e of entries) e.counter.reserved += e.planned;
    return { counters: entries.map(({ counter, planned: p, meter }) => ({ counter, planned: p, meter })) };
  }

  /** Releases a reservation and adds what was committed (nothing when the call failed or was a replay). */
  settle(reservation: QuotaReservation, committed: UsageLine[]): void {
    for (const { counter, planned, meter } of reservation.counters) {
      counter.reserved -= planned;
      counter.used += committed.filter((l) => l.meter === meter).reduce((sum, l) => sum + l.quantity, 0n);
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

  private async counter(subscription: Pick<Subscription, 'id' | 'organizationId'>, meter: Meter, period: BillingPeriod, now: Date): Promise<Counter> {
    const key = `${subscription.id}|${meter}|${period.start.toISOString()}`;
    let counter = this.counters.get(key);
    if (!counter || (now.getTime() - counter.seededAt > this.reseedMs && counter.reserved === 0n)) {
      const fresh: Counter = { used: 0n, reserved: counter?.reserved ?? 0n, seededAt: now.getTime(), seeded: Promise.resolve() };
      fresh.seeded = this.usedInPeriod(this.dataSource, subscription, period).then((used) => {
        fresh.used += used.get(meter) ?? 0n;
      });
      fresh.seeded.catch(() => this.counters.delete(key));
      this.counters.set(key, fresh);
      counter = fresh;
    }
    await counter.seeded;
    return counter;
  }
}
