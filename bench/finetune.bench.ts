import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildDemoModels, buildTextBodyStep, PoolStepRunner, readTextModelBodyOrThrow, SeededRandom, TextBodyTrainer, tokenizedSet } from '../inference';
import { configFromEnv } from '../api/config';
import { seedDemo } from '../api/seed/demo-seed';
import { startServer } from '../api/server';
import { loadShippedDataset } from '../api/seed/data/shipped-datasets';
import { isFinished, START_FINE_TUNE, waitForJob } from '../test/support/fine-tune-fixtures';
import { demoModels, RUN_INFERENCE, subscribe } from '../test/support/subscription-fixtures';
import { createDatabaseOn } from '../test/support/test-database';
import { graphqlAt } from '../test/support/test-server';
import { percentile, type BenchSuite } from './bench-suite';

// Fine-tuning suite, on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres;
// a database of its own is created and dropped). One server: runInference at a steady light load
// (open loop, LOAD_RPS calls a second) with no job, then while a job trains on the same pool; the
// job's steps against the same step graph run back to back in one worker; the accuracy it gains
// on the shipped dataset (support-ticket-tone.jsonl, the dataset the demo seeds for Contoso).

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LOAD_RPS = 20;
const IDLE_SECONDS = 8;
const BATCH = 8;

const TEXTS = ['The hotel room was spotless', 'Overpriced, noisy and slow, I returned it', 'Five stars, it does exactly what it promises', 'It broke after a day'];

/** runInference at `rps` calls a second (open loop) until `until()`; the calls' latencies (ms). */
async function steadyLoad(url: string, key: string, modelId: string, rps: number, until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  let i = 0;
  const t0 = performance.now();
  while (!until()) {
    const due = t0 + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const text = TEXTS[i++ % TEXTS.length];
    const started = performance.now();
    inFlight.push(graphqlAt(url, key, RUN_INFERENCE, { input: { modelId, texts: [text] } }).then((res) => {
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      latencies.push(performance.now() - started);
    }));
  }
  await Promise.all(inFlight);
  return latencies;
}

