import path from 'node:path';
import { EngineConfig, engineConfigFromEnv } from '../inference';

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
  /** Grace period of draft invoices after their period ends, seconds (BILLING_GRACE_PERIOD_SECONDS; per organisation in billing_account). */
  billingGracePeriodSeconds: number;
  /** Run the billing period-end job (BILLING_JOBS, default true): close ended periods, finalize drafts past their grace period. */
  billingJobs: boolean;
  /** The platform's share of vendors' revenue, percent as a decimal string (PLATFORM_SHARE_PERCENT). */
  platformSharePercent: string;
  /** The engine pool: ENGINE_DEVICES, ENGINE_WORKERS_PER_DEVICE, ... (inference/engine/engine.config.ts). */
  engine: EngineConfig;
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
    production: env.NODE_ENV === 'production',
    exposeStackTraces: env.GRAPHQL_STACK_TRACES === 'true' && env.NODE_ENV !== 'production',
    maxUploadBytes: intFromEnv(env, 'MAX_UPLOAD_BYTES', 256 * 1024 * 1024),
    queryCostLimit: intFromEnv(env, 'QUERY_COST_LIMIT', 50000),
    seedDemo: (env.SEED_DEMO ?? 'true') !== 'false',
    logLevel: env.LOG_LEVEL || 'info',
    maxTextsPerRequest: intFromEnv(env, 'MAX_TEXTS_PER_REQUEST', 64),
    engine: engineConfigFromEnv(env),
    stripe: stripeConfigFromEnv(env),
    billingGracePeriodSeconds: intFromEnv(env, 'BILLING_GRACE_PERIOD_SECONDS', 3600),
    platformSharePercent: percentFromEnv(env, 'PLATFORM_SHARE_PERCENT', '20'),
    consoleDir: env.CONSOLE_DIR ? path.resolve(env.CONSOLE_DIR) : undefined,
    billingJobs: (env.BILLING_JOBS ?? 'true') !== 'false',
  };
}
