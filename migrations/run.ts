import 'reflect-metadata';
import path from 'node:path';
import { createDataSource } from './data-source';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database. */
async function main(): Promise<void> {
  const dataSource = createDataSource({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: path.resolve(process.env.DATA_DIR ?? '.data', 'pglite'),
  });
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'database is up to date');
  await dataSource.destroy();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
