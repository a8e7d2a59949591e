/** Why an engine call failed; the API maps each code to a GraphQL error code. */
export type EngineErrorCode =
  | 'BAD_USER_INPUT'
  | 'OVERLOADED'
  | 'DEADLINE_EXCEEDED'
  | 'MODEL_LOAD_FAILED'
  | 'WORKER_FAILED'
  | 'SHUTTING_DOWN';

const CODES: ReadonlySet<string> = new Set<EngineErrorCode>([
  'BAD_USER_INPUT',
  'OVERLOADED',
  'DEADLINE_EXCEEDED',
  'MODEL_LOAD_FAILED',
  'WORKER_FAILED',
  'SHUTTING_DOWN',
]);

/**
 * The one error type the engine throws (or rejects with). `code` says what kind of failure
 * it is; `message` says what happened in words a caller can act on.
 */
export class EngineError extends Error {
  override readonly name = 'EngineError';

  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** True for an EngineError, also one created in another realm (jest) or rebuilt from a worker message. */
  static is(value: unknown): value is EngineError {
    if (value instanceof EngineError) return true;
    const v = value as { name?: unknown; code?: unknown } | null;
    return !!v && v.name === 'EngineError' && typeof v.code === 'string' && CODES.has(v.code);
  }
}
