import type { NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';

/**
 * With METRICS_TOKEN set, `GET /metrics` answers only `Authorization: Bearer <token>` (401
 * otherwise); without it, /metrics stays open (scraped from inside the cluster).
 */
export function metricsAuth(token: string | undefined) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!expected) return next();
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    res.json({ error: { code: 'UNAUTHENTICATED', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' } });
  };
}
