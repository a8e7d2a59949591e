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

describe('a job cut off by SIGKILL in its body stage (epochs sent in rounds) resumes from a round\'s checkpoint', () => {
  let database: TestDatabase;
  let dataDir: string;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-ft-resume-body-'));
  });
  afterAll(async () => {
    await server?.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const boot = async (port: number) => {
    server = new ServerProcess(port, {
      LOG_LEVEL: 'warn', DATA_DIR: dataDir, ENGINE_WORKERS_PER_DEVICE: '1', FINE_TUNE_LEASE_SECONDS: '2', FINE_TUNE_POLL_MS: '200',
      FINE_TUNE_CHECKPOINT_EVERY_MS: '30',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    });
    await server.start();
    return server;
  };

  it('SIGKILL between body-stage checkpoints, restart: every epoch once, the body resumed from a round\'s last epoch, TRAINING_STEPS = steps', async () => {
    const port = await freePort();
    let s = await boot(port);
    const keys = await s.keys(dataDir);
    const t = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const models = await demoModels(t);
    await subscribe(t, keys.partner, models['review-sentiment'].plans['Scale']);
    // the demo's shipped dataset, which the frozen body cannot separate: 60 head epochs, then 60 of the body
    // stage, 81 steps an epoch at batch 4, so 3 epochs a round (a state kept at epochs 61, 64, 67, ...)
    const listed = await t.graphql(keys.partner, '{ datasets(first: 10) { nodes { id rowCount } } }');
    const dataset = listed.data!.datasets.nodes.find((d: any) => d.rowCount === 360);
    const start = await t.graphql(keys.partner, START_FINE_TUNE, {
      input: { modelId: models['review-sentiment'].id, datasetId: dataset.id, hyperparameters: { epochs: 60, batchSize: 4, seed: 3 } },
    });
    expect(start.data!.startFineTune.userErrors).toEqual([]);
    const id = start.data!.startFineTune.job.id;
    const cut = await waitForJob(t, keys.partner, id, (j) => j.checkpoints.some((c: any) => c.epoch >= 64) || isFinished(j));
    expect(cut.status).toBe('RUNNING');
    await s.kill();
    // the body stage keeps a state at its first epoch and at the end of each round of three
    const bodyKept = cut.checkpoints.map((c: any) => c.epoch).filter((e: number) => e > 60);
    for (const epoch of bodyKept) expect((epoch - 61) % 3).toBe(0);

    s = await boot(port);
    const t2 = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const job = await waitForJob(t2, keys.partner, id, isFinished);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'SUCCEEDED', error: null });
    const resumedAt = Number(job.events.map((e: any) => e.message).find((m: string) => m.startsWith('Resuming from the checkpoint of epoch'))?.match(/epoch (\d+)/)?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(64);
    expect((resumedAt - 61) % 3).toBe(0);
    const epochs = job.epochMetrics.map((m: any) => m.epoch);
    expect(epochs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(job.events.filter((e: any) => e.type === 'METRICS' && e.metrics.epoch).map((e: any) => e.metrics.epoch)).toEqual(epochs);
    // every epoch validated on its own weights: the body stage's validation losses are not repeated a round at a time
    const bodyLosses = job.epochMetrics.filter((m: any) => m.bodyTrained).map((m: any) => m.validationLoss);
    expect(new Set(bodyLosses).size).toBeGreaterThan(bodyLosses.length * 0.9);
    expect(job.trainedSteps).toBe(job.totalSteps);
    const usage = await usageTotals(t2, keys.partner);
    expect(usage.TRAINING_STEPS).toBe(job.totalSteps);
  }, 600_000);
});
