import 'reflect-metadata';
import { startApp } from './app';
import { configFromEnv } from './config';

/** `npm start`: the API on PORT (4000), on DATABASE_URL or the embedded database, demo seeded. */
async function main(): Promise<void> {
  const server = await startApp(configFromEnv());
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    await server.stop();
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
