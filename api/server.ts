import { ApolloServer } from '@apollo/server';
import { setHeapGrowth } from './heap-growth';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { Request } from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { GraphQLSchema } from 'graphql';
import { DataSource } from 'typeorm';
import { EnginePool, startModelInspector, stopModelInspector } from '../inference';
import { createDataSource } from '../migrations/data-source';
import { fileUploadRouter } from './catalogue/file-upload.route';
import { consoleRouter } from './console.route';
import { stripeWebhookRouter } from './stripe/stripe-webhook.route';
import { AppConfig } from './config';
import { Principal, RequestContext } from './context';
import { ApiError, createErrorFormatter, ErrorCode } from './common/errors';
import { queryCostPlugin } from './common/query-cost.plugin';
import { databaseFields } from './common/database-fields';
import { applyExecutionBudget } from './common/execution-budget';
import { operationLimitsPlugin } from './common/operation-limits.plugin';
import { queryShapeLimit, querySizeLimit } from './http/query-size.middleware';
import { RequestDrain } from './http/request-drain.middleware';
import { ApiMetrics } from './common/api-metrics';
import { observabilityPlugin } from './common/observability.plugin';
import { metricsAuth } from './http/metrics-auth.middleware';
import { accessRecordOf, requestLog } from './http/request-log.middleware';
import { retryAfterPlugin } from './common/retry-after.plugin';
import { ServerTiming, serverTimingPlugin } from './common/server-timing.plugin';
import { UsageCommitHold, usageCommitHoldPlugin } from './metering/usage-commit-hold';
import { HealthDeps, healthRouter } from './health.route';
import { billingExportRouter } from './billing/billing-export.route';
import { StartupProgress } from './startup-progress';
import { createLoaders } from './loaders';
import { createLogger, Logger } from './logger';
import { buildApiSchema } from './schema-builder';
import { UsageRecorder } from './metering/usage-recorder';
import { createServices, Services, ServiceHooks } from './services';

/** A running server: its URL and the parts tests and the seed need. */
export interface AppServer {
  url: string;
  port: number;
  dataSource: DataSource;
  services: Services;
  logger: Logger;
  /** Start-up steps: mark a `holdReadyFor` step done with `startup.done(step)`. */
  startup: StartupProgress;
  stop(): Promise<void>;
}

/** The bearer token of a request, or null when there is no Authorization header. */
function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/** Hooks for tests and benchmarks (the services' hooks among them); production passes none. */
export interface ServerOptions extends ServiceHooks {
  /** Called with every SQL statement the server sends (statement-count tests). */
  onSqlStatement?: (sql: string) => void;
  /** Where the logs go instead of stdout (tests read the access log). */
  logDestination?: { write(line: string): void };
  /** Start-up steps run outside startServer that readiness waits for (see `AppServer.startup`). */
  holdReadyFor?: string[];
  /** The clock of request contexts (scenario tests move it); default the wall clock. */
  now?: () => Date;
}

async function openDatabase(config: AppConfig, options: ServerOptions): Promise<DataSource> {
  const dataSource = createDataSource({
    databaseUrl: config.databaseUrl,
    dataDir: config.embeddedDatabaseDir,
    embeddedSnapshot: config.embeddedDatabaseSnapshot,
    onSqlStatement: options.onSqlStatement,
  });
  await dataSource.initialize();
  return dataSource;
}

async function migrate(dataSource: DataSource, logger: Logger): Promise<void> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
}

/** Deletes stored inference answers past their 35-day retention, at start-up and every 6 hours. */
function startPruningStoredResponses(services: Services, logger: Logger): NodeJS.Timeout {
  const recorder = services.usageRecorder;
  const prune = () => {
    if (!(recorder instanceof UsageRecorder)) return;
    recorder.pruneStoredResponses(35).catch((error) => logger.warn({ err: error }, 'could not prune stored inference answers'));
  };
  prune();
  const timer = setInterval(prune, 6 * 3_600_000);
  timer.unref();
  return timer;
}

/** Deletes uploads nothing refers to once UPLOAD_EXPIRY_HOURS old: at start-up and every hour. */
function startExpiringUploads(services: Services, logger: Logger): NodeJS.Timeout {
  const expire = () => services.uploads.expireUnreferenced(new Date())
    .then((n) => n && logger.info({ uploads: n }, 'expired uploads nothing refers to'))
    .catch((error) => logger.warn({ err: error }, 'could not expire unreferenced uploads'));
  void expire();
  const timer = setInterval(expire, 3_600_000);
  timer.unref();
  return timer;
}

