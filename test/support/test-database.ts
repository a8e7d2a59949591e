import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../migrations/data-source';
import { migratedEmbeddedSnapshot, migratedPostgresTemplate } from './migrated-templates';

/**
 * A database of its own for one test file: on TEST_DATABASE_URL's server (a fresh database,
 * dropped afterwards), or, without it, an in-memory embedded PGlite database.
 */
export interface TestDatabase {
  /** PostgreSQL URL, or undefined for embedded PGlite. */
  url?: string;
  kind: 'postgres' | 'pglite';
  drop(): Promise<void>;
}

/**
 * Creates (or re-creates) database `name` on a PostgreSQL server, empty or as a copy of
 * `template`; `drop()` removes it.
 */
export async function createDatabaseOn(serverUrl: string, name: string, template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const run = async (sql: string) => {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await run(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * A database for one test file. On PostgreSQL it is already migrated (a copy of the migrated
 * template) unless `empty`; on PGlite the data source makes it, from the migrated dump when given
 * `migratedEmbeddedSnapshot()` (test-server.ts and restartable-server.ts do).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return { kind: 'pglite', drop: async () => undefined };
  const template = options.empty ? undefined : await migratedPostgresTemplate(serverUrl);
  const database = await createDatabaseOn(serverUrl, `test_${process.pid}_${randomBytes(4).toString('hex')}`, template);
  return { ...database, kind: 'postgres' };
}

/**
 * A migrated data source on a database of its own (see createTestDatabase), told every statement
 * it sends through TypeORM when `onSql` is given; `close()` closes and drops both.
 */
export async function createMigratedDataSource(onSql?: (sql: string) => void): Promise<{ db: DataSource; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const embeddedSnapshot = database.url ? undefined : await migratedEmbeddedSnapshot();
  const db = createDataSource({ databaseUrl: database.url, dataDir: 'memory://', embeddedSnapshot, onSqlStatement: onSql });
  await db.initialize();
  await db.runMigrations({ transaction: 'each' });
  return {
    db, database,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
