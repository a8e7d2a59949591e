/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { EnginePool } from '../../../inference/engine/engine.pool';
import type { EngineTensor } from '../../../inference/engine/engine.types';
import type { StepLoopMark, StepLoopResult } from '../../../inference/engine/step-loop';
import { defaultTokenizerSpec } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { SeededRandom } from '../../../inference/model-kit/seeded-random';
import { buildTabularMlp } from '../../../inference/model-kit/tabular-mlp';
import { floatTensor, int64ArrayOf, int64Tensor, numbersOfInt64 } from '../../../inference/model-kit/tensor-values';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';
import { PoolStepRunner } from '../../../inference/training/pool-step-runner';
import { MAX_STEPS_PER_REQUEST, runAllSteps, type StepPlan, type StepRunner } from '../../../inference/training/step-runner';
import { buildTextBodyStep } from '../../../inference/training/text-body-graphs';
import { compactRows } from '../../../inference/training/text-body-trainer';

// A step loop runs training steps back to back in one worker: each step's own feeds, the state
// carried from one step's outputs to the next one's inputs, and a table whose rows the loop
// gathers and writes back. These tests hold it to the plain step-by-step run it replaces.

const dir = mkdtempSync(join(tmpdir(), 'step-loop-'));
const spec = defaultTokenizerSpec({ buckets: 512, sequenceLength: 16 });
const shape = { spec, dim: 16, classes: 3 };
const stepGraph = buildTextBodyStep(shape);

/** `count` steps of batches of 8 random token sequences: feeds as a body step takes them, with the rows' ids. */
function bodySteps(count: number, seed: number): Array<Record<string, EngineTensor>> {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const ids = int64ArrayOf(Array.from({ length: 8 * spec.sequenceLength }, () => random.int(spec.buckets)));
    const { rows, tokenRows } = compactRows(ids);
    return {
      token_rows: { type: 'int64', dims: [8, spec.sequenceLength], data: tokenRows },
      token_weights: floatTensor(Float32Array.from({ length: 8 * spec.sequenceLength }, () => 1 / spec.sequenceLength), [8, spec.sequenceLength]),
      labels: int64Tensor(Array.from({ length: 8 }, () => random.int(shape.classes)), [8]),
      embedding_row_ids: int64Tensor(rows, [rows.length]),
    };
  });
}

function start(seed = 3) {
  const random = new SeededRandom(seed);
  return {
    table: random.normalArray(spec.buckets * shape.dim, 0.3),
    inputs: {
      weight: floatTensor(random.normalArray(shape.dim * shape.classes, 0.1), [shape.dim, shape.classes]),
      bias: floatTensor(new Float32Array(shape.classes), [shape.classes]),
      learning_rate: floatTensor(Float32Array.of(0.5), []),
    } as Record<string, EngineTensor>,
  };
}

const plan = (steps: Array<Record<string, EngineTensor>>, table: Float32Array): StepPlan => ({
  steps, carry: { weight: 'weight_next', bias: 'bias_next' }, report: ['loss', 'accuracy'],
  table: { input: 'embedding_rows', output: 'embedding_rows_next', rowIds: 'embedding_row_ids', dim: shape.dim, data: table },
});

/** The reference: one run per step, the rows gathered and written back here, the head carried by hand. */
async function stepByStep(runner: LocalStepRunner, steps: Array<Record<string, EngineTensor>>, table: Float32Array, inputs: Record<string, EngineTensor>) {
  let head = { weight: inputs.weight, bias: inputs.bias };
  const losses: number[] = [];
  for (const step of steps) {
    const rows = Array.from(numbersOfInt64(step.embedding_row_ids.data as BigInt64Array));
    const gathered = new Float32Array(rows.length * shape.dim);
    rows.forEach((row, i) => gathered.set(table.subarray(row * shape.dim, (row + 1) * shape.dim), i * shape.dim));
    const { embedding_row_ids: _ids, ...feeds } = step;
    const out = await runner.run('step', { ...feeds, embedding_rows: floatTensor(gathered, [rows.length, shape.dim]), ...head, learning_rate: inputs.learning_rate });
    const next = out.embedding_rows_next.data as Float32Array;
    rows.forEach((row, i) => table.set(next.subarray(i * shape.dim, (i + 1) * shape.dim), row * shape.dim));
    head = { weight: out.weight_next, bias: out.bias_next };
    losses.push((out.loss.data as Float32Array)[0]);
  }
  return { table, head, losses };
}

