import { LessThanOrEqual, Not } from 'typeorm';
import { Plan, PlanStatus } from '../../schema/catalogue/plan.entity';
import { Page } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { Meter } from '../../schema/metering/meter.enum';
import { QuotaUsage } from '../../schema/subscriptions/subscriptions.payloads';
import { CancelSubscriptionInput, SubscribeInput } from '../../schema/subscriptions/subscriptions.inputs';
import { effectiveStatus, Subscription, SubscriptionStatus } from '../../schema/subscriptions/subscription.entity';
import { isAdmin, RequestContext } from '../context';
import { paginate } from '../common/pagination';
import { failure, isUniqueViolation, Result, success, transactionalResult } from '../common/result';
import type { ModelService } from '../catalogue/model.service';
import { subscriptionPeriodAt } from './billing-period';
import type { EntitlementCache } from './entitlement.cache';
import type { QuotaGuard } from './quota-guard';

const alreadySubscribed = () => failure<Subscription>(UserErrorCode.CONFLICT, 'The organisation already has a live subscription to this model; cancel it first', ['input', 'planId']);

/** Subscriptions: subscribe, cancel (now or at period end), list, quota. */
export class SubscriptionService {
  constructor(
    private readonly models: ModelService,
    private readonly entitlements: EntitlementCache,
    private readonly quotas: QuotaGuard,
  ) {}

  /** Subscribes the caller's organisation to a plan. One live subscription per (organisation, model). */
  async subscribe(ctx: RequestContext, input: SubscribeInput): Promise<Result<Subscription>> {
    const planId = rowIdOf(input.planId, 'Plan');
    const plan = planId ? await ctx.db.findOneBy(Plan, { id: planId }) : null;
    const model = plan && (await this.models.findVisibleById(ctx, plan.modelId));
    if (!plan || !model) return failure(UserErrorCode.NOT_FOUND, 'Plan not found', ['input', 'planId']);
    if (plan.status !== PlanStatus.ACTIVE) return failure(UserErrorCode.INVALID_STATE, 'The plan is archived and takes no new subscriptions', ['input', 'planId']);
    const organizationId = ctx.principal!.organizationId;
    try {
      const result = await transactionalResult(ctx, async (tx) => {
        const now = tx.now();
        // NOTE: a subscription canceled at period end stops counting as live once that end has passed.
        await tx.db.update(Subscription, { organizationId, modelId: model.id, status: Not(SubscriptionStatus.CANCELED), endsAt: LessThanOrEqual(now) }, { status: SubscriptionStatus.CANCELED });
        if (await tx.db.existsBy(Subscription, { organizationId, modelId: model.id, status: Not(SubscriptionStatus.CANCELED) })) return alreadySubscribed();
        const subscription = await tx.db.save(tx.db.create(Subscription, {
          organizationId, planId: plan.id, modelId: model.id, status: SubscriptionStatus.ACTIVE,
          startedAt: now, cancelAtPeriodEnd: false, canceledAt: null, endsAt: null,
        }));
        return success(subscription);
      });
      return result;
    } catch (error) {
      if (isUniqueViolation(error)) return alreadySubscribed();
      throw error;
    } finally {
      this.entitlements.invalidate(organizationId, model.id);
    }
  }

  /** Cancels now (stops serving at once) or at the end of the current period. */
  async cancel(ctx: RequestContext, input: CancelSubscriptionInput): Promise<Result<Subscription>> {
    const subscription = await this.findOwned(ctx, input.subscriptionId);
    if (!subscription) return failure(UserErrorCode.NOT_FOUND, 'Subscription not found', ['input', 'subscriptionId']);
    const now = ctx.now();
    if (effectiveStatus(subscription, now) === SubscriptionStatus.CANCELED) {
      return failure(UserErrorCode.INVALID_STATE, 'The subscription is already canceled', ['input', 'subscriptionId']);
    }
    const changes: Partial<Subscription> = input.atPeriodEnd
      ? { cancelAtPeriodEnd: true, canceledAt: now, endsAt: subscriptionPeriodAt(subscription.startedAt, now).end }
      : { status: SubscriptionStatus.CANCELED, cancelAtPeriodEnd: false, canceledAt: now, endsAt: now };
    await ctx.db.update(Subscription, { id: subscription.id }, changes);
    Object.assign(subscription, changes);
    this.entitlements.invalidate(subscription.organizationId, subscription.modelId);
    this.quotas.forgetSubscription(subscription.id);
    return success(subscription);
  }

  /** The caller's organisation's subscriptions, oldest first. */
  async list(ctx: RequestContext, args: PaginationArgs): Promise<Page<Subscription>> {
    const query = ctx.db.getRepository(Subscription).createQueryBuilder('subscription')
      .where('subscription.organizationId = :org', { org: ctx.principal!.organizationId });
    return paginate(query, args);
  }

  /** A subscription of the caller's organisation (ADMIN: any), by global id. */
  async findOwned(ctx: RequestContext, globalId: string): Promise<Subscription | null> {
    const rowId = rowIdOf(globalId, 'Subscription');
    if (!rowId) return null;
    const subscription = await ctx.db.findOneBy(Subscription, { id: rowId });
    return subscription && (isAdmin(ctx) || subscription.organizationId === ctx.principal?.organizationId) ? subscription : null;
  }

  /** Usage of each capped or charged meter in the current period, against the plan's caps. */
  async quota(ctx: RequestContext, subscription: Subscription): Promise<QuotaUsage[]> {
    const plan = await ctx.loaders.planById.load(subscription.planId);
    if (!plan) return [];
    const charges = await ctx.loaders.chargesByPlanId.load(plan.id);
    const caps = new Map(plan.limits.monthlyCaps.map((cap) => [cap.meter, BigInt(cap.quantity)]));
    const meters = Object.values(Meter).filter((m) => caps.has(m) || charges.some((c) => c.meter === m));
    const period = subscriptionPeriodAt(subscription.startedAt, ctx.now());
    const used = await this.quotas.usedInPeriod(ctx.db, subscription, period);
    return meters.map((meter) => {
      const limit = caps.get(meter) ?? null;
      const count = used.get(meter) ?? 0n;
      return { meter, limit, used: count, remaining: limit === null ? null : (limit > count ? limit - count : 0n), resetsAt: period.end };
    });
  }
}
