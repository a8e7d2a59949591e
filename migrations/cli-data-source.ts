import 'reflect-metadata';
import { createDataSource } from './data-source';

/**
 * For the TypeORM CLI only (`npm run migration:generate -- migrations/<name>`): a scratch PostgreSQL
 * database given by DATABASE_URL, migrated to the latest revision before generating.
 */
const cliDataSource = createDataSource({ databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/migration_scratch' });
export default cliDataSource;
