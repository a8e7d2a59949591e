import { EntityManager } from 'typeorm';
import { Meter } from '../../schema/metering/meter.enum';
import { NO_ID } from '../../schema/metering/hourly-usage-total.entity';
import { countedUsageRows } from '../metering/counted-usage';
import { COMPACTION, hourlyTotalsCompaction } from '../metering/usage-query.service';
import { BillingPeriod } from './billing-periods';

/** A window of one subscription billed under one plan (a plan change splits a period into several). */
export interface UsageWindow {
  key: number;
  subscriptionId: string;
  window: BillingPeriod;
}

/** The summed usage of one (organisation, subscription, model, meter) in the period, or in one window (`window` = its key). */
export interface BilledUsageRow {
  window: number | null;
  organizationId: string;
  subscriptionId: string;
  modelId: string;
  meter: Meter;
  quantity: bigint;
}

export interface UsageSumsQuery {
  period: BillingPeriod;
  /** Only these organisations (null: all). */
  organizationIds: string[] | null;
  /** Subscriptions whose period is split by plan changes: summed per window instead of over the period. */
  windows: UsageWindow[];
}

const RECHECK_MS = 60_000;

/** True when `period` is exactly one UTC calendar month (the monthly totals' bucket). */
function isCalendarMonth(period: BillingPeriod): boolean {
  const start = period.start;
  const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1);
  return first === start.getTime() && Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1) === period.end.getTime();
}

/**
 * The one module through which billing reads usage: one SQL statement that sums the counted
 * (non-canceled) events per (organisation, subscription, model, meter) over the period, and per
 * window for subscriptions split by plan changes. A period that is a calendar month (every
 * billing period) is read from the monthly totals (MonthlyUsageTotal) with the inserts still
 * pending for them (exact: the roll-up moves pending rows in one statement), a row per line instead of every event; a split window
 * sums its own events (whole hours from the hourly totals when they are compact, see
 * countedUsageRows). Events without a subscription are not billable and left out.
 */
export class BilledUsageQuery {
  private compact = { value: false, checkedAt: -Infinity };

  private async readsHourlyTotals(db: EntityManager): Promise<boolean> {
    if (Date.now() - this.compact.checkedAt < RECHECK_MS) return this.compact.value;
    this.compact = { value: (await hourlyTotalsCompaction(db)) >= COMPACTION, checkedAt: Date.now() };
    return this.compact.value;
  }

  async sums(db: EntityManager, query: UsageSumsQuery): Promise<BilledUsageRow[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const monthly = isCalendarMonth(query.period);
    // NOTE: only event windows may read the hourly totals; a calendar month without split windows asks nothing more.
    const hourly = !monthly || query.windows.length ? await this.readsHourlyTotals(db) : false;
    const orgs = query.organizationIds ? param(query.organizationIds) : null;
    const columns = ['organization_id', 'subscription_id', 'model_id'];
    const billable = (a: string) => `${a}.subscription_id IS NOT NULL AND ${a}.subscription_id <> '${NO_ID}'::uuid${orgs ? ` AND ${a}.organization_id = ANY(${orgs}::uuid[])` : ''}`;
    const split = [...new Set(query.windows.map((w) => w.subscriptionId))];
    const splitParam = split.length ? param(split) : null;
    const sum = (window: string, rows: string) =>
      `SELECT ${window} AS window, r.organization_id, r.subscription_id, r.model_id, r.meter, SUM(r.quantity)::text AS quantity
       FROM (${rows}) r GROUP BY r.organization_id, r.subscription_id, r.model_id, r.meter`;
    const notSplit = (a: string) => `${billable(a)}${splitParam ? ` AND NOT (${a}.subscription_id = ANY(${splitParam}::uuid[]))` : ''}`;
    const monthRows = () => {
      const [start, end] = [param(query.period.start.toISOString()), param(query.period.end.toISOString())];
      // NOTE: with the inserts not yet rolled into the totals (see the usage-totals-pending migration),
      // which the roll-up moves there in one statement: this statement counts each event once.
      return `SELECT m.organization_id, m.subscription_id, m.model_id, m.meter, m.quantity FROM monthly_usage_total m
         WHERE m.month = ${start}::timestamptz AND m.events > 0 AND ${notSplit('m')}
         UNION ALL SELECT p.organization_id, p.subscription_id, p.model_id, p.meter, p.quantity FROM usage_total_pending p
         WHERE p.hour >= ${start}::timestamptz AND p.hour < ${end}::timestamptz AND ${notSplit('p')}`;
    };
    const parts = [monthly
      ? sum('NULL::int', monthRows())
      : sum('NULL::int', countedUsageRows({ from: query.period.start, to: query.period.end, columns, readHourlyTotals: hourly, where: notSplit }, params))];
    for (const w of query.windows) {
      const sub = param(w.subscriptionId);
      parts.push(sum(`${w.key}::int`, countedUsageRows({
        from: w.window.start, to: w.window.end, columns, readHourlyTotals: hourly,
        where: (a) => `${billable(a)} AND ${a}.subscription_id = ${sub}::uuid`,
      }, params)));
    }
    const rows: Array<{ window: number | null; organization_id: string; subscription_id: string; model_id: string; meter: Meter; quantity: string }> =
      await db.query(parts.join(' UNION ALL '), params);
    return rows.map((r) => ({
      window: r.window, organizationId: r.organization_id, subscriptionId: r.subscription_id, modelId: r.model_id, meter: r.meter, quantity: BigInt(r.quantity),
    }));
  }
}
