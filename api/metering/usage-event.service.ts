import { Page } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { CancelUsageEventInput, UsageEventFilter } from '../../schema/metering/metering.inputs';
import { UsageEvent } from '../../schema/metering/usage-event.entity';
import { RequestContext } from '../context';
import { paginate } from '../common/pagination';
import { failure, Result, success } from '../common/result';
import { calendarMonthOf } from '../subscriptions/billing-period';
import type { QuotaGuard } from '../subscriptions/quota-guard';
import { filterIdOrThrow, inScope, usageScope } from './usage-scope';

/**
 * Whether an event's period still takes corrections, and what to do after one. Billing provides
 * it (a period stays open through its invoice's grace period, and a correction refreshes the
 * draft); metering only calls it, so metering never imports billing.
 */
export interface UsageCorrectionPolicy {
  periodOpen(ctx: RequestContext, organizationId: string, occurredAt: Date): Promise<boolean>;
  corrected(ctx: RequestContext, event: UsageEvent): Promise<void>;
}

/** Without billing: a period is open until its calendar month (UTC) has ended. */
export const calendarMonthCorrections: UsageCorrectionPolicy = {
  periodOpen: async (ctx, _organizationId, occurredAt) => occurredAt >= calendarMonthOf(ctx.now()).start,
  corrected: async () => undefined,
};

/** Single usage events: list them (to find one), and cancel one (ADMIN corrections). */
export class UsageEventService {
  constructor(private readonly quotas: QuotaGuard, private readonly corrections: UsageCorrectionPolicy = calendarMonthCorrections) {}

  /** Events in the caller's scope, oldest recorded first; canceled ones included (flagged). */
  async list(ctx: RequestContext, filter: UsageEventFilter | undefined, args: PaginationArgs): Promise<Page<UsageEvent>> {
    const scope = await usageScope(ctx, ctx.db);
    const query = ctx.db.getRepository(UsageEvent).createQueryBuilder('event');
    if (!scope.all) {
      query.where(scope.modelIds.length ? '(event.organizationId = :scopeOrg OR event.modelId IN (:...scopeModels))' : 'event.organizationId = :scopeOrg', {
        scopeOrg: scope.organizationId, scopeModels: scope.modelIds,
      });
    }
    if (filter?.from) query.andWhere('event.occurredAt >= :from', { from: filter.from });
    if (filter?.to) query.andWhere('event.occurredAt < :to', { to: filter.to });
    const modelId = filterIdOrThrow(filter?.modelId, 'Model', 'filter.modelId');
    if (modelId) query.andWhere('event.modelId = :modelId', { modelId });
    const subscriptionId = filterIdOrThrow(filter?.subscriptionId, 'Subscription', 'filter.subscriptionId');
    if (subscriptionId) query.andWhere('event.subscriptionId = :subscriptionId', { subscriptionId });
    if (filter?.meter) query.andWhere('event.meter = :meter', { meter: filter.meter });
    if (filter?.idempotencyKey) query.andWhere('event.idempotencyKey = :key', { key: filter.idempotencyKey });
    return paginate(query, args);
  }

  /** An event in the caller's scope, by row id (node lookup). */
  async findVisible(ctx: RequestContext, id: string): Promise<UsageEvent | null> {
    const event = await ctx.db.findOneBy(UsageEvent, { id });
    return event && inScope(await usageScope(ctx, ctx.db), event) ? event : null;
  }

  /**
   * Flags an event as not counting. NOTE: only while its period is open (see
   * UsageCorrectionPolicy: with billing, until its invoice's grace period is over; the draft is
   * then refreshed); after that a correction is a credit note.
   */
  async cancel(ctx: RequestContext, input: CancelUsageEventInput): Promise<Result<UsageEvent>> {
    const id = rowIdOf(input.usageEventId, 'UsageEvent');
    const event = id ? await ctx.db.findOneBy(UsageEvent, { id }) : null;
    if (!event) return failure(UserErrorCode.NOT_FOUND, 'Usage event not found', ['input', 'usageEventId']);
    if (event.canceledAt) return failure(UserErrorCode.INVALID_STATE, 'The usage event is already canceled', ['input', 'usageEventId']);
    const now = ctx.now();
    if (!(await this.corrections.periodOpen(ctx, event.organizationId, event.occurredAt))) {
      return failure(UserErrorCode.INVALID_STATE, `The period of this event (${event.occurredAt.toISOString().slice(0, 7)}) is closed; correct it with a credit note instead`, ['input', 'usageEventId']);
    }
    const reason = input.reason.trim();
    if (!reason) return failure(UserErrorCode.INVALID, 'reason must not be blank', ['input', 'reason']);
    const updated = await ctx.db.createQueryBuilder().update(UsageEvent).set({ canceledAt: now, cancelReason: reason })
      .where('id = :id AND canceled_at IS NULL', { id: event.id }).execute();
    if (!updated.affected) return failure(UserErrorCode.INVALID_STATE, 'The usage event is already canceled', ['input', 'usageEventId']);
    if (event.subscriptionId) this.quotas.forgetSubscription(event.subscriptionId);
    await this.corrections.corrected(ctx, Object.assign(event, { canceledAt: now, cancelReason: reason }));
    return success(Object.assign(event, { canceledAt: now, cancelReason: reason }));
  }
}