/**
 * Starts the whole API: the HTTP server first (health and metrics answer at once; everything
 * else answers 503 until start-up is done), then the database (migrated), the engine pool, the
 * job queue, and GraphQL at /graphql with file uploads. `/health/ready` turns 200 only when
 * every step is done, `options.holdReadyFor`'s included (main.ts holds it for the demo seed).
 * `stop()` drains HTTP, then jobs, usage, the engine, and closes the database.
 */
export async function startServer(config: AppConfig, options: ServerOptions = {}): Promise<AppServer> {
  setHeapGrowth();
  const logger = createLogger(config.logLevel, options.logDestination);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new ApiMetrics(registry);
  const startup = new StartupProgress(['database', 'migrations', 'engine', 'jobs', 'api', ...(options.holdReadyFor ?? [])]);
  const health: HealthDeps = { startup, registry };

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  // NOTE: idle keep-alive sockets are closed by the client first (undici after 4 s, proxies and
  // load balancers after about 60 s): a server that closed them first (Node's 5 s) could close one
  // just as a request arrives on it, which the client sees as a reset.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const drain = new RequestDrain();
  app.use(requestLog(logger, metrics));
  app.use(drain.middleware());
  app.use('/metrics', metricsAuth(config.metricsToken));
  app.use(healthRouter(health));
  let api: express.Router | undefined;
  app.use((req, res, next) => (api ? api(req, res, next) : answerStarting(res, startup)));
  await new Promise<void>((resolve, reject) => httpServer.once('error', reject).listen(config.port, resolve));
  const port = (httpServer.address() as AddressInfo).port;

  let opened: { dataSource?: DataSource; engine?: EnginePool; services?: Services } = {};
  // NOTE: inspections of uploaded models fork from a launcher, not from this process once it is large (see model-file-inspect.launcher.ts)
  startModelInspector();
  try {
    const schema = await buildApiSchema();
    const dataSource = opened.dataSource = await startup.run('database', () => openDatabase(config, options));
    await startup.run('migrations', () => migrate(dataSource, logger));
    health.dataSource = dataSource;
    const engine = opened.engine = await startup.run('engine', () =>
      EnginePool.start({ ...config.engine, logger: logger.child({ component: 'engine' }), registry, callsInFlight: drain.callsInFlight }));
    health.engine = engine;
    metrics.watchEngine(engine);
    const services = opened.services = createServices({ dataSource, config, engine, logger, hooks: options, metrics });
    await startup.run('jobs', () => services.jobs.start());
    if (!options.manualStripeDrain) await services.stripe.startWorker(services.jobs);
    // NOTE: the billing period-end job is registered (and awaited) once the job queue runs; a failure is a start-up failure, named by readiness.
    if (config.billingJobs) {
      startup.expect('billing-jobs');
      await startup.run('billing-jobs', () => services.billing.jobs.register(services.jobs));
    }
    const built = await startup.run('api', () => buildApiRouter({ config, schema, dataSource, services, logger, httpServer, metrics, now: options.now ?? (() => new Date()) }));
    api = built.router;
    const pruneTimer = startPruningStoredResponses(services, logger);
    const expiryTimer = startExpiringUploads(services, logger);
    services.fineTuneWorker.start();
    logger.info({ url: `http://localhost:${port}/graphql` }, 'marketplace API listening');

    return {
      url: `http://localhost:${port}`,
      port,
      dataSource,
      services,
      logger,
      startup,
      async stop() {
        clearInterval(pruneTimer);
        clearInterval(expiryTimer);
        // NOTE: the calls in flight get the grace period less what flushing and closing need.
        const graceEnds = Date.now() + config.shutdownGraceMs - Math.min(5_000, config.shutdownGraceMs / 5);
        const drained = await drain.drain(Math.max(0, graceEnds - Date.now()));
        logger.info({ drained, unanswered: drain.requestsInFlight }, drained ? 'every call in flight answered' : 'grace period over with calls in flight');
        await drain.lingerUntilClosed(httpServer, Math.min(config.shutdownLingerMs, Math.max(0, graceEnds - Date.now())));
        await built.apollo.stop();
        logger.info('HTTP drained');
        await services.fineTuneWorker.stop();
        await services.jobs.stop();
        await services.usageRecorder.stop();
        logger.info('usage recorder flushed');
        await services.rateLimiter.stop();
        await engine.stop();
        stopModelInspector();
        logger.info('engine stopped');
        await dataSource.destroy();
        logger.info('database closed');
      },
    };
  } catch (error) {
    logger.error({ err: error, pending: startup.pendingSteps() }, 'the server could not start');
    await new Promise((resolve) => httpServer.close(resolve));
    await opened.services?.fineTuneWorker.stop().catch(() => undefined);
    await opened.services?.jobs.stop().catch(() => undefined);
    await opened.engine?.stop().catch(() => undefined);
    stopModelInspector();
    if (opened.dataSource?.isInitialized) await opened.dataSource.destroy().catch(() => undefined);
    throw error;
  }
}

