import 'reflect-metadata';
import { buildDemoModels } from '../../inference/model-kit/demo-models';
import { migratedEmbeddedSnapshot, migratedPostgresTemplate } from './migrated-templates';

/**
 * Jest's global set-up, once per run before any test file: makes the migrated database templates
 * and the demo models' disk cache (see migrated-templates.ts and demo-model-cache.ts), so the
 * first test files do not all make them at once, each against its own hook time-out.
 */
export default async function globalSetup(): Promise<void> {
  buildDemoModels();
  if (process.env.TEST_DATABASE_URL) await migratedPostgresTemplate(process.env.TEST_DATABASE_URL);
  else await migratedEmbeddedSnapshot();
}
