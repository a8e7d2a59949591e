import { ApiKey } from '../../schema/accounts/api-key.entity';
import { Organization, OrganizationKind } from '../../schema/accounts/organization.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { Plan } from '../../schema/catalogue/plan.entity';
import { parseGlobalId } from '../../schema/common/global-id';
import { isAdmin, RequestContext } from '../context';
import type { ModelService } from '../catalogue/model.service';
import { ownsModel, SERVING_STATUSES } from '../catalogue/model-visibility';

type Lookup = (ctx: RequestContext, rowId: string) => Promise<object | null>;

/**
 * `node(id:)`: any object by global id, with the same authorisation as its own query.
 * What the caller may not see answers null (NOT_FOUND), never FORBIDDEN.
 */
export class NodeLookup {
  private readonly lookups: Record<string, Lookup>;

  constructor(private readonly models: ModelService) {
    this.lookups = {
      Organization: async (ctx, id) => {
        const org = await ctx.db.findOneBy(Organization, { id });
        const visible = org && (isAdmin(ctx) || org.id === ctx.principal?.organizationId || org.kind === OrganizationKind.VENDOR);
        return visible ? org : null;
      },
      ApiKey: async (ctx, id) => {
        const key = await ctx.db.findOneBy(ApiKey, { id });
        return key && (isAdmin(ctx) || key.organizationId === ctx.principal?.organizationId) ? key : null;
      },
      Model: (ctx, id) => this.models.findVisibleById(ctx, id),
      ModelVersion: async (ctx, id) => {
        const version = await ctx.db.findOneBy(ModelVersion, { id });
        const model = version && (await this.models.findVisibleById(ctx, version.modelId));
        if (!version || !model) return null;
        return ownsModel(ctx, model) || SERVING_STATUSES.includes(version.status) ? version : null;
      },
      Plan: async (ctx, id) => {
        const plan = await ctx.db.findOneBy(Plan, { id });
        const model = plan && (await this.models.findVisibleById(ctx, plan.modelId));
        return plan && model ? plan : null;
      },
    };
  }

  /** Registers the lookup of another node type (domains add theirs at start-up). */
  register(typeName: string, lookup: Lookup): void {
    this.lookups[typeName] = lookup;
  }

  async find(ctx: RequestContext, globalId: string): Promise<object | null> {
    const parsed = parseGlobalId(globalId);
    const lookup = parsed && this.lookups[parsed.typeName];
    return lookup ? lookup(ctx, parsed.rowId) : null;
  }
}