/** A request that came before start-up finished: 503, naming what is still pending. */
function answerStarting(res: express.Response, startup: StartupProgress): void {
  const pending = startup.pendingSteps().map((p) => p.step);
  res.status(503).setHeader('Retry-After', '1');
  res.json({ errors: [{ message: `The server is starting (pending: ${pending.join(', ')}); retry shortly`, extensions: { code: 'UNAVAILABLE' } }] });
}

/** GraphQL at /graphql, file uploads, and the last-resort error handler, on a started database and engine. */
async function buildApiRouter(deps: {
  config: AppConfig; schema: GraphQLSchema; dataSource: DataSource; services: Services; logger: Logger; httpServer: http.Server; metrics: ApiMetrics; now: () => Date;
}): Promise<{ router: express.Router; apollo: ApolloServer<RequestContext> }> {
  const { config, schema, dataSource, services, logger, httpServer, metrics, now } = deps;
  const dbFields = databaseFields();
  applyExecutionBudget(schema, dbFields, { budgetMs: config.limits.executionBudgetMs, rootConcurrency: config.limits.rootFieldConcurrency });

  /** The caller: null without an Authorization header; UNAUTHENTICATED for a malformed, unknown or revoked key. */
  const callerOf = async (req: Request): Promise<Principal | null> => {
    const token = bearerToken(req);
    if (token === null) return null;
    const principal = token ? await services.apiKeys.authenticate(token, new Date()) : null;
    if (!principal) throw new ApiError(ErrorCode.UNAUTHENTICATED, 'The API key is malformed, unknown or revoked');
    return principal;
  };

  const formatError = createErrorFormatter({
    exposeStackTraces: config.exposeStackTraces,
    onInternal: (error) => logger.error({ err: error }, 'unexpected error in a GraphQL operation'),
  });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: config.exposeStackTraces,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.limits.queryMaxTokens },
    // NOTE: main.ts owns SIGINT/SIGTERM and stops everything in order; Apollo must not race it.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      queryCostPlugin(schema, config.queryCostLimit, dbFields),
      usageCommitHoldPlugin(formatError),
      observabilityPlugin(metrics, (ctx) => ctx.access),
      operationLimitsPlugin({ mutationsPerRequest: config.limits.mutationsPerRequest, mutationsPerKeyPerMinute: config.limits.mutationsPerKeyPerMinute }),
      serverTimingPlugin(),
      retryAfterPlugin(),
      // NOTE: no HTTP caching of GraphQL answers (authenticated, mostly mutations); without this
      // Apollo wraps every field resolver to collect cache hints nobody reads.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  const router = express.Router();
  router.use(consoleRouter({ dir: config.consoleDir }));
  // NOTE: before any JSON parser: the Stripe signature covers the raw body, read on that route only.
  router.use(stripeWebhookRouter({ webhooks: services.stripe.webhooks, logger }));
  router.use(fileUploadRouter({ fileStore: services.files, maxBytes: config.maxUploadBytes, callerOf, remainingBytes: (org) => services.uploads.remainingBytes(org) }));
  router.use(billingExportRouter({ dataSource, services, now, callerOf }));
  router.use('/graphql', express.json({ limit: '8mb' }), querySizeLimit(config.limits.queryMaxBytes, () => metrics.error('QUERY_TOO_LARGE')),
    queryShapeLimit(config.limits.queryMaxDepth, config.limits.queryMaxFragments, () => metrics.error('QUERY_TOO_COMPLEX')), expressMiddleware(apollo, {
    context: async ({ req, res }): Promise<RequestContext> => ({
      principal: await callerOf(req), db: dataSource.manager, loaders: createLoaders(dataSource), services,
      now, requestId: accessRecordOf(res)?.requestId ?? randomUUID(), serverTiming: new ServerTiming(), access: accessRecordOf(res),
      usageCommits: new UsageCommitHold(),
    }),
  }));
  router.use((error: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unexpected error in an HTTP route');
    res.status(status).json({ error: { code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST', message: status === 500 ? 'Internal server error' : error.message } });
  });
  return { router, apollo };
}
