/** The console's only way to the server: POST /graphql with the signed-in key, like any portal. */

export interface GraphQLErrorItem {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A failed call: the server's errors[] (first message shown), or a transport failure. */
export class GraphQLRequestError extends Error {
  constructor(message: string, readonly code: string, readonly status: number) {
    super(message);
  }
}

/** Runs `query` as `key`; the data, or a GraphQLRequestError with the first error's message and code. */
export async function graphql<T>(key: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    throw new GraphQLRequestError(`The server could not be reached (${error instanceof Error ? error.message : String(error)})`, 'NETWORK', 0);
  }
  let body: { data?: T; errors?: GraphQLErrorItem[] };
  try {
    body = await response.json();
  } catch {
    throw new GraphQLRequestError(`The server answered ${response.status} without a GraphQL response`, 'HTTP', response.status);
  }
  if (body.errors?.length) {
    const first = body.errors[0];
    throw new GraphQLRequestError(first.message, first.extensions?.code ?? 'ERROR', response.status);
  }
  if (!body.data) throw new GraphQLRequestError(`The server answered ${response.status} with no data`, 'HTTP', response.status);
  return body.data;
}
