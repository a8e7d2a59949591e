import { useEffect, useState } from 'preact/hooks';
import { graphql, GraphQLRequestError } from './graphql-client';

/** A query's state as a page renders it. */
export type QueryState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: GraphQLRequestError }
  | { status: 'done'; data: T };

/**
 * Runs `query` as `key` whenever `variables` change (compared as JSON); a late answer of an
 * earlier run is dropped. `variables` null: nothing runs (the page shows its own message). A new
 * `reloadToken` runs it again (after a mutation). `keepData`: a rerun keeps showing the last answer
 * until the next arrives (a page that polls), instead of going back to loading.
 */
export function useQuery<T>(key: string, query: string, variables: Record<string, unknown> | null = {}, reloadToken = 0, keepData = false): QueryState<T> {
  const [state, setState] = useState<QueryState<T>>({ status: 'loading' });
  const signature = variables === null ? null : JSON.stringify(variables);
  useEffect(() => {
    if (signature === null) return;
    let current = true;
    setState((previous) => (keepData && previous.status === 'done' ? previous : { status: 'loading' }));
    graphql<T>(key, query, variables ?? undefined).then(
      (data) => current && setState({ status: 'done', data }),
      (error) => current && setState({ status: 'error', error: error instanceof GraphQLRequestError ? error : new GraphQLRequestError(String(error), 'ERROR', 0) }),
    );
    return () => { current = false; };
  }, [key, query, signature, reloadToken]);
  return state;
}
