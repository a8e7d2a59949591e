import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ApiKey } from '../../schema/accounts/api-key.entity';
import { Role } from '../../schema/accounts/role.enum';
import { Model } from '../../schema/catalogue/model.entity';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { CancelUsageEventInput, UsageBucketSize, UsageEventFilter, UsageFilter, UsageGroupBy } from '../../schema/metering/metering.inputs';
import { CancelUsageEventPayload, UsageBucket } from '../../schema/metering/metering.payloads';
import { UsageEvent } from '../../schema/metering/usage-event.entity';
import { Subscription } from '../../schema/subscriptions/subscription.entity';
import { AuthenticatedContext, isAdmin } from '../context';

export const UsageEventConnection = connectionOf(UsageEvent, 'UsageEvent');

/** Usage reports, single events, corrections. */
@Resolver()
export class MeteringResolver {
  @Authorized(Role.PARTNER, Role.FINANCE, Role.VENDOR)
  @Query(() => [UsageBucket], {
    description: 'Usage summed in SQL per UTC hour or day, per meter and the groupBy dimensions; canceled events excluded. ' +
      'PARTNER/FINANCE: their organisation; VENDOR: also their models\' usage by every subscriber; ADMIN: all.',
  })
  async usage(
    @Ctx() ctx: AuthenticatedContext,
    @Arg('filter', () => UsageFilter) filter: UsageFilter,
    @Arg('bucket', () => UsageBucketSize, { defaultValue: UsageBucketSize.DAY }) bucket: UsageBucketSize,
    @Arg('groupBy', () => [UsageGroupBy], { defaultValue: [UsageGroupBy.METER] }) groupBy: UsageGroupBy[],
  ): Promise<UsageBucket[]> {
    return ctx.services.usageQueries.buckets(ctx, filter, bucket, groupBy);
  }

  @Authorized(Role.PARTNER, Role.FINANCE, Role.VENDOR)
  @Query(() => UsageEventConnection, { description: 'Single usage events in the same scope as `usage`, oldest recorded first, canceled ones flagged.' })
  async usageEvents(
    @Ctx() ctx: AuthenticatedContext,
    @Args() args: PaginationArgs,
    @Arg('filter', () => UsageEventFilter, { nullable: true }) filter?: UsageEventFilter,
  ) {
    return toConnection(await ctx.services.usageEvents.list(ctx, filter, args));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CancelUsageEventPayload, { description: 'Flags a usage event of an open period as not counting; it stays, with the reason.' })
  async cancelUsageEvent(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CancelUsageEventInput): Promise<CancelUsageEventPayload> {
    const result = await ctx.services.usageEvents.cancel(ctx, input);
    return { usageEvent: result.value, userErrors: result.userErrors };
  }
}

/** Keys and subscriptions of other organisations (a vendor's subscribers) are not shown. */
async function ownKey(ctx: AuthenticatedContext, id: string | null): Promise<ApiKey | null> {
  const key = id ? await ctx.loaders.apiKeyById.load(id) : null;
  return key && (isAdmin(ctx) || key.organizationId === ctx.principal.organizationId) ? key : null;
}

async function ownSubscription(ctx: AuthenticatedContext, id: string | null): Promise<Subscription | null> {
  const subscription = id ? await ctx.loaders.subscriptionById.load(id) : null;
  return subscription && (isAdmin(ctx) || subscription.organizationId === ctx.principal.organizationId) ? subscription : null;
}

/** `UsageBucket.model`, `apiKey`, `subscription` (when grouped by them). */
@Resolver(() => UsageBucket)
export class UsageBucketFieldsResolver {
  @FieldResolver(() => Model, { nullable: true, description: 'Set when grouped by MODEL.' })
  async model(@Root() bucket: UsageBucket, @Ctx() ctx: AuthenticatedContext): Promise<Model | null> {
    return bucket.modelId ? ctx.loaders.modelById.load(bucket.modelId) : null;
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: "Set when grouped by API_KEY (the caller's own organisation's keys only)." })
  async apiKey(@Root() bucket: UsageBucket, @Ctx() ctx: AuthenticatedContext): Promise<ApiKey | null> {
    return ownKey(ctx, bucket.apiKeyId);
  }

  @FieldResolver(() => Subscription, { nullable: true, description: "Set when grouped by SUBSCRIPTION (the caller's own organisation's only)." })
  async subscription(@Root() bucket: UsageBucket, @Ctx() ctx: AuthenticatedContext): Promise<Subscription | null> {
    return ownSubscription(ctx, bucket.subscriptionId);
  }
}

/** `UsageEvent.model`, `apiKey`, `subscription`. */
@Resolver(() => UsageEvent)
export class UsageEventFieldsResolver {
  @FieldResolver(() => Model, { nullable: true })
  async model(@Root() event: UsageEvent, @Ctx() ctx: AuthenticatedContext): Promise<Model | null> {
    return ctx.loaders.modelById.load(event.modelId);
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: "The calling key (the caller's own organisation's keys only)." })
  async apiKey(@Root() event: UsageEvent, @Ctx() ctx: AuthenticatedContext): Promise<ApiKey | null> {
    return ownKey(ctx, event.apiKeyId);
  }

  @FieldResolver(() => Subscription, { nullable: true })
  async subscription(@Root() event: UsageEvent, @Ctx() ctx: AuthenticatedContext): Promise<Subscription | null> {
    return ownSubscription(ctx, event.subscriptionId);
  }
}
