import { DataSource } from 'typeorm';
import type { EnginePool } from '../inference';
import { toGlobalId } from '../schema/common/global-id';
import { isEmbedded } from '../migrations/data-source';
import { ApiKeyService } from './accounts/api-key.service';
import { OrganizationService } from './accounts/organization.service';
import { FileStore } from './catalogue/file-store.service';
import { UploadRetention } from './catalogue/upload-retention.service';
import { ModelService } from './catalogue/model.service';
import { ModelVersionService } from './catalogue/model-version.service';
import { PlanService } from './catalogue/plan.service';
import { NodeLookup } from './common/node-lookup.service';
import { AppConfig } from './config';
import type { ApiMetrics } from './common/api-metrics';
import { JobQueue } from './jobs/job-queue';
import { Logger } from './logger';
import { defaultRecorderOptions, UnmeteredRecorder, UsageRecorder, UsageSink } from './metering/usage-recorder';
import { UsageEventService } from './metering/usage-event.service';
import { UsageQueryService } from './metering/usage-query.service';
import { InferenceService } from './predictions/inference.service';
import { ServingModelCache } from './predictions/serving-model.cache';
import { createBillingServices } from './billing/billing-services';
import { EntitlementCache } from './subscriptions/entitlement.cache';
import { QuotaGuard } from './subscriptions/quota-guard';
import { RateLimitBucketStore } from './subscriptions/rate-limit-bucket.store';
import { RateLimiter } from './subscriptions/rate-limiter';
import { SubscriptionService } from './subscriptions/subscription.service';
import { StripeSyncService } from './stripe/stripe-sync.service';
import { createFineTuning } from './fine-tuning/fine-tuning.services';

/** Hooks for benchmarks and tests only; production passes none. */
export interface ServiceHooks {
  /** BENCHMARK ONLY: run inference without writing usage (see UnmeteredRecorder). */
  unmetered?: boolean;
  /** BENCHMARK ONLY: wraps the usage sink (to time its holds, or to add a delay and nothing else). */
  wrapUsageSink?: (sink: UsageSink) => UsageSink;
  /** TESTS ONLY: the Stripe outbox is drained only by explicit `services.stripe.drain(now)` calls (a clock of the test's own). */
  manualStripeDrain?: boolean;
}

function createRecorder(dataSource: DataSource, hooks: ServiceHooks, logger: Logger, metrics?: ApiMetrics): UsageSink {
  const sink = createSink(dataSource, hooks, logger, metrics);
  return hooks.wrapUsageSink ? hooks.wrapUsageSink(sink) : sink;
}

function createSink(dataSource: DataSource, hooks: ServiceHooks, logger: Logger, metrics?: ApiMetrics): UsageSink {
  if (hooks.unmetered) return new UnmeteredRecorder();
  const options = defaultRecorderOptions(isEmbedded(dataSource), (error, calls) =>
    logger.error({ err: error, calls }, 'usage events could not be written; those calls were answered with an error and not billed'));
  return new UsageRecorder(dataSource, {
    ...options, onFlushed: metrics && ((events, seconds) => metrics.usageFlushed(events, seconds)),
    onRollFailed: (error) => logger.warn({ err: error }, 'could not roll the pending usage totals up; readers still count them, the next write retries'),
  });
}

/** Builds every domain service once per server; requests reach them through `ctx.services`. */
export function createServices(deps: { dataSource: DataSource; config: AppConfig; engine: EnginePool; logger: Logger; hooks?: ServiceHooks; metrics?: ApiMetrics }) {
  const { dataSource, config, logger } = deps;
  const files = new FileStore(dataSource, config.dataDir, config.maxUploadBytes);
  const models = new ModelService();
  const entitlements = new EntitlementCache(dataSource, 5_000);
  const quotas = new QuotaGuard(dataSource, {
    onReseedFailed: (error) => logger.warn({ err: error }, 'a monthly cap\'s usage could not be re-counted; its last count stands'),
  });
  const usageRecorder = createRecorder(dataSource, deps.hooks ?? {}, logger, deps.metrics);
  const subscriptions = new SubscriptionService(models, entitlements, quotas);
  let built: unknown = null;
  const billing = createBillingServices({ dataSource, config, logger, subscriptions, entitlements, quotas, services: () => built });
  const usageEvents = new UsageEventService(quotas, billing.usageCorrections);
  const servingModels = new ServingModelCache(dataSource, files, 30_000);
  const rateLimiter = new RateLimiter(new RateLimitBucketStore(dataSource), {
    onGiveBackFailed: (error) => logger.warn({ err: error }, 'unspent rate limit tokens could not be given back to their bucket'),
  });
  const nodes = new NodeLookup(models);
  nodes.register('Subscription', (ctx, id) => subscriptions.findOwned(ctx, toGlobalId('Subscription', id)));
  nodes.register('UsageEvent', (ctx, id) => usageEvents.findVisible(ctx, id));
  nodes.register('Invoice', (ctx, id) => billing.invoices.findVisible(ctx, id));
  const modelVersions = new ModelVersionService(models, files, 30_000);
  const fineTuning = createFineTuning({ dataSource, config, engine: deps.engine, logger, files, models, modelVersions, entitlements, usageRecorder, nodes });
  const services = {
    engine: deps.engine,
    /** Background jobs (pg-boss): started by the server after the migrations, stopped before the database closes. */
    jobs: new JobQueue(dataSource, config.databaseUrl, logger.child({ component: 'jobs' })),
    files,
    uploads: new UploadRetention(dataSource, files, { quotaBytes: config.storageQuotaBytes, expireAfterMs: config.uploadExpiryHours * 3_600_000 }),
    apiKeys: new ApiKeyService(dataSource, {
      cacheTtlMs: 5000,
      lastUsedEveryMs: 60_000,
      onError: (error) => logger.warn({ err: error }, 'could not record an API key\'s last use'),
      maxLiveKeysPerOrg: config.limits.liveApiKeysPerOrg,
    }),
    organizations: new OrganizationService(),
    models,
    modelVersions,
    plans: new PlanService(models),
    nodes,
    subscriptions,
    usageRecorder,
    usageQueries: new UsageQueryService(),
    usageEvents,
    servingModels,
    rateLimiter,
    entitlements,
    stripe: new StripeSyncService(dataSource, config.stripe, entitlements, logger.child({ component: 'stripe' })),
    inference: new InferenceService(deps.engine, servingModels, entitlements, rateLimiter, quotas, usageRecorder, {
      maxTextsPerRequest: config.maxTextsPerRequest,
      deadlineMs: 30_000,
    }),
    billing,
    ...fineTuning,
  };
  built = services;
  // HOOK: a finalized invoice is queued for Stripe, and a voided one voided there, in billing's own transaction.
  billing.events.onFinalized((ctx, invoice) => services.stripe.onInvoiceFinalized(ctx, invoice.id));
  billing.events.onVoided((ctx, invoice) => services.stripe.onInvoiceVoided(ctx, invoice.id));
  fineTuning.attachServicesToFineTuning(services);
  return services;
}

export type Services = ReturnType<typeof createServices>;
