import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import { Model } from '../../schema/catalogue/model.entity';
import { Plan } from '../../schema/catalogue/plan.entity';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { DateTimeScalar } from '../../schema/common/scalars';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { effectiveStatus, Subscription, SubscriptionStatus } from '../../schema/subscriptions/subscription.entity';
import { CancelSubscriptionInput, SubscribeInput } from '../../schema/subscriptions/subscriptions.inputs';
import { CancelSubscriptionPayload, QuotaUsage, SubscribePayload } from '../../schema/subscriptions/subscriptions.payloads';
import { AuthenticatedContext } from '../context';
import { notFound } from '../common/errors';
import { subscriptionPeriodAt } from './billing-period';

export const SubscriptionConnection = connectionOf(Subscription, 'PlanSubscription');

/** Subscribing to plans, canceling, listing. */
@Resolver()
export class SubscriptionsResolver {
  @Authorized()
  @Query(() => SubscriptionConnection, { description: "The caller's organisation's subscriptions, oldest first." })
  async subscriptions(@Ctx() ctx: AuthenticatedContext, @Args() args: PaginationArgs) {
    return toConnection(await ctx.services.subscriptions.list(ctx, args));
  }

  @Authorized(Role.PARTNER)
  @Mutation(() => SubscribePayload, { description: "Subscribes the caller's organisation to a plan; one live subscription per model (else CONFLICT)." })
  async subscribe(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: SubscribeInput): Promise<SubscribePayload> {
    const result = await ctx.services.subscriptions.subscribe(ctx, input);
    return { subscription: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.PARTNER)
  @Mutation(() => CancelSubscriptionPayload, { description: 'Cancels at the end of the current period (default) or now.' })
  async cancelSubscription(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CancelSubscriptionInput): Promise<CancelSubscriptionPayload> {
    const result = await ctx.services.subscriptions.cancel(ctx, input);
    return { subscription: result.value, userErrors: result.userErrors };
  }
}

/** `PlanSubscription.status`, `plan`, `model`, the current period and `quota`. */
@Resolver(() => Subscription)
export class SubscriptionFieldsResolver {
  @FieldResolver(() => SubscriptionStatus, { description: 'Status now (a cancellation at period end shows once the period has ended).' })
  status(@Root() subscription: Subscription, @Ctx() ctx: AuthenticatedContext): SubscriptionStatus {
    return effectiveStatus(subscription, ctx.now());
  }

  @FieldResolver(() => Plan)
  async plan(@Root() subscription: Subscription, @Ctx() ctx: AuthenticatedContext): Promise<Plan> {
    const plan = await ctx.loaders.planById.load(subscription.planId);
    if (!plan) throw notFound('Plan');
    return plan;
  }

  @FieldResolver(() => Model)
  async model(@Root() subscription: Subscription, @Ctx() ctx: AuthenticatedContext): Promise<Model> {
    const model = await ctx.loaders.modelById.load(subscription.modelId);
    if (!model) throw notFound('Model');
    return model;
  }

  @FieldResolver(() => DateTimeScalar, { description: 'Start of the current billing period (calendar month, UTC; the first starts at startedAt).' })
  currentPeriodStart(@Root() subscription: Subscription, @Ctx() ctx: AuthenticatedContext): Date {
    return subscriptionPeriodAt(subscription.startedAt, this.periodInstant(subscription, ctx)).start;
  }

  @FieldResolver(() => DateTimeScalar, { description: 'End (exclusive) of the current billing period.' })
  currentPeriodEnd(@Root() subscription: Subscription, @Ctx() ctx: AuthenticatedContext): Date {
    return subscriptionPeriodAt(subscription.startedAt, this.periodInstant(subscription, ctx)).end;
  }

  @FieldResolver(() => [QuotaUsage], { description: 'Usage this period per capped or charged meter, against the monthly caps.' })
  async quota(@Root() subscription: Subscription, @Ctx() ctx: AuthenticatedContext): Promise<QuotaUsage[]> {
    return ctx.services.subscriptions.quota(ctx, subscription);
  }

  /** A canceled subscription's last period is the one it ended in. */
  private periodInstant(subscription: Subscription, ctx: AuthenticatedContext): Date {
    const now = ctx.now();
    return subscription.endsAt && subscription.endsAt <= now ? new Date(subscription.endsAt.getTime() - 1) : now;
  }
}
