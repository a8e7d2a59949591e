import 'reflect-metadata';
import { buildDemoModels } from './inference';
import { startTestServer } from './test/support/test-server';
(async () => {
  let t = Date.now();
  buildDemoModels(); console.log('models', Date.now() - t); t = Date.now();
  const s = await startTestServer({ seed: false, env: { LOG_LEVEL: 'info' } }); console.log('server', Date.now() - t); t = Date.now();
  const { seedDemo } = await import('./api/seed/demo-seed');
  await seedDemo(s.server, s.dataDir); console.log('seed', Date.now() - t); t = Date.now();
  await s.stop(); console.log('stop', Date.now() - t);
  process.exit(0);
})();
