import { readFileSync } from 'node:fs';
import { printApiSchema, SCHEMA_FILE } from '../../api/emit-schema';
import { createDataSource } from '../../migrations/data-source';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('schema/schema.graphql', () => {
  it('is what the code emits (run `npm run schema:emit` and commit it when this fails)', async () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(await printApiSchema());
  });
});

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
  });
  afterAll(async () => database?.drop());

  it('build exactly the schema the entities describe (no drift)', async () => {
    const dataSource = createDataSource({ databaseUrl: database.url, dataDir: 'memory://' });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied.length).toBeGreaterThan(0);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      // and they can be undone, newest first, down to nothing
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      const tables = await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migration'`);
      expect(tables).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  }, 180_000); // NOTE: the one test database made from nothing (initdb on PGlite), up and down
});
