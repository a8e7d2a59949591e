import { IsNull, MoreThan } from 'typeorm';
import { Plan, PlanStatus } from '../../schema/catalogue/plan.entity';
import { SubscriptionPlanPeriod } from '../../schema/billing/subscription-plan-period.entity';
import { rowIdOf } from '../../schema/common/global-id';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { effectiveStatus, Subscription, SubscriptionStatus } from '../../schema/subscriptions/subscription.entity';
import { ChangeSubscriptionPlanInput } from '../../schema/billing/billing.inputs';
import { RequestContext } from '../context';
import { failure, Result, success, transactionalResult } from '../common/result';
import { subscriptionPeriodAt } from '../subscriptions/billing-period';
import type { EntitlementCache } from '../subscriptions/entitlement.cache';
import type { QuotaGuard } from '../subscriptions/quota-guard';
import type { SubscriptionService } from '../subscriptions/subscription.service';

/** A plan change: the subscription as it is now and when the new plan takes (took) effect. */
export interface PlanChange {
  subscription: Subscription;
  effectiveAt: Date;
}

const field = (name: string) => ['input', name];

/**
 * changeSubscriptionPlan: an upgrade (a flat fee at least the current one's) takes effect now,
 * a downgrade at the end of the current period. Plan history (SubscriptionPlanPeriod) records
 * which plan was in force when, so billing prorates each plan's flat fee by the second and
 * rates each event under the plan of its instant. Only another plan of the same model in the
 * same currency.
 */
export class PlanChangeService {
  constructor(
    private readonly subscriptions: SubscriptionService,
    private readonly entitlements: EntitlementCache,
    private readonly quotas: QuotaGuard,
  ) {}

  async change(ctx: RequestContext, input: ChangeSubscriptionPlanInput): Promise<Result<PlanChange>> {
    const subscription = await this.subscriptions.findOwned(ctx, input.subscriptionId);
    if (!subscription) return failure(UserErrorCode.NOT_FOUND, 'Subscription not found', field('subscriptionId'));
    const now = ctx.now();
    if (effectiveStatus(subscription, now) === SubscriptionStatus.CANCELED) return failure(UserErrorCode.INVALID_STATE, 'The subscription is canceled', field('subscriptionId'));
    const planId = rowIdOf(input.planId, 'Plan');
    const plan = planId ? await ctx.db.findOneBy(Plan, { id: planId }) : null;
    if (!plan) return failure(UserErrorCode.NOT_FOUND, 'Plan not found', field('planId'));
    const current = (await ctx.db.findOneBy(Plan, { id: subscription.planId }))!;
    if (plan.modelId !== subscription.modelId) return failure(UserErrorCode.INVALID, 'The plan belongs to another model; a subscription changes to another plan of its own model', field('planId'));
    if (plan.status !== PlanStatus.ACTIVE) return failure(UserErrorCode.INVALID_STATE, 'The plan is archived and takes no new subscriptions', field('planId'));
    if (plan.currency !== current.currency) return failure(UserErrorCode.INVALID, `The plan is in ${plan.currency}, the subscription in ${current.currency}; a plan change keeps the currency`, field('planId'));
    if (plan.id === current.id) return failure(UserErrorCode.INVALID, 'The subscription is already on this plan', field('planId'));
    const upgrade = plan.flatFeeMinor >= current.flatFeeMinor;
    const effectiveAt = upgrade ? now : subscriptionPeriodAt(subscription.startedAt, now).end;
    return transactionalResult(ctx, async (tx) => {
      // NOTE: a change not yet in force (a downgrade waiting for the period end) is replaced by this one.
      await tx.db.delete(SubscriptionPlanPeriod, { subscriptionId: subscription.id, startsAt: MoreThan(now) });
      await tx.db.update(SubscriptionPlanPeriod, { subscriptionId: subscription.id, endsAt: MoreThan(now) }, { endsAt: null });
      const open = await tx.db.findOneBy(SubscriptionPlanPeriod, { subscriptionId: subscription.id, endsAt: IsNull() });
      if (open) await tx.db.update(SubscriptionPlanPeriod, { id: open.id }, { endsAt: effectiveAt });
      else await tx.db.insert(SubscriptionPlanPeriod, { subscriptionId: subscription.id, planId: subscription.planId, startsAt: subscription.startedAt, endsAt: effectiveAt });
      await tx.db.insert(SubscriptionPlanPeriod, { subscriptionId: subscription.id, planId: plan.id, startsAt: effectiveAt, endsAt: null });
      if (upgrade) {
        await tx.db.update(Subscription, { id: subscription.id }, { planId: plan.id });
        subscription.planId = plan.id;
      }
      return success({ subscription, effectiveAt });
    }).finally(() => this.forget(subscription));
  }

  /** Puts into force plan changes whose time has come (downgrades at a period end); the billing job runs it. */
  async applyDue(ctx: RequestContext): Promise<number> {
    const rows: Array<{ id: string; organization_id: string; model_id: string }> = (await ctx.db.query(
      `UPDATE subscription s SET plan_id = p.plan_id FROM subscription_plan_period p
       WHERE p.subscription_id = s.id AND p.starts_at <= $1 AND (p.ends_at IS NULL OR p.ends_at > $1) AND s.plan_id <> p.plan_id
       RETURNING s.id, s.organization_id, s.model_id`, [ctx.now()]))[0] ?? [];
    for (const row of rows) this.forget({ id: row.id, organizationId: row.organization_id, modelId: row.model_id });
    return rows.length;
  }

  private forget(subscription: Pick<Subscription, 'id' | 'organizationId' | 'modelId'>): void {
    this.entitlements.invalidate(subscription.organizationId, subscription.modelId);
    this.quotas.forgetSubscription(subscription.id);
  }
}
