import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDataset, isFinished, START_FINE_TUNE, supportTickets, toJsonl, waitForJob } from '../support/fine-tune-fixtures';
import { freePort, ServerProcess } from '../support/server-process';
import { demoModels, subscribe, usageTotals } from '../support/subscription-fixtures';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * A child server on its own database and data directory, for one describe: `run` starts a job
 * (the partner subscribed to the demo sentiment model, `datasetId` picking its dataset), waits
 * until `cutWhen` holds, SIGKILLs the server, boots it again on the same port and waits for the
 * job to finish. Both the job as it was at the cut and as it ended come back.
 */
type ServerUnderTest = Parameters<typeof createDataset>[0];

function serverAcrossSigkill(tmpPrefix: string) {
  let database: TestDatabase;
  let dataDir: string;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
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

  return async function run(
    datasetId: (t: ServerUnderTest, partner: string) => Promise<string>,
    hyperparameters: Record<string, number>,
    cutWhen: (job: any) => boolean,
  ) {
    const port = await freePort();
    let s = await boot(port);
    const keys = await s.keys(dataDir);
    const t = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const models = await demoModels(t);
    await subscribe(t, keys.partner, models['review-sentiment'].plans['Scale']);
    const start = await t.graphql(keys.partner, START_FINE_TUNE, {
      input: { modelId: models['review-sentiment'].id, datasetId: await datasetId(t, keys.partner), hyperparameters },
    });
    expect(start.data!.startFineTune.userErrors).toEqual([]);
    const id = start.data!.startFineTune.job.id;
    const cut = await waitForJob(t, keys.partner, id, (j) => cutWhen(j) || isFinished(j));
    expect(cut.status).toBe('RUNNING');
    await s.kill();

    s = await boot(port);
    const t2 = { url: s.url, keys, graphql: s.graphql.bind(s) };
    const job = await waitForJob(t2, keys.partner, id, isFinished);
    expect({ status: job.status, error: job.error }).toEqual({ status: 'SUCCEEDED', error: null });
    // every epoch once, across the cut (those after the last checkpoint were run again, and written once), each step billed once
    const epochs = job.epochMetrics.map((m: any) => m.epoch);
    expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, i) => i + 1));
    expect(job.events.filter((e: any) => e.type === 'METRICS' && e.metrics.epoch).map((e: any) => e.metrics.epoch)).toEqual(epochs);
    expect(job.trainedSteps).toBe(job.totalSteps);
    expect((await usageTotals(t2, keys.partner)).TRAINING_STEPS).toBe(job.totalSteps);
    return { cut, job };
  };
}

describe('a fine-tune job cut off by SIGKILL is resumed from its checkpoint at restart, every step billed once', () => {
  const run = serverAcrossSigkill('marketplace-ft-resume-');

  it('SIGKILL mid-job, restart: RUNNING again from the last checkpoint, SUCCEEDED, TRAINING_STEPS = steps', async () => {
    const { job } = await run(
      async (t, partner) => (await createDataset(t, partner, toJsonl(supportTickets(40)))).dataset.id,
      { epochs: 8, batchSize: 4 },
      (j) => j.checkpoints.length >= 2,
    );
    expect(job.attempts).toBe(2);
    const messages = job.events.map((e: any) => e.message);
    expect(messages).toContainEqual(expect.stringMatching(/^Running again \(attempt 2\)/));
    expect(messages).toContainEqual(expect.stringMatching(/^Resuming from the checkpoint of epoch \d+/));
    expect(job.resultVersion.status).toBe('PUBLISHED');
  }, 600_000);
});

describe('a job cut off by SIGKILL in its body stage (epochs sent in rounds) resumes from a round\'s checkpoint', () => {
  const run = serverAcrossSigkill('marketplace-ft-resume-body-');

  it('SIGKILL between body-stage checkpoints, restart: every epoch once, the body resumed from a round\'s last epoch, TRAINING_STEPS = steps', async () => {
    // the demo's shipped dataset, which the frozen body cannot separate: 60 head epochs, then 60 of the body
    // stage, 81 steps an epoch at batch 4, so 3 epochs a round (a state kept at epochs 61, 64, 67, ...)
    const shipped = async (t: ServerUnderTest, partner: string) => {
      const listed = await t.graphql(partner, '{ datasets(first: 10) { nodes { id rowCount } } }');
      return listed.data!.datasets.nodes.find((d: any) => d.rowCount === 360).id;
    };
    const { cut, job } = await run(shipped, { epochs: 60, batchSize: 4, seed: 3 }, (j) => j.checkpoints.some((c: any) => c.epoch >= 64));
    // the body stage keeps a state at its first epoch and at the end of each round of three
    const bodyKept = cut.checkpoints.map((c: any) => c.epoch).filter((e: number) => e > 60);
    for (const epoch of bodyKept) expect((epoch - 61) % 3).toBe(0);
    const resumedAt = Number(job.events.map((e: any) => e.message).find((m: string) => m.startsWith('Resuming from the checkpoint of epoch'))?.match(/epoch (\d+)/)?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(64);
    expect((resumedAt - 61) % 3).toBe(0);
    expect(job.epochMetrics.map((m: any) => m.epoch)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    // every epoch validated on its own weights: the body stage's validation losses are not repeated a round at a time
    const bodyLosses = job.epochMetrics.filter((m: any) => m.bodyTrained).map((m: any) => m.validationLoss);
    expect(new Set(bodyLosses).size).toBeGreaterThan(bodyLosses.length * 0.9);
  }, 600_000);
});
