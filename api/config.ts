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
  /** A PGlite dump a fresh embedded database starts from instead of initdb (EMBEDDED_DATABASE_SNAPSHOT; the tests' migrated template). */
  embeddedDatabaseSnapshot?: string;
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
  /** Grace period of draft invoices after their period ends, seconds (BILLING_GRACE_PERIOD_SECONDS; per organisation in billing_account). */
  billingGracePeriodSeconds: number;
  /** Run the billing period-end job (BILLING_JOBS, default true): close ended periods, finalize drafts past their grace period. */
  billingJobs: boolean;
  /** The platform's share of vendors' revenue, percent as a decimal string (PLATFORM_SHARE_PERCENT). */
  platformSharePercent: string;
  /** Hostile-load limits (README, "Security and operations"). */
  limits: ServerLimits;
  /** How long SIGTERM waits for calls in flight before it forces the stop, ms (SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** How long a draining server waits for clients to close idle keep-alive sockets, ms (SHUTDOWN_LINGER_MS). */
  shutdownLingerMs: number;
  /** Each organisation's storage quota for uploads, bytes (STORAGE_QUOTA_BYTES). */
  storageQuotaBytes: number;
  /** Uploads nothing refers to are deleted after this many hours (UPLOAD_EXPIRY_HOURS). */
  uploadExpiryHours: number;
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken?: string;
  /** The engine pool: ENGINE_DEVICES, ENGINE_WORKERS_PER_DEVICE, ... (inference/engine/engine.config.ts). */
  engine: EngineConfig;
  /** Datasets' limits and the fine-tune worker: FINE_TUNE_* (api/fine-tuning/fine-tuning.config.ts). */
  fineTuning: FineTuningConfig;
  /** The console bundle served at /console (CONSOLE_DIR); default dist/console (api/console.route.ts). */
  consoleDir?: string;
  /** Stripe (api/stripe/): without a secret key nothing calls Stripe and billing is complete locally. */
  stripe: StripeConfig;
}

/** STRIPE_SECRET_KEY, STRIPE_API_BASE (another host for the SDK, e.g. a local server), STRIPE_WEBHOOK_SECRET. */
export interface StripeConfig {
  secretKey?: string;
  apiBase?: string;
  webhookSecret?: string;
}

/** Limits that keep one client from stalling the server (see api/common/ and api/http/). */
export interface ServerLimits {
  /** Largest GraphQL document, bytes (QUERY_MAX_BYTES). */
  queryMaxBytes: number;
  /** Most tokens a GraphQL document may have; parsing stops there (QUERY_MAX_TOKENS). */
  queryMaxTokens: number;
  /** Deepest bracket nesting of a GraphQL document, refused before parsing (QUERY_MAX_DEPTH). */
  queryMaxDepth: number;
  /** Most fragments a GraphQL document may define, refused before parsing (QUERY_MAX_FRAGMENTS). */
  queryMaxFragments: number;
  /** How long one request's resolvers may keep starting database work, ms (EXECUTION_BUDGET_MS). */
  executionBudgetMs: number;
  /** How many of one request's root fields read the database at once. */
  rootFieldConcurrency: number;
  /** Most mutation fields in one request (MAX_MUTATIONS_PER_REQUEST). */
  mutationsPerRequest: number;
  /** Most mutations per API key per minute, per replica, runInference excepted (MUTATIONS_PER_KEY_PER_MINUTE). */
  mutationsPerKeyPerMinute: number;
  /** Most unrevoked API keys per organisation (MAX_LIVE_API_KEYS_PER_ORG). */
  liveApiKeysPerOrg: number;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function stripeConfigFromEnv(env: NodeJS.ProcessEnv): StripeConfig {
  const apiBase = env.STRIPE_API_BASE || undefined;
  if (apiBase && !/^https?:\/\/[^/]+\/?$/.test(apiBase)) throw new Error(`STRIPE_API_BASE must be a URL like http://127.0.0.1:12111, got "${apiBase}"`);
  return { secretKey: env.STRIPE_SECRET_KEY || undefined, apiBase, webhookSecret: env.STRIPE_WEBHOOK_SECRET || undefined };
}

function percentFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,3}(\.\d{1,6})?$/.test(raw) || Number(raw) > 100) throw new Error(`${name} must be a percentage from 0 to 100 such as "20" or "12.5", got "${raw}"`);
  return raw;
}

/** Reads the configuration; throws a message naming the variable when one is malformed. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    port: intFromEnv(env, 'PORT', 4000),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    embeddedDatabaseDir: env.EMBEDDED_DATABASE_DIR || path.join(path.resolve(env.DATA_DIR || '.data'), 'pglite'),
    embeddedDatabaseSnapshot: env.EMBEDDED_DATABASE_SNAPSHOT || undefined,
    production: env.NODE_ENV === 'production',
    exposeStackTraces: env.GRAPHQL_STACK_TRACES === 'true' && env.NODE_ENV !== 'production',
    maxUploadBytes: intFromEnv(env, 'MAX_UPLOAD_BYTES', 256 * 1024 * 1024),
    queryCostLimit: intFromEnv(env, 'QUERY_COST_LIMIT', 50_000),
    seedDemo: (env.SEED_DEMO ?? 'true') !== 'false',
    logLevel: env.LOG_LEVEL || 'info',
    maxTextsPerRequest: intFromEnv(env, 'MAX_TEXTS_PER_REQUEST', 64),
    limits: {
      queryMaxBytes: intFromEnv(env, 'QUERY_MAX_BYTES', 64_000),
      queryMaxTokens: intFromEnv(env, 'QUERY_MAX_TOKENS', 5_000),
      queryMaxDepth: intFromEnv(env, 'QUERY_MAX_DEPTH', 40),
      queryMaxFragments: intFromEnv(env, 'QUERY_MAX_FRAGMENTS', 100),
      executionBudgetMs: intFromEnv(env, 'EXECUTION_BUDGET_MS', 5_000),
      rootFieldConcurrency: 4,
      mutationsPerRequest: intFromEnv(env, 'MAX_MUTATIONS_PER_REQUEST', 10),
      mutationsPerKeyPerMinute: intFromEnv(env, 'MUTATIONS_PER_KEY_PER_MINUTE', 120),
      liveApiKeysPerOrg: intFromEnv(env, 'MAX_LIVE_API_KEYS_PER_ORG', 50),
    },
    shutdownGraceMs: intFromEnv(env, 'SHUTDOWN_GRACE_MS', 25_000),
    shutdownLingerMs: intFromEnv(env, 'SHUTDOWN_LINGER_MS', 6_000),
    metricsToken: env.METRICS_TOKEN || undefined,
    storageQuotaBytes: intFromEnv(env, 'STORAGE_QUOTA_BYTES', 10 * 1024 ** 3),
    uploadExpiryHours: intFromEnv(env, 'UPLOAD_EXPIRY_HOURS', 24),
    engine: engineConfigFromEnv(env),
    stripe: stripeConfigFromEnv(env),
    billingGracePeriodSeconds: intFromEnv(env, 'BILLING_GRACE_PERIOD_SECONDS', 3600),
    platformSharePercent: percentFromEnv(env, 'PLATFORM_SHARE_PERCENT', '20'),
    consoleDir: env.CONSOLE_DIR ? path.resolve(env.CONSOLE_DIR) : undefined,
    billingJobs: (env.BILLING_JOBS ?? 'true') !== 'false',
    fineTuning: fineTuningConfigFromEnv(env),
  };
}
