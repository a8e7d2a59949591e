import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../migrations/data-source';
import { migratedEmbeddedSnapshot, migratedPostgresTemplate } from './migrated-templates';
import { createDatabaseOn } from './postgres-server';

export { createDatabaseOn };

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