describe('step loops (training steps back to back in one request)', () => {
  const local = new LocalStepRunner().register('step', stepGraph);
  let pool: EnginePool;
  let onPool: PoolStepRunner;
  const mlpPath = join(dir, 'mlp.onnx');
  writeFileSync(mlpPath, buildTabularMlp({ inputSize: 6, hiddenSizes: [16], outputSize: 3, seed: 5 }));
  const mlp = { id: 'mlp', path: mlpPath };
  const features = { features: floatTensor(Float32Array.from({ length: 6 }, (_, i) => i / 6), [1, 6]) };

  beforeAll(async () => {
    pool = await EnginePool.start({ devices: ['cpu'], workersPerDevice: 1, logger: pino({ level: 'silent' }), faultInjection: true });
    onPool = await new PoolStepRunner(pool, join(dir, 'graphs')).register('step', stepGraph);
  });
  afterAll(async () => {
    await local.close();
    await pool?.stop();
  });

  it.each([['in-process', () => local], ['in a worker of the engine pool', () => onPool]] as Array<[string, () => StepRunner]>)(
    'gives the very tensors of step-by-step runs (%s): table rows, head, per-step losses', async (_where, runner) => {
      const steps = bodySteps(12, 7);
      const reference = await stepByStep(local, steps, start().table, start().inputs);
      const { table, inputs } = start();
      const chunks: StepLoopResult[] = [];
      const ran = await runAllSteps(runner(), 'step', inputs, plan(steps, table), { onChunk: (result) => void chunks.push(result) });
      expect(chunks.reduce((n, c) => n + c.stepsDone, 0)).toBe(12);
      expect(Array.from(ran.table!)).toEqual(Array.from(reference.table));
      expect(Array.from(ran.state.weight.data as Float32Array)).toEqual(Array.from(reference.head.weight.data as Float32Array));
      expect(Array.from(ran.state.bias.data as Float32Array)).toEqual(Array.from(reference.head.bias.data as Float32Array));
      expect(chunks.flatMap((c) => Array.from(c.reports.loss))).toEqual(reference.losses.map((l) => Math.fround(l)));
    });

  it('stops at its budget after at least one step, and runAllSteps carries on from there to the same result', async () => {
    const steps = bodySteps(6, 11);
    const whole = await runAllSteps(onPool, 'step', start().inputs, plan(steps, start().table));
    const { table, inputs } = start();
    const sizes: number[] = [];
    const split = await runAllSteps(onPool, 'step', inputs, plan(steps, table), { budgetMs: 0, onChunk: (r, first) => void sizes.push(first, r.stepsDone) });
    expect(sizes).toEqual([0, 1, 1, 1, 2, 1, 3, 1, 4, 1, 5, 1]); // one step a request, each from where the last stopped
    expect(Array.from(split.table!)).toEqual(Array.from(whole.table!));
    expect(Array.from(split.state.weight.data as Float32Array)).toEqual(Array.from(whole.state.weight.data as Float32Array));
  });

  it.each([['one request', undefined], ['a request per step', 0]] as Array<[string, number | undefined]>)(
    'keeps the head and the marked table rows at each mark, as step-by-step runs had them then (%s)', async (_how, budgetMs) => {
      const steps = bodySteps(10, 53);
      const markRows = BigInt64Array.from([0n, 7n, 300n, 511n]);
      const { table, inputs } = start();
      const marks: StepLoopMark[] = [];
      await runAllSteps(onPool, 'step', inputs, { ...plan(steps, table), marks: [3, 7, 10], markRows }, { budgetMs, onChunk: (r) => void marks.push(...r.marks) });
      expect(marks.map((m) => m.steps)).toEqual([3, 7, 10]);
      for (const mark of marks) {
        const reference = await stepByStep(local, steps.slice(0, mark.steps), start().table, start().inputs);
        const rows = Array.from(markRows, (row) => Array.from(reference.table.subarray(Number(row) * shape.dim, (Number(row) + 1) * shape.dim))).flat();
        expect(Array.from(mark.rows!)).toEqual(rows);
        expect(Array.from(mark.state.weight.data as Float32Array)).toEqual(Array.from(reference.head.weight.data as Float32Array));
        expect(mark.at).toBeGreaterThan(Date.now() - 60_000);
      }
      expect(marks[0].rows).not.toEqual(marks[2].rows);
    });

  it('an abort stops a loop running in the worker after its current step; the steps done are reported first', async () => {
    const steps = bodySteps(8000, 13);
    const { table, inputs } = start();
    const controller = new AbortController();
    let reported = 0;
    const t0 = performance.now();
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 50);
    await expect(runAllSteps(onPool, 'step', inputs, plan(steps, table), { budgetMs: 60_000, signal: controller.signal, onChunk: (r) => void (reported += r.stepsDone) }))
      .rejects.toThrow('cancelled by the test');
    const elapsed = performance.now() - t0;
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThan(8000);
    // the whole loop would take about (elapsed / reported) * 8,000 ms: it stopped long before
    expect(elapsed).toBeLessThan(((elapsed / reported) * 8000) / 4);
  });

  it('runs on the device\'s training worker: inference is answered mid-loop by its own worker', async () => {
    await pool.infer(mlp, features); // loaded and warm
    const steps = bodySteps(8000, 17);
    const { table, inputs } = start();
    let loopDone = 0;
    const loop = runAllSteps(onPool, 'step', inputs, plan(steps, table), { budgetMs: 60_000 }).then((r) => ((loopDone = performance.now()), r));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const asked = performance.now();
    await pool.infer(mlp, features);
    const answered = performance.now();
    await loop;
    expect(answered).toBeLessThan(loopDone);
    // waiting for the loop would have taken all of it (seconds): the answer came within a tenth
    expect(answered - asked).toBeLessThan((loopDone - asked) / 10);
    expect(pool.status()[0].workers).toBe(1); // the training worker is not counted among the inference workers
  });

  it('yields when inference queues build up: a loop stops after its step and waits until the queue is served', async () => {
    await pool.infer(mlp, features);
    const steps = bodySteps(4000, 23);
    const { table, inputs } = start();
    const requests: Array<{ stepsDone: number; at: number }> = [];
    const loop = runAllSteps(onPool, 'step', inputs, plan(steps, table), { budgetMs: 60_000, onChunk: (r) => void requests.push({ stepsDone: r.stepsDone, at: performance.now() }) });
    while (requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5)); // loaded and running
    // the one inference worker is held for 300 ms; a first call takes its pipeline slot, a second one queues
    const blocked = pool.injectFault('cpu', 0, { mode: 'block', ms: 300 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = pool.infer(mlp, features);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const queuedAt = performance.now();
    const call = pool.infer(mlp, features).then(() => performance.now());
    await Promise.all([blocked, first]);
    const answeredAt = await call;
    await loop;
    expect(requests.reduce((n, r) => n + r.stepsDone, 0)).toBe(4000);
    // while the call was queued (~250 ms, a full request of 256 steps runs in ~70), at most the request then running came
    // back, stopped short of its window; no other ran until the call was answered. NOTE: not "one stopped short": when the
    // call queued just as a request ended, the next one waited for the queue to be served and none was cut
    const during = requests.filter((r) => r.at > queuedAt && r.at < answeredAt);
    expect(during.length).toBeLessThanOrEqual(1);
    for (const r of during) expect(r.stepsDone).toBeLessThan(MAX_STEPS_PER_REQUEST);
    expect(requests.some((r) => r.at < queuedAt)).toBe(true);
    expect(requests.some((r) => r.at > answeredAt)).toBe(true);
  });

  it('keeps graphs by content: runners share a graph built once per process from the same key', async () => {
    let builds = 0;
    const build = () => (builds++, stepGraph);
    const a = await new PoolStepRunner(pool, join(dir, 'shared')).registerBuilt('s', 'body-step:test', build);
    const b = await new PoolStepRunner(pool, join(dir, 'shared')).registerBuilt('t', 'body-step:test', build);
    const c = await new PoolStepRunner(pool, join(dir, 'shared')).register('u', stepGraph);
    expect(builds).toBe(1);
    const [first] = bodySteps(1, 29);
    const out = await Promise.all([a, b, c].map((runner, i) => runAllSteps(runner, ['s', 't', 'u'][i], start().inputs, plan([first], start().table))));
    expect(Array.from(out[1].table!)).toEqual(Array.from(out[0].table!));
    expect(Array.from(out[2].table!)).toEqual(Array.from(out[0].table!));
    expect(pool.status()[0].loadedModels.filter((m) => m.startsWith('training-graph:')).length).toBe(1); // one session for all three
  });

  it('counts the steps of a loop that reports no output (budget 0: one step a request)', async () => {
    const steps = bodySteps(3, 31);
    const sizes: number[] = [];
    const ran = await runAllSteps(onPool, 'step', start().inputs, { ...plan(steps, start().table), report: [] }, { budgetMs: 0, onChunk: (r) => void sizes.push(r.stepsDone) });
    expect(sizes).toEqual([1, 1, 1]);
    const whole = await runAllSteps(onPool, 'step', start().inputs, plan(steps, start().table));
    expect(Array.from(ran.table!)).toEqual(Array.from(whole.table!));
  });

  it('refuses table rows outside the table, naming who named them: a step\'s row ids, a mark\'s rows', async () => {
    const steps = bodySteps(3, 59);
    const outside = { ...steps[1], embedding_row_ids: int64Tensor([1, spec.buckets + 5], [2]) };
    await expect(runAllSteps(onPool, 'step', start().inputs, plan([steps[0], outside, steps[2]], start().table)))
      .rejects.toThrow(`"embedding_row_ids" names row ${spec.buckets + 5}, outside the table's 0..${spec.buckets - 1}`);
    await expect(runAllSteps(onPool, 'step', start().inputs, { ...plan(steps, start().table), marks: [2], markRows: BigInt64Array.from([3n, -1n]) }))
      .rejects.toThrow(`a mark names row -1, outside the table's 0..${spec.buckets - 1}`);
  });

  it('refuses a loop whose first step does not fit the graph, naming the input', async () => {
    const [step] = bodySteps(1, 19);
    const { table, inputs } = start();
    const { labels: _labels, ...withoutLabels } = step;
    await expect(runAllSteps(onPool, 'step', inputs, plan([withoutLabels], table))).rejects.toThrow(/labels.*missing/);
  });
});

