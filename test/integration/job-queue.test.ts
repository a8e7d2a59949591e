import { startTestServer, TestServer } from '../support/test-server';

/** Resolves when `check` is true, polling every 50 ms; fails after `ms`. */
async function eventually(check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('background jobs (pg-boss on the server\'s database)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ seed: false });
  });
  afterAll(async () => t?.stop());

  it('runs each sent job once, with its data', async () => {
    const seen: number[] = [];
    await t.server.services.jobs.work<{ n: number }>('test-echo', { pollingIntervalSeconds: 0.5 }, async (job) => {
      seen.push(job.data.n);
    });
    for (const n of [1, 2, 3]) await t.server.services.jobs.send('test-echo', { n });
    await eventually(() => seen.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(seen.sort()).toEqual([1, 2, 3]);
  });

  it('keeps one queued job per singleton key on a stately queue', async () => {
    t.server.services.jobs.define('test-singleton', { policy: 'stately' });
    const first = await t.server.services.jobs.send('test-singleton', { n: 1 }, { singletonKey: 'period-2026-11', startAfter: 3600 });
    const second = await t.server.services.jobs.send('test-singleton', { n: 2 }, { singletonKey: 'period-2026-11', startAfter: 3600 });
    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
    expect(await t.server.services.jobs.send('test-singleton', { n: 3 }, { singletonKey: 'period-2026-12', startAfter: 3600 })).toEqual(expect.any(String));
  });

  it('retries a job whose handler failed, telling it the attempt', async () => {
    const attempts: number[] = [];
    await t.server.services.jobs.work<{ n: number }>('test-retry', { pollingIntervalSeconds: 0.5 }, async (job) => {
      attempts.push(job.retryCount);
      if (job.retryCount === 0) throw new Error('the first attempt fails');
    });
    await t.server.services.jobs.send('test-retry', { n: 1 }, { retryLimit: 2, retryDelay: 1 });
    await eventually(() => attempts.length === 2);
    expect(attempts).toEqual([0, 1]);
  });

  it('stores a cron schedule once, however often it is set', async () => {
    await t.server.services.jobs.schedule('test-cron', '5 0 1 * *', { kind: 'monthly' });
    await t.server.services.jobs.schedule('test-cron', '5 0 1 * *', { kind: 'monthly' });
    const rows = await t.server.dataSource.query(`SELECT name, cron, timezone FROM pgboss.schedule WHERE name = 'test-cron'`);
    expect(rows).toEqual([{ name: 'test-cron', cron: '5 0 1 * *', timezone: 'UTC' }]);
  });
});
