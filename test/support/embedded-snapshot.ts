import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPGliteInstance } from 'typeorm-pglite/dist/pglite-instance';
import { createDataSource } from '../../migrations/data-source';

// NOTE: an embedded PGlite database spends seconds in initdb before the first migration runs,
// and every test file starts at least one. A migrated template is dumped once per set of
// migrations (its name is a digest of the migration sources and PGlite's version) and each test
// database starts from it. test/integration/schema-and-migrations.test.ts still runs the
// migrations from nothing on both databases.

const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

function snapshotPath(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    if (name.endsWith('.ts')) hash.update(name).update('\0').update(readFileSync(path.join(MIGRATIONS_DIR, name))).update('\0');
  }
  // NOTE: the package's exports hide its package.json; its entry sits in <package>/dist.
  const pglite = JSON.parse(readFileSync(path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as { version: string };
  hash.update(pglite.version);
  return path.join(os.tmpdir(), `aiaas-pglite-migrated-${hash.digest('hex').slice(0, 24)}.tar`);
}

async function buildSnapshot(file: string): Promise<void> {
  const dataSource = createDataSource({ dataDir: 'memory://' });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  try {
    const dump = await (await getPGliteInstance()).dumpDataDir('none');
    // NOTE: written beside and renamed, so a test file running at the same time never reads half.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  } finally {
    await dataSource.destroy();
  }
}

let snapshot: Promise<string> | undefined;

/** The path of a dump of a freshly migrated embedded database, made on first need. */
export function migratedEmbeddedSnapshot(): Promise<string> {
  snapshot ??= (async () => {
    const file = snapshotPath();
    if (!existsSync(file)) await buildSnapshot(file);
    return file;
  })();
  return snapshot;
}
