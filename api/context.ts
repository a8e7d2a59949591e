import { EntityManager } from 'typeorm';
import { OrganizationKind } from '../schema/accounts/organization.entity';
import { Role } from '../schema/accounts/role.enum';
import type { ServerTiming } from './common/server-timing.plugin';
import type { AccessRecord } from './http/request-log.middleware';
import type { UsageCommitHold } from './metering/usage-commit-hold';
import type { Loaders } from './loaders';
import type { Services } from './services';

/** Who is calling: an API key of an organisation, with its roles. */
export interface Principal {
  apiKeyId: string;
  organizationId: string;
  organizationKind: OrganizationKind;
  roles: Role[];
}

/**
 * Everything a request carries: the principal, the database handle (a transaction's manager
 * inside `inTransaction`), fresh DataLoaders, the services, and the clock. Passed first to
 * every service call.
 */
export interface RequestContext {
  principal: Principal | null;
  db: EntityManager;
  loaders: Loaders;
  services: Services;
  now: () => Date;
  /** Per-request id for logs and tracing. */
  requestId: string;
  /** Spans for the Server-Timing header (HTTP requests only). */
  serverTiming?: ServerTiming;
  /** What the request's access-log line will say (HTTP requests only). */
  access?: AccessRecord;
  /** Usage commits the answer waits for before it is sent (GraphQL requests only; without it a call awaits its own). */
  usageCommits?: UsageCommitHold;
}

/** A context whose principal is known (resolvers behind @Authorized). */
export type AuthenticatedContext = RequestContext & { principal: Principal };

export function hasRole(ctx: RequestContext, ...roles: Role[]): boolean {
  return !!ctx.principal && roles.some((role) => ctx.principal!.roles.includes(role));
}

export function isAdmin(ctx: RequestContext): boolean {
  return hasRole(ctx, Role.ADMIN);
}

/** Runs `work` in one database transaction, with a context whose `db` is the transaction's manager. */
export async function inTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  if (ctx.db.queryRunner?.isTransactionActive) return work(ctx);
  return ctx.db.transaction((manager) => work({ ...ctx, db: manager }));
}
