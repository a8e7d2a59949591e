import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { Request } from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { EnginePool } from '../inference';
import { createDataSource } from '../migrations/data-source';
import { fileUploadRouter } from './catalogue/file-upload.route';
import { AppConfig } from './config';
import { Principal, RequestContext } from './context';
import { ApiError, createErrorFormatter, ErrorCode } from './common/errors';
import { queryCostPlugin } from './common/query-cost.plugin';
import { retryAfterPlugin } from './common/retry-after.plugin';
import { ServerTiming, serverTimingPlugin } from './common/server-timing.plugin';
import { healthRouter } from './health.route';
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
}

async function openDatabase(config: AppConfig, logger: Logger, options: ServerOptions): Promise<DataSource> {
  const dataSource = createDataSource({
    databaseUrl: config.databaseUrl,
    dataDir: config.embeddedDatabaseDir,
    onSqlStatement: options.onSqlStatement,
  });
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
  return dataSource;
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

/**
 * Starts the whole API: database (migrated), engine pool, GraphQL at /graphql, file uploads,
 * health and metrics. `stop()` drains HTTP, then the engine, then closes the database.
 */
export async function startServer(config: AppConfig, options: ServerOptions = {}): Promise<AppServer> {
  const logger = createLogger(config.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const schema = await buildApiSchema();
  const dataSource = await openDatabase(config, logger, options);
  const engine = await EnginePool.start({ ...config.engine, logger: logger.child({ component: 'engine' }), registry });
  const services = createServices({ dataSource, config, engine, logger, hooks: options });
  const pruneTimer = startPruningStoredResponses(services, logger);
  services.fineTuneWorker.start();

  /** The caller: null without an Authorization header; UNAUTHENTICATED for a malformed, unknown or revoked key. */
  const callerOf = async (req: Request): Promise<Principal | null> => {
    const token = bearerToken(req);
    if (token === null) return null;
    const principal = token ? await services.apiKeys.authenticate(token, new Date()) : null;
    if (!principal) throw new ApiError(ErrorCode.UNAUTHENTICATED, 'The API key is malformed, unknown or revoked');
    return principal;
  };

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: config.exposeStackTraces,
    csrfPrevention: true,
    // NOTE: main.ts owns SIGINT/SIGTERM and stops everything in order; Apollo must not race it.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter({
      exposeStackTraces: config.exposeStackTraces,
      onInternal: (error) => logger.error({ err: error }, 'unexpected error in a GraphQL operation'),
    }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      queryCostPlugin(schema, config.queryCostLimit),
      serverTimingPlugin(),
      retryAfterPlugin(),
      // NOTE: no HTTP caching of GraphQL answers (authenticated, mostly mutations); without this
      // Apollo wraps every field resolver to collect cache hints nobody reads.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  app.use(healthRouter({ dataSource, engine, registry }));
  app.use(fileUploadRouter({ fileStore: services.files, maxBytes: config.maxUploadBytes, callerOf }));
  app.use('/graphql', express.json({ limit: '8mb' }), expressMiddleware(apollo, {
    context: async ({ req }): Promise<RequestContext> => ({
      principal: await callerOf(req), db: dataSource.manager, loaders: createLoaders(dataSource), services,
      now: () => new Date(), requestId: randomUUID(), serverTiming: new ServerTiming(),
    }),
  }));
  app.use((error: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unexpected error in an HTTP route');
    res.status(status).json({ error: { code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST', message: status === 500 ? 'Internal server error' : error.message } });
  });

  await new Promise<void>((resolve) => httpServer.listen(config.port, resolve));
  const port = (httpServer.address() as AddressInfo).port;
  logger.info({ url: `http://localhost:${port}/graphql` }, 'marketplace API listening');

  return {
    url: `http://localhost:${port}`,
    port,
    dataSource,
    services,
    logger,
    async stop() {
      clearInterval(pruneTimer);
      await apollo.stop();
      logger.info('HTTP drained');
      await services.fineTuneWorker.stop();
      await services.usageRecorder.stop();
      logger.info('usage recorder flushed');
      await services.rateLimiter.stop();
      await engine.stop();
      logger.info('engine stopped');
      await dataSource.destroy();
      logger.info('database closed');
    },
  };
}
