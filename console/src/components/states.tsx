import { ComponentChildren } from 'preact';
import { GraphQLRequestError } from '../graphql-client';
import { QueryState } from '../use-query';

/** "Loading …", announced politely to screen readers. */
export function Loading({ what }: { what: string }) {
  return <p class="state state-loading" role="status" aria-live="polite">Loading {what}…</p>;
}

/** An error as an alert: the server's message and code. */
export function ErrorMessage({ error, what }: { error: GraphQLRequestError | string; what: string }) {
  const message = typeof error === 'string' ? error : `${error.message}${error.code ? ` (${error.code})` : ''}`;
  return <div class="state state-error" role="alert"><strong>Could not load {what}.</strong> {message}</div>;
}

/** The empty state: what there is none of, and what would make some. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>;
}

/** Renders loading and error states of `state`, and `children(data)` once it is done. */
export function Loaded<T>({ state, what, children }: { state: QueryState<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (state.status === 'loading') return <Loading what={what} />;
  if (state.status === 'error') return <ErrorMessage error={state.error} what={what} />;
  return <>{children(state.data)}</>;
}
