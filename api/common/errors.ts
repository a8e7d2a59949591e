import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';

/** Codes of errors that travel in `errors[]` (API.md). Expected failures use `userErrors` instead. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  RATE_LIMITED = 'RATE_LIMITED',
  OVERLOADED = 'OVERLOADED',
  DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  /** The query document is over QUERY_MAX_BYTES (refused before parsing). */
  QUERY_TOO_LARGE = 'QUERY_TOO_LARGE',
  /** An operation type the API does not serve (`subscription`). */
  OPERATION_NOT_SUPPORTED = 'OPERATION_NOT_SUPPORTED',
  /** A model answered values that are not numbers (NaN, Infinity): the call is not billed. */
  INVALID_MODEL_OUTPUT = 'INVALID_MODEL_OUTPUT',
  /** The server is draining before it stops: retry (on another replica) after Retry-After. */
  SHUTTING_DOWN = 'SHUTTING_DOWN',
  INTERNAL = 'INTERNAL',
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
};

/** An error with a code, thrown across the API; formatted once by `formatError`. */
export class ApiError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    const status = HTTP_STATUS[code];
    super(message, { extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) } });
  }
}

export const notFound = (what: string) => new ApiError(ErrorCode.NOT_FOUND, `${what} not found`);
export const forbidden = (why: string) => new ApiError(ErrorCode.FORBIDDEN, why);
export const badUserInput = (why: string, extensions: Record<string, unknown> = {}) =>
  new ApiError(ErrorCode.BAD_USER_INPUT, why, extensions);

/** An absolute file path (two segments or more) not inside a URL or a global id. */
const FILE_PATH = /(?<![\w:/.-])(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'"`,;()]+){2,}[\\/]?/g;

/**
 * A message with every server file path replaced by `<file>`: clients never learn where the
 * server keeps its files (ONNX Runtime names the path it could not load, for one).
 */
export function withoutFilePaths(message: string): string {
  return message.replace(FILE_PATH, '<file>');
}

const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode), 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/** Messages of class-validator failures, e.g. "first must be at most 100". */
function validationMessage(error: ArgumentValidationError): string {
  return error.extensions.validationErrors
    .flatMap((e) => [...Object.values(e.constraints ?? {}), ...(e.children ?? []).flatMap((c) => Object.values(c.constraints ?? {}))])
    .join('; ');
}

/**
 * The one place errors are shaped for clients: validation -> BAD_USER_INPUT with the reasons,
 * known codes pass through, anything else -> INTERNAL with a generic message. No stack traces
 * unless `exposeStackTraces` (GRAPHQL_STACK_TRACES=true, outside production).
 */
export function createErrorFormatter(options: { exposeStackTraces: boolean; onInternal: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof ArgumentValidationError) {
      return { message: validationMessage(original), path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    const code = formatted.extensions?.code as string | undefined;
    if (code && KNOWN_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
      if (options.exposeStackTraces) return formatted;
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message: withoutFilePaths(formatted.message), extensions };
    }
    options.onInternal(original);
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.INTERNAL },
    };
  };
}
