import 'reflect-metadata';
import { startApp } from './app';
import { configFromEnv } from './config';

/** `npm start`: the API on PORT (4000), on DATABASE_URL or the embedded database, demo seeded. */
async function main(): Promise<void> {
  const config = configFromEnv();
  const server = await startApp(config);
  let stopping = false;
  // NOTE: the first signal drains (new requests get 503, calls in flight answer, usage is
  // flushed) within SHUTDOWN_GRACE_MS; a second signal, or the end of the grace period, forces it.
  const shutdown = async (signal: string) => {
    if (stopping) {
      server.logger.warn({ signal }, 'second signal: stopping now, without waiting for calls in flight');
      process.exit(1);
    }
    stopping = true;
    server.logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    setTimeout(() => {
      server.logger.error({ graceMs: config.shutdownGraceMs }, 'the grace period ended before the server stopped; stopping now');
      process.exit(1);
    }, config.shutdownGraceMs + 1_000).unref();
    try {
      await server.stop();
    } catch (error) {
      server.logger.error({ err: error }, 'the server did not stop cleanly');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  console.error('the server could not start:', error instanceof Error ? error.message : error);
  if (process.env.LOG_LEVEL === 'debug') console.error(error);
  process.exit(1);
});
