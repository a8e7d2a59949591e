import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Sends a `Retry-After` header (seconds) when an answer's errors say when to retry
 * (RATE_LIMITED, OVERLOADED, a usage write that failed: `extensions.retryAfterSeconds`), so that
 * HTTP clients and proxies back off without reading GraphQL errors. The longest wait wins.
 */
export function retryAfterPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const waits = (response.body.singleResult.errors ?? [])
            .map((e) => e.extensions?.retryAfterSeconds)
            .filter((s): s is number => typeof s === 'number' && Number.isFinite(s) && s >= 0);
          if (waits.length > 0) response.http.headers.set('retry-after', String(Math.ceil(Math.max(...waits))));
        },
      };
    },
  };
}
