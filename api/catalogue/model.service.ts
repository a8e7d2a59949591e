import { Model } from '../../schema/catalogue/model.entity';
import { CreateModelInput, ModelFilter } from '../../schema/catalogue/catalogue.inputs';
import { ModelVisibility } from '../../schema/catalogue/catalogue.enums';
import { Page } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { RequestContext } from '../context';
import { badUserInput } from '../common/errors';
import { paginate } from '../common/pagination';
import { failure, isUniqueViolation, Result, success } from '../common/result';
import { ownsModel, restrictToVisibleModels } from './model-visibility';

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The catalogue's models: browse, look up, create. */
export class ModelService {
  /** Models the caller may see, filtered, oldest first. */
  async list(ctx: RequestContext, filter: ModelFilter | undefined, args: PaginationArgs): Promise<Page<Model>> {
    const query = restrictToVisibleModels(ctx, ctx.db.getRepository(Model).createQueryBuilder('model'));
    if (filter?.task) query.andWhere('model.task = :task', { task: filter.task });
    if (filter?.tag) query.andWhere(':tag = ANY(model.tags)', { tag: filter.tag });
    if (filter?.vendorId) {
      const vendorId = rowIdOf(filter.vendorId, 'Organization');
      if (!vendorId) throw badUserInput(`filter.vendorId is not an organization id: ${filter.vendorId}`, { field: 'filter.vendorId' });
      query.andWhere('model.organizationId = :vendorId', { vendorId });
    }
    if (filter?.search?.trim()) {
      query.andWhere('(model.slug ILIKE :search OR model.name ILIKE :search OR model.description ILIKE :search)', {
        search: likePattern(filter.search.trim()),
      });
    }
    return paginate(query, args);
  }

  /** A model the caller may see, by global id; null when absent or hidden. */
  async findVisible(ctx: RequestContext, modelGlobalId: string): Promise<Model | null> {
    const id = rowIdOf(modelGlobalId, 'Model');
    return id ? this.findVisibleById(ctx, id) : null;
  }

  /** The same by row id (for callers that hold a foreign key). */
  async findVisibleById(ctx: RequestContext, id: string): Promise<Model | null> {
    const query = ctx.db.getRepository(Model).createQueryBuilder('model').where('model.id = :id', { id });
    return restrictToVisibleModels(ctx, query).getOne();
  }

  /** A model the caller owns (publishing vendor or ADMIN), by global id. */
  async findOwned(ctx: RequestContext, modelGlobalId: string): Promise<Model | null> {
    const id = rowIdOf(modelGlobalId, 'Model');
    return id ? this.findOwnedById(ctx, id) : null;
  }

  /** The same by row id. */
  async findOwnedById(ctx: RequestContext, id: string): Promise<Model | null> {
    const model = await ctx.db.findOneBy(Model, { id });
    return model && ownsModel(ctx, model) ? model : null;
  }

  async create(ctx: RequestContext, input: CreateModelInput): Promise<Result<Model>> {
    const taken = await ctx.db.existsBy(Model, { slug: input.slug });
    if (taken) return failure(UserErrorCode.CONFLICT, `The slug "${input.slug}" is taken`, ['input', 'slug']);
    try {
      const model = await ctx.db.save(ctx.db.create(Model, {
        organizationId: ctx.principal!.organizationId,
        slug: input.slug,
        name: input.name.trim(),
        task: input.task,
        description: input.description,
        tags: [...new Set(input.tags)],
        visibility: ModelVisibility.PUBLIC,
      }));
      return success(model);
    } catch (error) {
      if (isUniqueViolation(error)) return failure(UserErrorCode.CONFLICT, `The slug "${input.slug}" is taken`, ['input', 'slug']);
      throw error;
    }
  }
}
