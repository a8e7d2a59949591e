import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configFromEnv } from '../../api/config';
import { DemoKeys, seedDemo } from '../../api/seed/demo-seed';
import { AppServer, startServer } from '../../api/server';
import { migratedEmbeddedSnapshot } from './migrated-templates';
import { createTestDatabase, TestDatabase } from './test-database';
import { graphqlAt, type GraphQLResponse } from './test-server';

/**
 * A test server that can be stopped and started again on the same database: a PostgreSQL
 * database on TEST_DATABASE_URL, else an embedded database on disk (not in memory).
 */
export class RestartableServer {
  server!: AppServer;
  keys!: DemoKeys;

  private constructor(private readonly database: TestDatabase, private readonly dataDir: string, private readonly env: Record<string, string>) {}

  static async start(env: Record<string, string> = {}): Promise<RestartableServer> {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-restart-'));
    const t = new RestartableServer(database, dataDir, env);
    await t.boot();
    t.keys = (await seedDemo(t.server, dataDir))!;
    return t;
  }

  private async boot(): Promise<void> {
    this.server = await startServer(configFromEnv({
      LOG_LEVEL: 'warn', ENGINE_WORKERS_PER_DEVICE: '1', ...this.env, PORT: '0', DATA_DIR: this.dataDir,
      EMBEDDED_DATABASE_DIR: path.join(this.dataDir, 'pglite'),
      ...(this.database.url ? { DATABASE_URL: this.database.url } : { EMBEDDED_DATABASE_SNAPSHOT: await migratedEmbeddedSnapshot() }),
    }));
  }

  /** Stops the server (draining it) and starts a new one on the same database and files. */
  async restart(): Promise<void> {
    await this.server.stop();
    await this.boot();
  }

  graphql<T = Record<string, any>>(key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    return graphqlAt<T>(this.server.url, key, query, variables);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.database.drop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
