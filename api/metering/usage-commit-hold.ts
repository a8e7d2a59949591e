import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';

interface HeldCommit {
  commit: Promise<unknown>;
  /** Where in the answer the call's field is (its response path). */
  path: ReadonlyArray<string | number>;
  /** What the answer says instead when the commit fails. */
  failure: () => GraphQLError;
}

/**
 * The usage commits a request's answer is held for. A resolver whose call needs nothing from its
 * commit to answer (a call without a requestId: its commit can only succeed or fail) registers
 * the commit here and returns at once, so GraphQL completes the answer while PostgreSQL commits;
 * {@link usageCommitHoldPlugin} sends nothing until every registered commit has settled, and
 * turns the answer into the error of any that failed. So an answer still never leaves unbilled.
 */
export class UsageCommitHold {
  private readonly held: HeldCommit[] = [];

  hold(commit: Promise<unknown>, path: ReadonlyArray<string | number>, failure: () => GraphQLError): void {
    // NOTE: settled here too, so a failure waiting for the plugin is never an unhandled rejection.
    commit.catch(() => undefined);
    this.held.push({ commit, path, failure });
  }

  /** Waits for every held commit; the failed ones as errors at their paths. */
  async settle(): Promise<Array<{ error: GraphQLError; path: ReadonlyArray<string | number> }>> {
    const failed: Array<{ error: GraphQLError; path: ReadonlyArray<string | number> }> = [];
    for (const { commit, path, failure } of this.held) {
      try {
        await commit;
      } catch {
        failed.push({ error: failure(), path });
      }
    }
    return failed;
  }
}

/**
 * Holds each answer until the usage commits of its resolvers have settled (awaited at the end of
 * execution, before any `willSendResponse` hook reads the answer: metrics, logs, Retry-After).
 * When one failed, nothing of the data goes out: `data` is null, as when the field's resolver
 * throws (`runInference` is non-null), and the failure's error, formatted like any other, joins
 * the errors.
 */
export function usageCommitHoldPlugin<Context extends { usageCommits?: UsageCommitHold }>(
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart(requestContext: GraphQLRequestContext<Context>) {
          return {
            async executionDidEnd() {
              const hold = requestContext.contextValue.usageCommits;
              if (!hold) return;
              const failed = await hold.settle();
              if (failed.length === 0) return;
              const body = requestContext.response.body;
              const errors = failed.map(({ error, path }) =>
                formatError({ message: error.message, path: [...path], extensions: error.extensions }, error));
              // NOTE: whatever the answer's shape, none of its data goes out (graphql 16 answers singly, no @defer).
              const earlier = body?.kind === 'single' ? body.singleResult.errors ?? [] : [];
              requestContext.response.body = { kind: 'single', singleResult: { data: null, errors: [...earlier, ...errors] } };
            },
          };
        },
      };
    },
  };
}
