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

/** How deep a document's brackets nest and how many fragments it defines, strings and comments left out. */
export function documentShape(query: string): { depth: number; fragments: number } {
  let depth = 0;
  let deepest = 0;
  let code = '';
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '"') {
      const block = query.startsWith('"""', i);
      const end = block ? '"""' : '"';
      for (i += end.length; i < query.length && !query.startsWith(end, i); i++) if (query[i] === '\\') i++;
      i += end.length - 1;
      code += ' ';
    } else {
      if (c === '{' || c === '[' || c === '(') deepest = Math.max(deepest, ++depth);
      else if (c === '}' || c === ']' || c === ')') depth--;
      code += c;
    }
  }
  return { depth: deepest, fragments: (code.match(/(?:^|[^\w])fragment\s+[_A-Za-z]\w*\s+on\s/g) ?? []).length };
}

/**
 * Refuses a document that nests deeper than `maxDepth` brackets or defines more than
 * `maxFragments` fragments (400, QUERY_TOO_COMPLEX) before it is parsed: graphql-js parses and
 * validates recursively (a document of a few thousand nested selections overflows its stack), and
 * validating a few hundred fragments that spread each other holds the event loop for a second.
 */
export function queryShapeLimit(maxDepth: number, maxFragments: number, onRefused?: () => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const query = req.method === 'GET' ? req.query?.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string') return next();
    const { depth, fragments } = documentShape(query);
    const message = depth > maxDepth ? `The query document nests ${depth} levels deep, over the limit of ${maxDepth}; ask for a shallower selection`
      : fragments > maxFragments ? `The query document defines ${fragments} fragments, over the limit of ${maxFragments}` : null;
    if (!message) return next();
    onRefused?.();
    res.status(400).json({ errors: [{ message, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit: depth > maxDepth ? maxDepth : maxFragments } }] });
  };
}
