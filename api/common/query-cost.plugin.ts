import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLSchema, Kind, visit } from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { DatabaseFields } from './database-fields';
import { ApiError, ErrorCode } from './errors';

/** The argument that multiplies a connection's cost. */
const PAGE_SIZE_ARG = 'first';

/**
 * What a field costs, in units of about one plain field's resolution (~5 µs). NOTE: measured on
 * this machine (README, "Security and operations"): a root field or `node(id:)` is at least one
 * database round trip of its own (1-5 ms on embedded PGlite, which runs statements one at a
 * time), a root connection two (its page and its totalCount), a field resolver one batched
 * statement per list. Aliases repeat the cost.
 */
export const FIELD_COSTS = { plain: 1, batchedRead: 50, rootRead: 1000, rootConnection: 2000 } as const;

/**
 * Every field costs its weight (root fields and field resolvers read the database) plus its
 * children; a connection's children count once per requested node (`first`, default 20).
 */
function weightedEstimator(fields: DatabaseFields): ComplexityEstimator {
  return ({ type, args, childComplexity, field }) => {
    const key = `${type.name}.${field.name}`;
    const takesFirst = field.args.some((arg) => arg.name === PAGE_SIZE_ARG);
    const rootCost = takesFirst ? FIELD_COSTS.rootConnection : FIELD_COSTS.rootRead;
    const own = fields.root.has(key) ? rootCost : fields.batched.has(key) ? FIELD_COSTS.batchedRead : FIELD_COSTS.plain;
    if (!takesFirst) return own + childComplexity;
    const first = typeof args[PAGE_SIZE_ARG] === 'number' ? args[PAGE_SIZE_ARG] : 20;
    return own + childComplexity * first;
  };
}

/**
 * Names of the variables a document passes as `first` or to `@include`/`@skip`: the only
 * inputs its cost depends on.
 */
function costVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.name.value === PAGE_SIZE_ARG && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
    Directive(node) {
      for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
    },
  });
  return [...names];
}

/**
 * Costs already computed, per parsed document (Apollo reuses one DocumentNode per query text),
 * keyed by operation name and the values of the variables the cost depends on. Walking a
 * document against the schema took longer than the rest of a small call's own work.
 */
class CostCache {
  private readonly byDocument = new WeakMap<DocumentNode, { costVars: string[]; costs: Map<string, number> }>();

  get(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>, compute: () => number): number {
    let entry = this.byDocument.get(document);
    if (!entry) {
      entry = { costVars: costVariables(document), costs: new Map() };
      this.byDocument.set(document, entry);
    }
    const key = JSON.stringify([operationName ?? null, ...entry.costVars.map((name) => variables[name] ?? null)]);
    let cost = entry.costs.get(key);
    if (cost === undefined) {
      cost = compute();
      if (entry.costs.size < 100) entry.costs.set(key, cost);
    }
    return cost;
  }
}

/**
 * Computes each operation's cost before it executes (GitHub/Shopify style): over `limit` the
 * operation is refused with QUERY_TOO_COMPLEX; every response carries
 * `extensions.cost { requested limit }`.
 */
export function queryCostPlugin(schema: GraphQLSchema, limit: number, fields: DatabaseFields): ApolloServerPlugin {
  const estimators = [weightedEstimator(fields), simpleEstimator({ defaultComplexity: 1 })];
  const cache = new CostCache();
  return {
    async requestDidStart() {
      let requested: number | undefined;
      return {
        async didResolveOperation({ request, document }) {
          const variables = request.variables ?? {};
          const operationName = request.operationName ?? undefined;
          try {
            requested = cache.get(document, operationName, variables, () => getComplexity({ schema, query: document, operationName, variables, estimators }));
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
