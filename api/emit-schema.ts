import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildApiSchema } from './schema-builder';
// NOTE: every entity loaded, as in the running server (its data source loads them): a Node type that no
// resolver reaches yet (e.g. CreditNote) is in the server's schema, so it is in the emitted SDL too.
import '../schema/entities';

/** Where the committed SDL lives; reviewed like code, checked for staleness by a test. */
export const SCHEMA_FILE = path.resolve(__dirname, '..', 'schema', 'schema.graphql');

/** The SDL of the API as the code defines it, sorted so diffs stay readable. */
export async function printApiSchema(): Promise<string> {
  const header = '# Emitted from the code by `npm run schema:emit`; do not edit by hand.\n\n';
  return header + printSchema(lexicographicSortSchema(await buildApiSchema())) + '\n';
}

if (require.main === module) {
  printApiSchema().then((sdl) => {
    writeFileSync(SCHEMA_FILE, sdl);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
  }).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
