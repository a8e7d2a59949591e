import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import {
  CreateModelInput, CreatePlanInput, DeprecateModelVersionInput, ModelFilter, PublishModelVersionInput,
} from '../../schema/catalogue/catalogue.inputs';
import {
  CreateModelPayload, CreatePlanPayload, DeprecateModelVersionPayload, PublishModelVersionPayload,
} from '../../schema/catalogue/catalogue.payloads';
import { Model } from '../../schema/catalogue/model.entity';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { AuthenticatedContext } from '../context';

export const ModelConnection = connectionOf(Model, 'Model');

/** Browsing the catalogue and publishing to it. */
@Resolver()
export class CatalogueResolver {
  @Authorized()
  @Query(() => ModelConnection, { description: 'Models the caller may see, oldest first.' })
  async models(
    @Ctx() ctx: AuthenticatedContext,
    @Args() args: PaginationArgs,
    @Arg('filter', () => ModelFilter, { nullable: true }) filter?: ModelFilter,
  ) {
    return toConnection(await ctx.services.models.list(ctx, filter, args));
  }

  @Authorized()
  @Query(() => Model, { nullable: true, description: 'A model by global id; null when absent or not visible.' })
  async model(@Ctx() ctx: AuthenticatedContext, @Arg('id', () => ID) id: string): Promise<Model | null> {
    return ctx.services.models.findVisible(ctx, id);
  }

  @Authorized(Role.VENDOR)
  @Mutation(() => CreateModelPayload)
  async createModel(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CreateModelInput): Promise<CreateModelPayload> {
    const result = await ctx.services.models.create(ctx, input);
    return { model: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.VENDOR)
  @Mutation(() => PublishModelVersionPayload, { description: 'Validates an uploaded ONNX file and publishes it as a version.' })
  async publishModelVersion(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: PublishModelVersionInput): Promise<PublishModelVersionPayload> {
    const result = await ctx.services.modelVersions.publish(ctx, input);
    return { version: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.VENDOR)
  @Mutation(() => DeprecateModelVersionPayload)
  async deprecateModelVersion(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: DeprecateModelVersionInput): Promise<DeprecateModelVersionPayload> {
    const result = await ctx.services.modelVersions.deprecate(ctx, input);
    return { version: result.value, userErrors: result.userErrors };
  }

  @Authorized(Role.VENDOR)
  @Mutation(() => CreatePlanPayload)
  async createPlan(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CreatePlanInput): Promise<CreatePlanPayload> {
    const result = await ctx.services.plans.create(ctx, input);
    return { plan: result.value, userErrors: result.userErrors };
  }
}
