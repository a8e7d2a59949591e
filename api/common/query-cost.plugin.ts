import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLSchema } from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { ApiError, ErrorCode } from './errors';

/** A connection field costs its children once per requested node (`first`, default 20). */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  const takesFirst = field.args.some((arg) => arg.name === 'first');
  if (!takesFirst) return undefined;
  const first = typeof args.first === 'number' ? args.first : 20;
  return 1 + childComplexity * first;
};

/**
 * Computes each operation's cost before it executes (GitHub/Shopify style): over `limit` the
 * operation is refused with QUERY_TOO_COMPLEX; every response carries
 * `extensions.cost { requested limit }`.
 */
export function queryCostPlugin(schema: GraphQLSchema, limit: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      let requested: number | undefined;
      return {
        async didResolveOperation({ request, document }) {
          try {
            requested = getComplexity({
              schema,
              query: document,
              operationName: request.operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // NOTE: the cost needs the variables, so bad variable values surface here first.
            throw new ApiError(ErrorCode.BAD_USER_INPUT, (error as Error).message, { http: { status: 400 } });
          }
          if (requested > limit) {
            throw new ApiError(ErrorCode.QUERY_TOO_COMPLEX, `The query costs ${requested}, over the limit of ${limit}; ask for fewer nodes (lower "first") or fewer fields`, {
              cost: { requested, limit },
              http: { status: 400 },
            });
          }
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || requested === undefined) return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: { requested, limit } };
        },
      };
    },
  };
}
