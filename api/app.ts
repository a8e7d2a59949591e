import path from 'node:path';
import { AppConfig } from './config';
import { seedDemo } from './seed/demo-seed';
import { AppServer, startServer } from './server';

/**
 * What `npm start` runs: the server, then (with SEED_DEMO, the default) the demo seed on an empty
 * database, its keys printed once and written to `<DATA_DIR>/demo-keys.json`.
 * NOTE: /health/ready stays 503 until the demo seed has written its keys file.
 */
export async function startApp(config: AppConfig): Promise<AppServer> {
  const server = await startServer(config, { holdReadyFor: config.seedDemo ? ['demo seed'] : [] });
  if (!config.seedDemo) return server;
  const keysFile = path.join(config.dataDir, 'demo-keys.json');
  const keys = await server.startup.run('demo seed', () => seedDemo(server, config.dataDir));
  if (keys) {
    server.logger.info({ keysFile }, 'demo data seeded');
    console.log(`\nDemo API keys (also in ${keysFile}):\n${JSON.stringify(keys, null, 2)}\n`);
  } else {
    server.logger.info('database already has data; demo seed skipped');
  }
  return server;
}
