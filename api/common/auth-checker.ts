import { AuthCheckerFn } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import type { RequestContext } from '../context';
import { ApiError, ErrorCode } from './errors';

/**
 * `@Authorized(Role.X, ...)`: no key -> UNAUTHENTICATED; a key without any of the roles ->
 * FORBIDDEN. ADMIN passes every role check. `@Authorized()` only needs a valid key.
 */
export const authChecker: AuthCheckerFn<RequestContext, Role> = ({ context }, roles) => {
  const principal = context.principal;
  if (!principal) {
    throw new ApiError(ErrorCode.UNAUTHENTICATED, 'An API key is required: send "Authorization: Bearer <key>"');
  }
  if (roles.length === 0 || principal.roles.includes(Role.ADMIN)) return true;
  if (roles.some((role) => principal.roles.includes(role))) return true;
  throw new ApiError(ErrorCode.FORBIDDEN, `This operation needs one of the roles ${roles.join(', ')}; the key has ${principal.roles.join(', ')}`);
};
