import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import type { RequestContext } from '../context';
import { ApiError, ErrorCode } from './errors';

export interface OperationLimits {
  /** Most root mutation fields (aliases included) in one request. */
  mutationsPerRequest: number;
  /** Most mutation fields one API key may run per minute on this replica (runInference excepted). */
  mutationsPerKeyPerMinute: number;
  /** Told of every refusal, by code (metrics). */
  onRefused?: (code: ErrorCode) => void;
}

/** Mutations counted per key per minute: all but runInference, whose plan's rate limit and quotas govern it. */
const UNCOUNTED_MUTATIONS = new Set(['runInference', '__typename']);

/** The root field names an operation selects, fragments and aliases included (one per occurrence). */
function rootFieldNames(operation: OperationDefinitionNode, document: DocumentNode): string[] {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const names: string[] = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) {
          seen.add(fragment.name.value);
          walk(fragment.selectionSet);
        }
      }
    }
  };
  walk(operation.selectionSet);
  return names.filter((name) => name !== '__typename');
}

/**
 * Refuses what the API does not serve or cannot afford, before anything executes:
 * `subscription` operations (OPERATION_NOT_SUPPORTED: there is no subscription transport),
 * more than `mutationsPerRequest` mutation fields in one request, and more than
 * `mutationsPerKeyPerMinute` mutations of one API key in a minute (RATE_LIMITED, with
 * retryAfterSeconds). NOTE: the per-key window is this replica's (in memory): with N replicas a
 * key may make up to N times as many; the plan's own rate limit, shared, governs runInference.
 */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin<RequestContext> {
  const windows = new Map<string, { startedAt: number; count: number }>();
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - 60_000;
    for (const [key, window] of windows) if (window.startedAt < cutoff) windows.delete(key);
  }, 60_000);
  sweeper.unref();
  const refuse = (code: ErrorCode, message: string, extensions: Record<string, unknown>) => {
    limits.onRefused?.(code);
    return new ApiError(code, message, extensions);
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (!operation) return;
          if (operation.operation === 'subscription') {
            throw refuse(ErrorCode.OPERATION_NOT_SUPPORTED, 'Subscription operations are not supported; poll with a query instead', { http: { status: 400 } });
          }
          if (operation.operation !== 'mutation') return;
          const fields = rootFieldNames(operation, document);
          if (fields.length > limits.mutationsPerRequest) {
            throw refuse(ErrorCode.BAD_USER_INPUT, `One request may run at most ${limits.mutationsPerRequest} mutations; this one asks for ${fields.length}`, {
              limit: limits.mutationsPerRequest, http: { status: 400 },
            });
          }
          const keyId = contextValue.principal?.apiKeyId;
          const counted = fields.filter((name) => !UNCOUNTED_MUTATIONS.has(name)).length;
          if (!keyId || counted === 0) return;
          const now = Date.now();
          let window = windows.get(keyId);
          if (!window || now - window.startedAt >= 60_000) {
            window = { startedAt: now, count: 0 };
            windows.set(keyId, window);
          }
          if (window.count + counted > limits.mutationsPerKeyPerMinute) {
            const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + 60_000 - now) / 1000));
            throw refuse(ErrorCode.RATE_LIMITED, `An API key may run ${limits.mutationsPerKeyPerMinute} mutations a minute; retry in ${retryAfterSeconds} s`, {
              limit: limits.mutationsPerKeyPerMinute, retryAfterSeconds, http: { status: 429 },
            });
          }
          window.count += counted;
        },
      };
    },
  };
}
