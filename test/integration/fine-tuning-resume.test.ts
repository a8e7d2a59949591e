import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDataset, isFinished, START_FINE_TUNE, supportTickets, toJsonl, waitForJob } from '../support/fine-tune-fixtures';
import { freePort, ServerProcess } from '../support/server-process';
import { demoModels, subscribe, usageTotals } from '../support/subscription-fixtures';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('a fine-tune job cut off by SIGKILL is resumed from its checkpoint at restart, every step billed once', () => {
  let database: TestDatabase;
  let dataDir: string;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-ft-resume-'));
  });
  afterAll(async () => {
    await server?.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const boot = async (port: number) => {
    server = new ServerProcess(port, {
      LOG_LEVEL: 'warn', DATA_DIR: dataDir, ENGINE_WORKERS_PER_DEVICE: '1', FINE_TUNE_LEASE_SECONDS: '2', FINE_TUNE_POLL_MS: '200',
      // NOTE: epochs here take milliseconds: a checkpoint every 30 ms keeps some, skips others, as a real job's seconds apart do
      FINE_TUNE_CHECKPOINT_EVERY_MS: '30',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    await server.start();
    return server;
  };

  it('SIGKILL mid-job, restart: RUNNING again from the last checkpoint, SUCCEEDED, TRAINING_STEPS = steps', async () => {
    const port = await freePort();
    let s = await boot(port);
    const keys = await s.keys(dataDir);
    const t = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const models = await demoModels(t);
    await subscribe(t, keys.partner, models['review-sentiment'].plans['Scale']);
    const created = await createDataset(t, keys.partner, toJsonl(supportTickets(40)));
    const start = await t.graphql(keys.partner, START_FINE_TUNE, {
      input: { modelId: models['review-sentiment'].id, datasetId: created.dataset.id, hyperparameters: { epochs: 8, batchSize: 4 } },
    });
    const id = start.data!.startFineTune.job.id;
    const cut = await waitForJob(t, keys.partner, id, (j) => j.checkpoints.length >= 2 || isFinished(j));
    expect(cut.status).toBe('RUNNING');
    await s.kill();

    s = await boot(port);
    const t2 = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const job = await waitForJob(t2, keys.partner, id, isFinished);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(job.attempts).toBe(2);
    const messages = job.events.map((e: any) => e.message);
    expect(messages).toContainEqual(expect.stringMatching(/^Running again \(attempt 2\)/));
    expect(messages).toContainEqual(expect.stringMatching(/^Resuming from the checkpoint of epoch \d+/));
    // every epoch once, across the cut (those after the last checkpoint were run again, and written once)
    const epochs = job.epochMetrics.map((m: any) => m.epoch);
    expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, i) => i + 1));
    expect(job.events.filter((e: any) => e.type === 'METRICS' && e.metrics.epoch).map((e: any) => e.metrics.epoch)).toEqual(epochs);
    expect(job.trainedSteps).toBe(job.totalSteps);
    const usage = await usageTotals(t2, keys.partner);
    expect(usage.TRAINING_STEPS).toBe(job.totalSteps);
    expect(job.resultVersion.status).toBe('PUBLISHED');
  }, 600_000);
});
