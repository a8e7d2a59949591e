import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../common/errors';

/**
 * Refuses a GraphQL document longer than `maxBytes` (413, QUERY_TOO_LARGE) before it is parsed:
 * a huge document is answered in milliseconds instead of after seconds of parsing and
 * validation. Variables are not counted (tensors travel there; the body limit bounds them).
 */
export function querySizeLimit(maxBytes: number, onRefused?: () => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const query = req.method === 'GET' ? req.query?.query : (req.body as { query?: unknown } | undefined)?.query;
    const bytes = typeof query === 'string' ? Buffer.byteLength(query) : 0;
    if (bytes <= maxBytes) return next();
    onRefused?.();
    res.status(413).json({
      errors: [{
        message: `The query document is ${bytes} bytes, over the limit of ${maxBytes}; send a smaller document (put large values in variables)`,
        extensions: { code: ErrorCode.QUERY_TOO_LARGE, limit: maxBytes },
      }],
    });
  };
}
