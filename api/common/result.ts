import { UserError, UserErrorCode } from '../../schema/common/user-error.type';
import { inTransaction, RequestContext } from '../context';

/** What a mutation's service returns: a value, or the expected failures that prevented it. */
export type Result<T> = { value: T; userErrors: [] } | { value: null; userErrors: UserError[] };

export function success<T>(value: T): Result<T> {
  return { value, userErrors: [] };
}

export function failure<T = never>(code: UserErrorCode, message: string, field?: string[]): Result<T> {
  return { value: null, userErrors: [new UserError(code, message, field)] };
}

export function failures<T = never>(userErrors: UserError[]): Result<T> {
  return { value: null, userErrors };
}

class RollbackForUserErrors extends Error {
  constructor(readonly userErrors: UserError[]) {
    super('rolled back for user errors');
  }
}

/**
 * Runs a mutation in one transaction. A failure result rolls the transaction back, so an
 * expected failure never leaves anything half-written.
 */
export async function transactionalResult<T>(
  ctx: RequestContext,
  work: (tx: RequestContext) => Promise<Result<T>>,
): Promise<Result<T>> {
  try {
    return await inTransaction(ctx, async (tx) => {
      const result = await work(tx);
      if (result.userErrors.length > 0) throw new RollbackForUserErrors(result.userErrors);
      return result;
    });
  } catch (error) {
    if (error instanceof RollbackForUserErrors) return failures(error.userErrors);
    throw error;
  }
}

/** A unique-constraint violation from PostgreSQL (23505). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string; driverError?: { code?: string } })?.driverError?.code === '23505' ||
    (error as { code?: string })?.code === '23505';
}
