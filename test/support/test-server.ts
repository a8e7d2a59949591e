import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configFromEnv } from '../../api/config';
import { DemoKeys, seedDemo } from '../../api/seed/demo-seed';
import { AppServer, ServerOptions, startServer } from '../../api/server';
import { migratedEmbeddedSnapshot } from './migrated-templates';
import { createTestDatabase, TestDatabase } from './test-database';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, any>; path?: string[] }>;
  extensions?: Record<string, any>;
}

/** POSTs a GraphQL operation to the server at `url` over real HTTP, as `key` (no Authorization header when null). */
export async function graphqlAt<T = Record<string, any>>(url: string, key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** A running API on a random port, with its own database and data directory. */
export interface TestServer {
  server: AppServer;
  url: string;
  keys: DemoKeys;
  database: TestDatabase;
  dataDir: string;
  /** POSTs a GraphQL operation over real HTTP with `Authorization: Bearer <key>` (no header when key is null). */
  graphql<T = Record<string, any>>(key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

type TestServerOptions = { env?: Record<string, string>; server?: ServerOptions };

/** An API server on `database` and `dataDir`, configured as the tests run it. */
async function startApi(database: TestDatabase, dataDir: string, options: TestServerOptions): Promise<AppServer> {
  return startServer(configFromEnv({
    ...(database.url ? {} : { EMBEDDED_DATABASE_SNAPSHOT: await migratedEmbeddedSnapshot() }),
    LOG_LEVEL: 'warn',
    // NOTE: no billing period-end job on a wall-clock cron in tests (billing tests run it with their own clock).
    BILLING_JOBS: 'false',
    ENGINE_WORKERS_PER_DEVICE: '1',
    // NOTE: tests stop at once; the graceful-shutdown test waits for idle sockets as production does.
    SHUTDOWN_LINGER_MS: '0',
    ...options.env,
    PORT: '0',
    DATA_DIR: dataDir,
    EMBEDDED_DATABASE_DIR: 'memory://',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  }), options.server);
}

function testServer(server: AppServer, keys: DemoKeys, database: TestDatabase, dataDir: string, stop: () => Promise<void>): TestServer {
  const url = server.url;
  return { server, url, keys, database, dataDir, graphql: (key, query, variables) => graphqlAt(url, key, query, variables), stop };
}

export async function startTestServer(options: TestServerOptions & { seed?: boolean } = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-test-'));
  const server = await startApi(database, dataDir, options);
  const keys = options.seed === false ? ({} as DemoKeys) : (await seedDemo(server, dataDir))!;
  return testServer(server, keys, database, dataDir, async () => {
    await server.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
}

/**
 * A second API replica of `primary`: its own server on the same database and files, with the
 * same keys; `stop()` stops it alone. Needs a second connection: PostgreSQL only.
 */
export async function startReplica(primary: TestServer, options: TestServerOptions = {}): Promise<TestServer> {
  if (!primary.database.url) throw new Error('a replica needs a PostgreSQL database (TEST_DATABASE_URL): embedded PGlite has one connection');
  const server = await startApi(primary.database, primary.dataDir, options);
  return testServer(server, primary.keys, primary.database, primary.dataDir, () => server.stop());
}
