import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context';
import type { AccessRecord } from '../http/request-log.middleware';
import type { ApiMetrics } from './api-metrics';

/** Most distinct operation names kept as label values; later ones count as `other` (names are the clients'). */
const MAX_OPERATION_NAMES = 200;

/** The name an operation is counted under: its own name, else `anonymous` (or `unparsed` before parsing). */
function operationLabeller(): (name: string | null | undefined, parsed: boolean) => string {
  const seen = new Set<string>();
  return (name, parsed) => {
    if (!name) return parsed ? 'anonymous' : 'unparsed';
    const label = name.slice(0, 64);
    if (seen.has(label)) return label;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(label);
    return label;
  };
}

/**
 * Times every GraphQL operation by name and type (`graphql_operation_duration_seconds`), counts
 * the errors of every answer by code (`graphql_errors_total`, limits again in
 * `api_limit_refusals_total`), and tells the request's access record its operation and
 * organisation. `accessOf` finds the record of the request a context belongs to.
 */
export function observabilityPlugin(metrics: ApiMetrics, accessOf: (ctx: RequestContext) => AccessRecord | undefined): ApolloServerPlugin<RequestContext> {
  const operationLabel = operationLabeller();
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const access = accessOf(contextValue);
      if (access) access.organizationId = contextValue.principal?.organizationId;
      return {
        async willSendResponse({ response, operationName, operation }) {
          const name = operationLabel(operationName ?? operation?.name?.value, !!operation);
          if (access) access.operation = name;
          metrics.operationDuration.observe({ operation: name, type: operation?.operation ?? 'unknown' }, (performance.now() - started) / 1000);
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) metrics.error(String(error.extensions?.code ?? 'UNKNOWN'));
        },
      };
    },
  };
}