describe('step loops on a CPU device hold for the API\'s calls in flight (EngineConfig.callsInFlight)', () => {
  const calls = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const pools: EnginePool[] = [];
  const runnerOn = async (trainingHoldMaxMs: number) => {
    const pool = await EnginePool.start({ devices: ['cpu'], workersPerDevice: 1, logger: pino({ level: 'silent' }), callsInFlight: calls, trainingHoldMaxMs });
    pools.push(pool);
    return new PoolStepRunner(pool, join(dir, 'held-graphs')).register('step', stepGraph);
  };
  const callStarts = () => Atomics.add(calls, 0, 1);
  const callEnds = () => Atomics.sub(calls, 0, 1) === 1 && Atomics.notify(calls, 0);
  afterEach(() => {
    Atomics.store(calls, 0, 0);
    Atomics.notify(calls, 0);
  });
  afterAll(async () => Promise.all(pools.map((p) => p.stop())));

  it('runs no step while a call is in flight, and carries on as soon as the last one ends', async () => {
    const runner = await runnerOn(60_000);
    const steps = bodySteps(400, 37);
    const { table, inputs } = start();
    const done: number[] = []; // when each step's request came back (budget 0: one step a request)
    const loop = runAllSteps(runner, 'step', inputs, plan(steps, table), { budgetMs: 0, onChunk: () => void done.push(performance.now()) });
    while (done.length < 5) await new Promise((resolve) => setTimeout(resolve, 5)); // loaded and running
    callStarts();
    callStarts();
    const heldAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 150));
    callEnds(); // one of the two calls is still in flight
    await new Promise((resolve) => setTimeout(resolve, 150));
    const releasedAt = performance.now();
    callEnds();
    await loop;
    expect(done.length).toBe(400);
    expect(done.filter((t) => t < heldAt).length).toBeGreaterThan(0);
    // at most the step already running when the calls started came back while they were in flight
    expect(done.filter((t) => t > heldAt + 20 && t < releasedAt).length).toBe(0);
    const resumed = done.find((t) => t > releasedAt)!;
    expect(resumed - releasedAt).toBeLessThan(50);
  });

  it('waits at most trainingHoldMaxMs a step: calls that never end slow training, they do not stop it', async () => {
    const runner = await runnerOn(20);
    await runAllSteps(runner, 'step', start().inputs, plan(bodySteps(1, 41), start().table)); // loaded and warm: the timing below is the hold's
    callStarts();
    const t0 = performance.now();
    const ran = await runAllSteps(runner, 'step', start().inputs, plan(bodySteps(10, 41), start().table));
    const elapsed = performance.now() - t0;
    expect(ran.table).toBeDefined();
    expect(elapsed).toBeGreaterThanOrEqual(10 * 20 - 5);
    expect(elapsed).toBeLessThan(10 * 20 + 500);
  });

  it('a cancel is seen while the loop is held, within a few milliseconds', async () => {
    const runner = await runnerOn(60_000);
    const steps = bodySteps(2000, 43);
    const controller = new AbortController();
    let reported = 0;
    const loop = runAllSteps(runner, 'step', start().inputs, plan(steps, start().table), { budgetMs: 5, signal: controller.signal, onChunk: (r) => void (reported += r.stepsDone) });
    while (reported === 0) await new Promise((resolve) => setTimeout(resolve, 5)); // loaded and running
    callStarts();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cancelledAt = performance.now();
    controller.abort(new Error('cancelled while held'));
    await expect(loop).rejects.toThrow('cancelled while held');
    expect(performance.now() - cancelledAt).toBeLessThan(200);
  });
});

describe('int64 arrays without a BigInt per value', () => {
  it('writes and reads small non-negative values through the low words, and any other value exactly', () => {
    expect(Array.from(int64ArrayOf([0, 5, 2 ** 31 - 1, -3, 2 ** 40]))).toEqual([0n, 5n, 2n ** 31n - 1n, -3n, 2n ** 40n]);
    expect(Array.from(numbersOfInt64(BigInt64Array.from([0n, 7n, 2n ** 31n - 1n])))).toEqual([0, 7, 2 ** 31 - 1]);
    expect(Array.from(numbersOfInt64(BigInt64Array.from([1n, -5n, 2n ** 40n])))).toEqual([1, -5, 2 ** 40]);
    const view = BigInt64Array.from([9n, 4n, 6n]).subarray(1);
    expect(Array.from(numbersOfInt64(view))).toEqual([4, 6]);
  });
});
