import { Brackets, SelectQueryBuilder } from 'typeorm';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersionStatus, ModelVisibility } from '../../schema/catalogue/catalogue.enums';
import { isAdmin, RequestContext } from '../context';

/** Statuses of versions that anyone may see and call. */
export const SERVING_STATUSES = [ModelVersionStatus.PUBLISHED, ModelVersionStatus.DEPRECATED];

/** The owner (publishing vendor, or the partner of a private fine-tune) and ADMIN see everything of a model. */
export function ownsModel(ctx: RequestContext, model: Pick<Model, 'organizationId'>): boolean {
  return isAdmin(ctx) || ctx.principal?.organizationId === model.organizationId;
}

/**
 * NOTE: others see a model only when it is PUBLIC and has a PUBLISHED version: drafts of a
 * vendor and private fine-tunes of a partner stay invisible (NOT_FOUND, not FORBIDDEN).
 */
export function restrictToVisibleModels(ctx: RequestContext, query: SelectQueryBuilder<Model>): SelectQueryBuilder<Model> {
  if (isAdmin(ctx)) return query;
  const alias = query.alias;
  return query.andWhere(new Brackets((where) => {
    where.where(`${alias}.organizationId = :viewerOrg`, { viewerOrg: ctx.principal?.organizationId })
      .orWhere(`(${alias}.visibility = :publicVisibility AND EXISTS (SELECT 1 FROM model_version published
         WHERE published.model_id = ${alias}.id AND published.status = :publishedStatus))`, {
        publicVisibility: ModelVisibility.PUBLIC,
        publishedStatus: ModelVersionStatus.PUBLISHED,
      });
  }));
}
