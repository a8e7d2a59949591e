import path from 'node:path';
import { EngineConfig, engineConfigFromEnv } from '../inference';
import { FineTuningConfig, fineTuningConfigFromEnv } from './fine-tuning/fine-tuning.config';

/** Server configuration, read from the environment once at start-up (see the README's table). */
export interface AppConfig {
  port: number;
  /** PostgreSQL URL; unset = embedded PGlite under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  /** Where the embedded database keeps its files (`memory://` for none); default `<dataDir>/pglite`. */
  embeddedDatabaseDir: string;
  production: boolean;
  /** Stack traces in GraphQL errors (GRAPHQL_STACK_TRACES=true): for debugging only, never in production. */
  exposeStackTraces: boolean;
  /** Largest accepted upload, bytes. */
  maxUploadBytes: number;
  /** Largest accepted query cost (see api/common/query-cost.plugin.ts). */
  queryCostLimit: number;
  /** Seed the demo organisations, models and keys on an empty database. */
  seedDemo: boolean;
  logLevel: string;
  /** Most texts accepted by one runInference call. */
  maxTextsPerRequest: number;
  /** The engine pool: ENGINE_DEVICES, ENGINE_WORKERS_PER_DEVICE, ... (inference/engine/engine.config.ts). */
  engine: EngineConfig;
  /** Datasets' limits and the fine-tune worker: FINE_TUNE_* (api/fine-tuning/fine-tuning.config.ts). */
  fineTuning: FineTuningConfig;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** Reads the configuration; throws a message naming the variable when one is malformed. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: intFromEnv(env, 'PORT', 4000),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    embeddedDatabaseDir: env.EMBEDDED_DATABASE_DIR || path.join(path.resolve(env.DATA_DIR || '.data'), 'pglite'),
    production: env.NODE_ENV === 'production',
    exposeStackTraces: env.GRAPHQL_STACK_TRACES === 'true' && env.NODE_ENV !== 'production',
    maxUploadBytes: intFromEnv(env, 'MAX_UPLOAD_BYTES', 256 * 1024 * 1024),
    queryCostLimit: intFromEnv(env, 'QUERY_COST_LIMIT', 50000),
    seedDemo: (env.SEED_DEMO ?? 'true') !== 'false',
    logLevel: env.LOG_LEVEL || 'info',
    maxTextsPerRequest: intFromEnv(env, 'MAX_TEXTS_PER_REQUEST', 64),
    engine: engineConfigFromEnv(env),
    fineTuning: fineTuningConfigFromEnv(env),
  };
}
