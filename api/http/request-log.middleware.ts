import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { ApiMetrics } from '../common/api-metrics';
import { Logger, requestIdScope } from '../logger';

/** What a request's access-log line says beyond HTTP: set by the GraphQL plugin once known. */
export interface AccessRecord {
  requestId: string;
  operation?: string;
  organizationId?: string;
}

/** An incoming x-request-id is kept when it is a sane token; anything else gets a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The access record of a request (set by {@link requestLog}). */
export function accessRecordOf(res: Response): AccessRecord | undefined {
  return res.locals.access as AccessRecord | undefined;
}

/** Routes as metric labels: a few fixed paths, never raw URLs (unbounded label values). */
function routeOf(req: Request): string {
  const path = req.path;
  if (path === '/graphql' || path.startsWith('/health/') || path === '/metrics') return path;
  if (path.startsWith('/v1/files')) return '/v1/files';
  return 'other';
}

/**
 * Gives every request an id (its `x-request-id` when sane, else a new UUID), echoed back in
 * the `x-request-id` response header and carried by its logs, and writes one access-log line per
 * request when it ends: method, route, status, duration, and for GraphQL the operation and the
 * caller's organisation. Also times it in `http_request_duration_seconds`.
 */
export function requestLog(logger: Logger, metrics: ApiMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const access: AccessRecord = { requestId };
    res.locals.access = access;
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    // NOTE: read now: routers below rewrite req.url for their mount point.
    const route = routeOf(req);
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (route === '/metrics' || route.startsWith('/health/')) return;
      requestIdScope.run(requestId, () => logger.info({
        method: req.method, route, status: res.statusCode, durationMs: Math.round(seconds * 10_000) / 10,
        operation: access.operation, organizationId: access.organizationId, aborted: !res.writableFinished || undefined,
      }, 'request'));
    });
    requestIdScope.run(requestId, next);
  };
}
