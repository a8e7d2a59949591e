import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPGliteInstance } from 'typeorm-pglite/dist/pglite-instance';
import { createDataSource } from '../../migrations/data-source';
import { createDatabaseOn, onServer } from './postgres-server';

// NOTE: every test file starts at least one database, and running every migration on it took a
// second or two on PostgreSQL, several seconds on PGlite (initdb first). So a migrated template
// is made once per set of migrations (named by a digest of the migration sources): a PGlite dump
// each embedded test database starts from, and a PostgreSQL template database each test database
// is created from. test/integration/schema-and-migrations.test.ts still runs the migrations from
// nothing on both databases.

const MIGRATIONS_DIR = path.resolve(__dirname, '../../migrations');

let digest: string | undefined;

/** A digest of the migration sources: a new or changed migration makes new templates. */
function migrationsDigest(): string {
  if (digest) return digest;
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    if (name.endsWith('.ts')) hash.update(name).update('\0').update(readFileSync(path.join(MIGRATIONS_DIR, name))).update('\0');
  }
  // NOTE: the package's exports hide its package.json; its entry sits in <package>/dist.
  const pglite = JSON.parse(readFileSync(path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as { version: string };
  hash.update(pglite.version);
  digest = hash.digest('hex').slice(0, 20);
  return digest;
}

function snapshotPath(): string {
  return path.join(os.tmpdir(), `aiaas-pglite-migrated-${migrationsDigest()}.tar`);
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

const templates = new Map<string, Promise<string>>();

/**
 * The name of a migrated template database on the PostgreSQL server at `serverUrl`, made on first
 * need. Test files racing to make it wait on an advisory lock; a template is marked IS_TEMPLATE
 * only once migrated, so one left half-made by a killed run is made again.
 */
export function migratedPostgresTemplate(serverUrl: string): Promise<string> {
  let template = templates.get(serverUrl);
  if (!template) {
    template = onServer(serverUrl, async (admin) => {
      const name = `aiaas_template_${migrationsDigest()}`;
      await admin.query(`SELECT pg_advisory_lock(hashtext($1))`, [name]);
      try {
        const [row] = (await admin.query(`SELECT datistemplate FROM pg_database WHERE datname = $1`, [name])).rows as Array<{ datistemplate: boolean }>;
        if (row?.datistemplate) return name;
        const { url } = await createDatabaseOn(serverUrl, name);
        const dataSource = createDataSource({ databaseUrl: url, poolSize: 1 });
        await dataSource.initialize();
        try {
          await dataSource.runMigrations({ transaction: 'each' });
        } finally {
          await dataSource.destroy();
        }
        await admin.query(`ALTER DATABASE ${name} IS_TEMPLATE true`);
        return name;
      } finally {
        await admin.query(`SELECT pg_advisory_unlock(hashtext($1))`, [name]);
      }
    });
    templates.set(serverUrl, template);
  }
  return template;
}
