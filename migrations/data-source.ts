import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions, Logger } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import { PGliteDriver } from 'typeorm-pglite';
import { PGlitePool } from 'typeorm-pglite/dist/pglite-pool';
import { entities } from '../schema/entities';

export interface DatabaseConfig {
  /** PostgreSQL URL; when absent, the embedded PGlite database under `dataDir` is used. */
  databaseUrl?: string;
  /** Where PGlite keeps its files; `memory://` for a throw-away database. */
  dataDir?: string;
  /**
   * A PGlite data-directory dump (`dumpDataDir`, a tar file) a new embedded database starts from
   * instead of running initdb: only when `dataDir` is `memory://` or holds no database yet.
   */
  embeddedSnapshot?: string;
  /** Connections in the pool (PostgreSQL only). */
  poolSize?: number;
  /** Told every statement sent through TypeORM (statement-count tests). */
  onSqlStatement?: (sql: string) => void;
}

/** A TypeORM logger that tells `onSqlStatement` each statement and ignores the rest. */
function statementLogger(onSqlStatement?: (sql: string) => void): Logger | undefined {
  if (!onSqlStatement) return undefined;
  const ignore = () => undefined;
  return { logQuery: (sql) => onSqlStatement(sql), logQueryError: ignore, logQuerySlow: ignore, logSchemaBuild: ignore, logMigration: ignore, log: ignore };
}

/**
 * PGlite has a single connection. TypeORM's query runners expect a pool that hands out a
 * connection exclusively (a transaction's statements must not interleave with another
 * request's), so this pool lends its one connection to one query runner at a time.
 */
class ExclusivePGlitePool extends PGlitePool {
  private tail: Promise<void> = Promise.resolve();

  override async connect(callback: (error: unknown, client: PGlitePool | null, done: () => void) => void) {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    let released = false;
    const done = () => {
      if (!released) (released = true), release();
    };
    return super.connect((err, client) => callback(err, client, done));
  }
}

function migrationsGlob(): string {
  const ext = __filename.endsWith('.ts') ? 'ts' : 'js';
  return path.join(__dirname, `[0-9]*-*.${ext}`);
}

/** Options shared by both databases: entities, snake_case names, migrations only. */
function commonOptions(config: DatabaseConfig) {
  return {
    type: 'postgres' as const,
    entities,
    migrations: [migrationsGlob()],
    migrationsTableName: 'schema_migration',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logger: statementLogger(config.onSqlStatement),
  };
}

/** The one TypeORM data source: PostgreSQL when `databaseUrl` is set, embedded PGlite otherwise. */
export function createDataSource(config: DatabaseConfig): DataSource {
  if (config.databaseUrl) {
    return new DataSource({
      ...commonOptions(config),
      url: config.databaseUrl,
      extra: { max: config.poolSize ?? 10 },
    } as DataSourceOptions);
  }
  const dataDir = config.dataDir ?? path.resolve('.data', 'pglite');
  // NOTE: PGlite creates its own folder but not the folders above it (a fresh clone has no .data).
  if (!dataDir.includes('://')) mkdirSync(path.dirname(dataDir), { recursive: true });
  const fresh = dataDir.startsWith('memory://') || !existsSync(path.join(dataDir, 'PG_VERSION'));
  const loadDataDir = config.embeddedSnapshot && fresh ? new Blob([readFileSync(config.embeddedSnapshot)]) : undefined;
  const driver = new PGliteDriver({ dataDir, ...(loadDataDir ? { loadDataDir } : {}) }).driver as unknown as { Pool: unknown };
  driver.Pool = ExclusivePGlitePool;
  return new DataSource({ ...commonOptions(config), driver } as unknown as DataSourceOptions);
}

/** True when the database is the embedded PGlite one (single connection). */
export function isEmbedded(dataSource: DataSource): boolean {
  return !(dataSource.options as { url?: string }).url;
}

/** A pooled connection's client as the `pg` driver (and PGlite's pool) hand it out. */
export interface RawClient {
  query(text: string, values?: unknown[]): Promise<{ rows?: any[] }>;
}

/**
 * Runs `work` on one connection of the data source's pool, outside TypeORM (its statement
 * logger does not see them), and gives the connection back after. On embedded PGlite the pool
 * lends its one connection to one user at a time, so `work` never interleaves with a transaction.
 */
export function withRawConnection<T>(dataSource: DataSource, work: (client: RawClient) => Promise<T>): Promise<T> {
  type Listening = RawClient & { on?(event: 'error', listener: (error: Error) => void): unknown; off?(event: 'error', listener: (error: Error) => void): unknown };
  type Pool = { connect(callback: (error: unknown, client: Listening | null, done: (broken?: Error) => void) => void): unknown };
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return new Promise<T>((resolve, reject) => {
    pool.connect((error, client, done) => {
      if (error || !client) {
        done();
        reject(error ?? new Error('no database connection'));
        return;
      }
      // NOTE: a borrowed client has no pool listener: a connection cut by the server (restart,
      // pg_terminate_backend) would be an unhandled 'error' event. The query in flight fails on
      // its own; the broken client is handed back as broken, so the pool drops it.
      let broken: Error | undefined;
      const onError = (cut: Error) => (broken = cut);
      client.on?.('error', onError);
      work(client).then(resolve, reject).finally(() => {
        client.off?.('error', onError);
        done(broken);
      });
    });
  });
}