export const benchSuite: BenchSuite = {
  name: 'finetune',
  description: 'fine-tune job steps vs the step graph back to back, inference p95 while training vs idle, accuracy gain',
  async run() {
    const database = await createDatabaseOn(SERVER_URL, `bench_finetune_${process.pid}`);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-finetune-'));
    const server = await startServer(configFromEnv({ LOG_LEVEL: 'error', PORT: '0', DATA_DIR: dataDir, DATABASE_URL: database.url, NODE_ENV: 'production', FINE_TUNE_POLL_MS: '200' }));
    try {
      const keys = (await seedDemo(server, dataDir))!;
      const t = { url: server.url, keys, graphql: <T = Record<string, any>>(k: string | null, q: string, v?: Record<string, unknown>) => graphqlAt<T>(server.url, k, q, v) };
      const models = await demoModels(t);
      const sentiment = models['review-sentiment'].id;
      await subscribe(t, keys.partner, models['review-sentiment'].plans['Scale']);
      const seeded = await t.graphql(keys.partner, '{ datasets(first: 1) { nodes { id rowCount } } }');
      const dataset = seeded.data!.datasets.nodes[0];
      const shipped = loadShippedDataset('support-ticket-tone');
      if (!dataset || dataset.rowCount !== shipped.rows.length) throw new Error(`the demo seed gave Contoso no dataset of the shipped rows: ${JSON.stringify(seeded)}`);
      await steadyLoad(server.url, keys.partner, sentiment, LOAD_RPS, (() => { const end = performance.now() + 2000; return () => performance.now() > end; })()); // warm-up

      const idleEnd = performance.now() + IDLE_SECONDS * 1000;
      const idle = await steadyLoad(server.url, keys.partner, sentiment, LOAD_RPS, () => performance.now() > idleEnd);

      const start = await t.graphql(keys.partner, START_FINE_TUNE, { input: { modelId: sentiment, datasetId: dataset.id, hyperparameters: { epochs: 6, batchSize: BATCH, seed: 1 } } });
      const jobId = start.data!.startFineTune.job.id;
      let finished = false;
      const watching = waitForJob(t, keys.partner, jobId, isFinished, 600_000).then((job) => ((finished = true), job));
      const training = await steadyLoad(server.url, keys.partner, sentiment, LOAD_RPS, () => finished);
      const job = await watching;
      if (job.status !== 'SUCCEEDED') throw new Error(`the job ended ${job.status}: ${JSON.stringify(job.error)}`);

      // the job's own steps/s over its body-and-head stage (or its head stage when that sufficed)
      const epochs = job.events.filter((e: any) => e.type === 'METRICS' && e.metrics.epoch);
      const bodyEpochs = epochs.filter((e: any) => e.metrics.body_trained === 1);
      const [from, to] = bodyEpochs.length >= 2 ? [bodyEpochs[0], bodyEpochs.at(-1)] : [epochs[0], epochs.at(-1)];
      const jobStepsPerS = (to.metrics.step - from.metrics.step) / ((Date.parse(to.at) - Date.parse(from.at)) / 1000);

      // the same step graph back to back in one worker, same batch, no inference: the body trainer's
      // own steps (a one-batch set, so an epoch is one step; no validation, no callbacks)
      const body = readTextModelBodyOrThrow(buildDemoModels().find((m) => m.key === 'review-sentiment')!.onnx);
      const runner = new PoolStepRunner(server.services.engine, path.join(dataDir, 'bench-steps'), 'bench-steps');
      const shape = { spec: body.spec, dim: body.embeddingDim, classes: shipped.labels.length };
      await runner.register('step', buildTextBodyStep(shape));
      const trainer = new TextBodyTrainer(runner, { step: 'step', evaluate: 'step' }, shape);
      const rows = shipped.rows.slice(0, BATCH);
      const set = tokenizedSet(rows.map((r) => r.text), rows.map((r) => shipped.labels.indexOf(r.label)), body.spec);
      const initial = { embedding: body.embedding, head: { weight: new SeededRandom(1).normalArray(body.embeddingDim * shape.classes, 0.01), bias: new Float32Array(shape.classes) } };
      const backToBack = (steps: number) => trainer.train(set, { firstEpoch: 1, lastEpoch: steps, batchSize: BATCH, learningRate: 4, seed: 1, initial });
      await backToBack(10);
      const steps = 200;
      const s0 = performance.now();
      await backToBack(steps);
      const limitStepsPerS = steps / ((performance.now() - s0) / 1000);
      await runner.close();

      const p95Idle = percentile(idle, 95);
      const p95Training = percentile(training, 95);
      const tuned = job.events.filter((e: any) => e.metrics?.valid_accuracy !== undefined && e.metrics?.epoch === undefined).at(-1).metrics.valid_accuracy;
      const base = job.baseline.validationAccuracy;
      const result = {
        steps_per_s: round(jobStepsPerS), limit_steps_per_s: round(limitStepsPerS), step_vs_limit: round(jobStepsPerS / limitStepsPerS),
        inference_p95_idle_ms: round(p95Idle), inference_p95_training_ms: round(p95Training), inference_p95_during_training_vs_idle: round(p95Training / p95Idle),
        base_validation_accuracy: round(base), tuned_validation_accuracy: round(tuned), accuracy_gain_points: round((tuned - base) * 100),
        job_steps: job.totalSteps, calls_idle: idle.length, calls_training: training.length,
      };
      return {
        title: `Fine-tuning: job steps vs the step graph back to back; runInference at ${LOAD_RPS}/s while training vs idle; accuracy gained (shipped support-ticket-tone dataset)`,
        rows: [
          { measure: 'job steps/s (body + head stage)', value: result.steps_per_s, target: '' },
          { measure: 'same step graph back to back, one worker', value: result.limit_steps_per_s, target: '' },
          { measure: 'step_vs_limit', value: result.step_vs_limit, target: '>= 0.8' },
          { measure: 'runInference p95 idle (ms)', value: result.inference_p95_idle_ms, target: '' },
          { measure: 'runInference p95 while training (ms)', value: result.inference_p95_training_ms, target: '' },
          { measure: 'inference_p95_during_training_vs_idle', value: result.inference_p95_during_training_vs_idle, target: '<= 1.5' },
          { measure: 'base model validation accuracy', value: result.base_validation_accuracy, target: '' },
          { measure: 'tuned validation accuracy', value: result.tuned_validation_accuracy, target: '' },
          { measure: 'accuracy_gain_points', value: result.accuracy_gain_points, target: '>= 15' },
        ],
        notes: [`${job.totalSteps} steps in the job; ${idle.length} calls idle, ${training.length} while training`],
        result,
      };
    } finally {
      await server.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
