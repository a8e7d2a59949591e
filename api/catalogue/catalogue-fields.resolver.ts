import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Organization } from '../../schema/accounts/organization.entity';
import { PlanStatus, Plan } from '../../schema/catalogue/plan.entity';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { ModelVersionStatus } from '../../schema/catalogue/catalogue.enums';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { Money } from '../../schema/common/money.type';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { AuthenticatedContext } from '../context';
import { notFound } from '../common/errors';
import { money } from '../common/money';
import { pageOf } from '../common/pagination';
import { ownsModel, SERVING_STATUSES } from './model-visibility';

export const ModelVersionConnection = connectionOf(ModelVersion, 'ModelVersion');

/** `Model.vendor`, `latestVersion`, `versions`, `plans`, all through per-request DataLoaders. */
@Resolver(() => Model)
export class ModelFieldsResolver {
  @FieldResolver(() => Organization, { description: 'The organisation that publishes the model.' })
  async vendor(@Root() model: Model, @Ctx() ctx: AuthenticatedContext): Promise<Organization> {
    const vendor = await ctx.loaders.organizationById.load(model.organizationId);
    if (!vendor) throw notFound('Organization');
    return vendor;
  }

  @FieldResolver(() => ModelVersion, { nullable: true, description: 'The most recently published version.' })
  async latestVersion(@Root() model: Model, @Ctx() ctx: AuthenticatedContext): Promise<ModelVersion | null> {
    const versions = await ctx.loaders.versionsByModelId.load(model.id);
    const published = versions.filter((v) => v.status === ModelVersionStatus.PUBLISHED);
    return published.reduce<ModelVersion | null>((latest, v) => (!latest || v.publishedAt! >= latest.publishedAt! ? v : latest), null);
  }

  @FieldResolver(() => ModelVersionConnection, { description: 'Versions, oldest first; drafts and retired ones only for the owner.' })
  async versions(@Root() model: Model, @Ctx() ctx: AuthenticatedContext, @Args() args: PaginationArgs) {
    const all = await ctx.loaders.versionsByModelId.load(model.id);
    const visible = ownsModel(ctx, model) ? all : all.filter((v) => SERVING_STATUSES.includes(v.status));
    return toConnection(pageOf(visible, args));
  }

  @FieldResolver(() => [Plan], { description: 'Price plans; archived ones only for the owner.' })
  async plans(@Root() model: Model, @Ctx() ctx: AuthenticatedContext): Promise<Plan[]> {
    const plans = await ctx.loaders.plansByModelId.load(model.id);
    return ownsModel(ctx, model) ? plans : plans.filter((p) => p.status === PlanStatus.ACTIVE);
  }
}

/** `Plan.flatFee` and `Plan.charges`. */
@Resolver(() => Plan)
export class PlanFieldsResolver {
  @FieldResolver(() => Money, { description: 'Monthly fee.' })
  flatFee(@Root() plan: Plan): Money {
    return money(plan.flatFeeMinor, plan.currency);
  }

  @FieldResolver(() => [PlanCharge])
  async charges(@Root() plan: Plan, @Ctx() ctx: AuthenticatedContext): Promise<PlanCharge[]> {
    return ctx.loaders.chargesByPlanId.load(plan.id);
  }
}

/** `ModelVersion.model`, through the per-request DataLoader. */
@Resolver(() => ModelVersion)
export class ModelVersionFieldsResolver {
  @FieldResolver(() => Model, { description: 'The model this version belongs to.' })
  async model(@Root() version: ModelVersion, @Ctx() ctx: AuthenticatedContext): Promise<Model> {
    const model = await ctx.loaders.modelById.load(version.modelId);
    if (!model) throw notFound('Model');
    return model;
  }
}
