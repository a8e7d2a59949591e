import 'reflect-metadata';
import path from 'node:path';
import { configFromEnv } from './config';
import { seedDemo } from './seed/demo-seed';
import { startServer } from './server';

/** `npm start`: the API on PORT (4000), on DATABASE_URL or the embedded database, demo seeded. */
async function main(): Promise<void> {
  const config = configFromEnv();
  // NOTE: /health/ready stays 503 until the demo seed has written its keys file.
  const server = await startServer(config, { holdReadyFor: config.seedDemo ? ['demo seed'] : [] });
  if (config.seedDemo) {
    const keys = await server.startup.run('demo seed', () => seedDemo(server, config.dataDir));
    if (keys) {
      server.logger.info({ keysFile: path.join(config.dataDir, 'demo-keys.json') }, 'demo data seeded');
      console.log(`\nDemo API keys (also in ${path.join(config.dataDir, 'demo-keys.json')}):\n${JSON.stringify(keys, null, 2)}\n`);
    } else {
      server.logger.info('database already has data; demo seed skipped');
    }
  }
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
