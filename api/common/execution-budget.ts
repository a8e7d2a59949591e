import { GraphQLFieldResolver, GraphQLSchema, defaultFieldResolver, isObjectType } from 'graphql';
import { DatabaseFields } from './database-fields';
import { ApiError, ErrorCode } from './errors';

export interface ExecutionBudgetOptions {
  /** How long one request's resolvers may keep starting database work, ms. */
  budgetMs: number;
  /** How many of one request's root fields may read the database at once. */
  rootConcurrency: number;
}

/** One request's budget: its deadline and its root fields' slots. */
interface RequestBudget {
  deadline: number;
  running: number;
  waiting: Array<() => void>;
}

function budgetExceeded(budgetMs: number): ApiError {
  return new ApiError(ErrorCode.DEADLINE_EXCEEDED, `The request ran past its execution budget of ${budgetMs} ms; ask for fewer fields, aliases or nodes`, { budgetMs });
}

/**
 * Wraps the resolvers of the database-reading fields (see DatabaseFields) so that no request
 * can hold the server: a request's root fields read the database `rootConcurrency` at a time
 * (3,000 aliases of `node(id:)` queue behind their own request, not in front of everyone
 * else's statements), and once the request is `budgetMs` old no further database-reading
 * resolver starts: each answers DEADLINE_EXCEEDED. NOTE: a resolver already running is never
 * interrupted, so a mutation is done whole or not at all. The budget starts at the request's
 * first database-reading resolver.
 */
export function applyExecutionBudget(schema: GraphQLSchema, fields: DatabaseFields, options: ExecutionBudgetOptions): void {
  const budgets = new WeakMap<object, RequestBudget>();
  const budgetOf = (context: object): RequestBudget => {
    let budget = budgets.get(context);
    if (!budget) {
      budget = { deadline: Date.now() + options.budgetMs, running: 0, waiting: [] };
      budgets.set(context, budget);
    }
    return budget;
  };
  const checked = (resolve: GraphQLFieldResolver<unknown, object>): GraphQLFieldResolver<unknown, object> => (source, args, context, info) => {
    if (Date.now() > budgetOf(context).deadline) throw budgetExceeded(options.budgetMs);
    return resolve(source, args, context, info);
  };
  const queued = (resolve: GraphQLFieldResolver<unknown, object>): GraphQLFieldResolver<unknown, object> => async (source, args, context, info) => {
    const budget = budgetOf(context);
    if (budget.running >= options.rootConcurrency) await new Promise<void>((start) => budget.waiting.push(start));
    budget.running++;
    try {
      if (Date.now() > budget.deadline) throw budgetExceeded(options.budgetMs);
      return await resolve(source, args, context, info);
    } finally {
      budget.running--;
      budget.waiting.shift()?.();
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      const resolve = (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, object>;
      if (fields.root.has(key)) field.resolve = queued(resolve);
      else if (fields.batched.has(key)) field.resolve = checked(resolve);
    }
  }
}
