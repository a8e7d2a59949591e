import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ApiKey } from '../../schema/accounts/api-key.entity';
import { CreateApiKeyInput, CreateOrganizationInput, RevokeApiKeyInput } from '../../schema/accounts/accounts.inputs';
import {
  CreateApiKeyPayload, CreateOrganizationPayload, RevokeApiKeyPayload, Viewer,
} from '../../schema/accounts/accounts.payloads';
import { Organization } from '../../schema/accounts/organization.entity';
import { Role } from '../../schema/accounts/role.enum';
import { connectionOf, toConnection } from '../../schema/common/connection.type';
import { toGlobalId } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { AuthenticatedContext } from '../context';
import { notFound } from '../common/errors';

export const ApiKeyConnection = connectionOf(ApiKey, 'ApiKey');

/** The caller, organisations and API keys. */
@Resolver()
export class AccountsResolver {
  @Authorized()
  @Query(() => Viewer, { description: 'The caller: its key, organisation and roles.' })
  viewer(@Ctx() ctx: AuthenticatedContext): Viewer {
    return { id: toGlobalId('ApiKey', ctx.principal.apiKeyId), organizationId: ctx.principal.organizationId, roles: ctx.principal.roles };
  }

  @Authorized()
  @Query(() => ApiKeyConnection, { description: "The caller's organisation's API keys (never their secrets)." })
  async apiKeys(@Ctx() ctx: AuthenticatedContext, @Args() args: PaginationArgs) {
    return toConnection(await ctx.services.apiKeys.list(ctx, args));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreateOrganizationPayload)
  async createOrganization(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CreateOrganizationInput): Promise<CreateOrganizationPayload> {
    const result = await ctx.services.organizations.create(ctx, input);
    return { organization: result.value, userErrors: result.userErrors };
  }

  @Authorized()
  @Mutation(() => CreateApiKeyPayload, { description: 'Issues a key; its plaintext is in the payload, once.' })
  async createApiKey(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: CreateApiKeyInput): Promise<CreateApiKeyPayload> {
    const result = await ctx.services.apiKeys.create(ctx, input);
    return { key: result.value?.key ?? null, apiKey: result.value?.apiKey ?? null, userErrors: result.userErrors };
  }

  @Authorized()
  @Mutation(() => RevokeApiKeyPayload)
  async revokeApiKey(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: RevokeApiKeyInput): Promise<RevokeApiKeyPayload> {
    const result = await ctx.services.apiKeys.revoke(ctx, input);
    return { apiKey: result.value, userErrors: result.userErrors };
  }
}

/** An organisation through the request's loader; NOT_FOUND when it is gone. */
async function organizationOf(ctx: AuthenticatedContext, organizationId: string): Promise<Organization> {
  const organization = await ctx.loaders.organizationById.load(organizationId);
  if (!organization) throw notFound('Organization');
  return organization;
}

/** `Viewer.organization`. */
@Resolver(() => Viewer)
export class ViewerFieldsResolver {
  @FieldResolver(() => Organization)
  organization(@Root() viewer: Viewer, @Ctx() ctx: AuthenticatedContext): Promise<Organization> {
    return organizationOf(ctx, viewer.organizationId);
  }
}

/** `ApiKey.organization`. */
@Resolver(() => ApiKey)
export class ApiKeyFieldsResolver {
  @FieldResolver(() => Organization)
  organization(@Root() key: ApiKey, @Ctx() ctx: AuthenticatedContext): Promise<Organization> {
    return organizationOf(ctx, key.organizationId);
  }
}
