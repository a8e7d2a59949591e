import { EntityManager } from 'typeorm';
import { Role } from '../../schema/accounts/role.enum';
import { rowIdOf } from '../../schema/common/global-id';
import { hasRole, isAdmin, RequestContext } from '../context';
import { badUserInput } from '../common/errors';

/** Whose usage a caller may read: everything, or an organisation's own plus (vendors) its models'. */
export type UsageScope =
  | { all: true }
  | { all: false; organizationId: string; modelIds: string[] };

/**
 * NOTE: ADMIN reads everyone's usage. Others read their organisation's own usage; a VENDOR key
 * also reads the usage of its organisation's models by every subscriber.
 */
export async function usageScope(ctx: RequestContext, db: EntityManager): Promise<UsageScope> {
  if (isAdmin(ctx)) return { all: true };
  const organizationId = ctx.principal!.organizationId;
  if (!hasRole(ctx, Role.VENDOR)) return { all: false, organizationId, modelIds: [] };
  const models: Array<{ id: string }> = await db.query('SELECT id FROM model WHERE organization_id = $1', [organizationId]);
  return { all: false, organizationId, modelIds: models.map((m) => m.id) };
}

/** The scope as a condition on `<alias>.organization_id / model_id`, with numbered parameters appended to `params`. */
export function scopeCondition(scope: UsageScope, alias: string, params: unknown[]): string {
  if (scope.all) return 'TRUE';
  params.push(scope.organizationId);
  const own = `${alias}.organization_id = $${params.length}`;
  if (scope.modelIds.length === 0) return own;
  params.push(scope.modelIds);
  return `(${own} OR ${alias}.model_id = ANY($${params.length}::uuid[]))`;
}

/** True when an event (or bucket row) is within the scope. */
export function inScope(scope: UsageScope, row: { organizationId: string; modelId: string }): boolean {
  return scope.all || row.organizationId === scope.organizationId || scope.modelIds.includes(row.modelId);
}

/** The row id of an optional filter id, or BAD_USER_INPUT naming the field when it is not one of `typeName`. */
export function filterIdOrThrow(globalId: string | null | undefined, typeName: string, field: string): string | null {
  if (!globalId) return null;
  const id = rowIdOf(globalId, typeName);
  if (!id) throw badUserInput(`${field} is not a ${typeName} id: ${globalId}`, { field });
  return id;
}
