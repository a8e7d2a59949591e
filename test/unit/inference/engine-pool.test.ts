import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { EnginePool } from '../../../inference/engine/engine.pool';
import type { EngineMetricsListener } from '../../../inference/engine/engine.metrics';
import type { EngineTensor, ModelRef } from '../../../inference/engine/engine.types';
import { OnnxGraphBuilder } from '../../../inference/model-kit/onnx-graph-builder';
import { buildTabularMlp } from '../../../inference/model-kit/tabular-mlp';

const dir = mkdtempSync(join(tmpdir(), 'engine-pool-'));
function modelFile(name: string, bytes: Uint8Array): string {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, bytes);
  return path;
}

/** x float32 [batch, n] -> y = sum over n, [batch, 1]: a model with a dynamic non-batch dim. */
function rowSumModel(): Uint8Array {
  const g = new OnnxGraphBuilder('row_sum');
  g.input('x', 'float32', ['batch', 'n']);
  g.op('ReduceSum', ['x', g.int64s('axes', [1], [1])], { keepdims: 1 }, 'y');
  g.output('y', 'float32', ['batch', 1]);
  return g.toBytes();
}

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

function recordBatches() {
  const sizes: Array<{ model: string; size: number }> = [];
  const metrics: EngineMetricsListener = {
    queueLength: () => undefined,
    batch: (labels, size) => void sizes.push({ model: labels.model, size }),
    request: () => undefined,
  };
  return { metrics, sizes };
}

const mlpOptions = { inputSize: 6, hiddenSizes: [16], outputSize: 3, seed: 5 };
const mlp: ModelRef = { id: 'mlp-v1', path: modelFile('mlp', buildTabularMlp(mlpOptions)), maxQueueDelayMs: 5 };
const fixed: ModelRef = { id: 'fixed-v1', path: modelFile('fixed', buildTabularMlp({ ...mlpOptions, batch: 1 })) };
const rowSum: ModelRef = { id: 'rowsum-v1', path: modelFile('rowsum', rowSumModel()), maxQueueDelayMs: 5 };

function features(rows: number, seed: number): EngineTensor {
  const data = Float32Array.from({ length: rows * 6 }, (_, i) => Math.sin(seed * 7.1 + i * 0.37) * 3);
  return { type: 'float32', dims: [rows, 6], data };
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('EnginePool (cpu, one worker)', () => {
  let pool: EnginePool;
  const { logger, lines } = captureLogs();
  const { metrics, sizes } = recordBatches();

  beforeAll(async () => {
    pool = await EnginePool.start({ devices: ['cpu'], workersPerDevice: 1, logger, metrics, faultInjection: true });
  });
  afterAll(() => pool.stop());

  it('loads a model once for concurrent first requests', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.infer(mlp, { features: features(1, i) })));
    expect(results.every((r) => r.outputs.scores.dims[0] === 1)).toBe(true);
    expect(lines.filter((l) => l.msg === 'model loaded' && l.model === 'mlp-v1')).toHaveLength(1);
    expect(pool.status()[0].loadedModels).toContain('mlp-v1');
  });

  it('reports the signature of the loaded session', async () => {
    expect(await pool.signature(mlp)).toEqual({
      inputs: [{ name: 'features', type: 'float32', shape: ['batch', 6] }],
      outputs: [{ name: 'scores', type: 'float32', shape: ['batch', 3] }],
    });
  });

  it('batches concurrent requests and gives the same answers as unbatched runs (1e-5)', async () => {
    const inputs = Array.from({ length: 24 }, (_, i) => features(1 + (i % 3), i));
    const batched = await Promise.all(inputs.map((x) => pool.infer(mlp, { features: x })));
    expect(Math.max(...batched.map((r) => r.batchSize))).toBeGreaterThan(1);
    for (let i = 0; i < inputs.length; i++) {
      const alone = await pool.run(mlp, { features: inputs[i] });
      const [a, b] = [batched[i].outputs.scores, alone.outputs.scores];
      expect(a.data).toBeInstanceOf(Float32Array); // a typed array of the caller's realm (jest's sandbox too)
      expect(b.data).toBeInstanceOf(Float32Array);
      expect(a.dims).toEqual([inputs[i].dims[0], 3]);
      expect(b.dims).toEqual(a.dims);
      for (let k = 0; k < a.data.length; k++) expect(Math.abs((a.data[k] as number) - (b.data[k] as number))).toBeLessThan(1e-5);
    }
  });

  it('sizes batches by recent demand: a returning closed loop runs as full batches, at once', async () => {
    // a long queue delay: a batch that waited for it would show in the latency
    const patient: ModelRef = { ...mlp, id: 'mlp-patient', maxQueueDelayMs: 300 };
    await pool.infer(patient, { features: features(1, 0) });
    const before = sizes.length;
    const clients = 8;
    const rounds: number[] = [];
    for (let round = 0; round < 6; round++) {
      const t0 = Date.now();
      await Promise.all(Array.from({ length: clients }, (_, i) => pool.infer(patient, { features: features(1, round * clients + i) })));
      rounds.push(Date.now() - t0);
    }
    const batches = sizes.slice(before).filter((s) => s.model === 'mlp-patient').map((s) => s.size);
    // the first burst may go out as a sliver plus the rest; from then on each round is one batch
    expect(batches.slice(-4)).toEqual([clients, clients, clients, clients]);
    expect(Math.max(...rounds.slice(2))).toBeLessThan(150);

    // once the burst has passed, a lone request no longer waits for company
    await new Promise((resolve) => setTimeout(resolve, 700));
    const t0 = Date.now();
    const lone = await pool.infer(patient, { features: features(1, 99) });
    expect(lone.batchSize).toBe(1);
    expect(Date.now() - t0).toBeLessThan(150);
  });

  it('stacks only requests whose non-batch dims agree', async () => {
    const row = (n: number, v: number): EngineTensor => ({ type: 'float32', dims: [1, n], data: new Float32Array(n).fill(v) });
    const before = sizes.length;
    const requests = [3, 5, 3, 5, 3, 5, 3, 5].map((n, i) => pool.infer(rowSum, { x: row(n, i) }));
    const results = await Promise.all(requests);
    results.forEach((r, i) => expect(r.outputs.y.data[0]).toBeCloseTo([3, 5][i % 2] * i, 4));
    const batches = sizes.slice(before).filter((s) => s.model === 'rowsum-v1');
    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(8);
    expect(Math.max(...batches.map((b) => b.size))).toBeLessThanOrEqual(4);
  });

  it('runs a model with a fixed batch dimension request by request', async () => {
    const before = sizes.length;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.infer(fixed, { features: features(1, i) })));
    expect(results.map((r) => r.batchSize)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(sizes.slice(before).filter((s) => s.model === 'fixed-v1').map((s) => s.size)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  const good = () => features(1, 1);
  it.each<[string, Record<string, EngineTensor>, RegExp]>([
    ['missing input', {}, /input "features" .*is missing/],
    ['unknown input', { features: good(), extra: good() }, /input "extra" .*is not an input of the model/],
    ['dtype mismatch', { features: { type: 'int32', dims: [1, 6], data: new Int32Array(6) } }, /"features".*type int32 does not match the model's float32/],
    ['data of another type', { features: { type: 'float32', dims: [1, 6], data: new Int32Array(6) as never } }, /"features".*must be a Float32Array, got Int32Array/],
    ['rank mismatch', { features: { type: 'float32', dims: [6], data: new Float32Array(6) } }, /"features".*rank 1 does not match the model's rank 2/],
    ['fixed dim mismatch', { features: { type: 'float32', dims: [1, 5], data: new Float32Array(5) } }, /"features".*dimension 1 is 5 but the model fixes it at 6/],
    ['data length', { features: { type: 'float32', dims: [2, 6], data: new Float32Array(6) } }, /"features".*data has 6 elements but dims \[2, 6\] need 12/],
    ['NaN', { features: { type: 'float32', dims: [1, 6], data: Float32Array.of(0, 1, NaN, 0, 0, 0) } }, /"features".*element 2 is NaN/],
    ['Infinity', { features: { type: 'float32', dims: [1, 6], data: Float32Array.of(0, 1, 2, Infinity, 0, 0) } }, /"features".*element 3 is Infinity/],
  ])('rejects %s with BAD_USER_INPUT naming the input', async (_kind, inputs, message) => {
    const before = sizes.length;
    const error = await rejection(pool.infer(mlp, inputs));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(message);
    expect(sizes.length).toBe(before);
  });

  it('answers OVERLOADED when the queue is full, and serves the rest', async () => {
    const small: ModelRef = { ...mlp, id: 'mlp-overload', maxBatchSize: 1 };
    await pool.infer(small, { features: good() });
    const limited = await EnginePool.start({ devices: ['cpu'], workersPerDevice: 1, maxQueueLength: 2, faultInjection: true, logger: pino({ level: 'silent' }) });
    try {
      await limited.infer(small, { features: good() });
      const blocked = limited.injectFault('cpu', 0, { mode: 'block', ms: 300 });
      const pending = Array.from({ length: 6 }, (_, i) => limited.infer(small, { features: features(1, i) }));
      await new Promise((r) => setTimeout(r, 50));
      expect(limited.status()[0].queued).toBeGreaterThan(0);
      const settled = await Promise.allSettled(pending);
      await blocked;
      const codes = settled.map((s) => (s.status === 'rejected' ? (s.reason as { code: string }).code : 'ok'));
      expect(codes.filter((c) => c === 'OVERLOADED').length).toBeGreaterThan(0);
      expect(codes.filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(2);
      expect(codes.every((c) => c === 'ok' || c === 'OVERLOADED')).toBe(true);
    } finally {
      await limited.stop();
    }
  });

  it('fails a request whose deadline passes in the queue with DEADLINE_EXCEEDED, without running it', async () => {
    const late: ModelRef = { ...mlp, id: 'mlp-deadline' };
    await pool.infer(late, { features: good() });
    const before = sizes.filter((s) => s.model === 'mlp-deadline').length;
    const blocked = pool.injectFault('cpu', 0, { mode: 'block', ms: 300 });
    const error = rejection(pool.infer(late, { features: good() }, { deadline: Date.now() + 100 }));
    await blocked;
    expect(await error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(sizes.filter((s) => s.model === 'mlp-deadline').length).toBe(before);
    expect(await rejection(pool.infer(late, { features: good() }, { deadline: Date.now() - 1 }))).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('fails a model that cannot load with MODEL_LOAD_FAILED and the reason, and retries later', async () => {
    const path = join(dir, 'later.onnx');
    writeFileSync(path, Buffer.from('not an onnx file'));
    const ref: ModelRef = { id: 'later-v1', path };
    const error = await rejection(pool.infer(ref, { features: good() }));
    expect(error.code).toBe('MODEL_LOAD_FAILED');
    expect(error.message).toMatch(/[Pp]rotobuf parsing failed/);
    expect(await rejection(pool.infer({ id: 'gone', path: join(dir, 'missing.onnx') }, {}))).toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringMatching(/cannot read model file .*missing\.onnx/),
    });
    writeFileSync(path, buildTabularMlp(mlpOptions));
    expect((await pool.infer(ref, { features: good() })).outputs.scores.dims).toEqual([1, 3]);
  });

  it('runs unbatched graphs by path and keeps the session cached', async () => {
    const first = await pool.run(mlp.path, { features: good() });
    await pool.run(mlp.path, { features: good() });
    expect(first.outputs.scores.dims).toEqual([1, 3]);
    expect(lines.filter((l) => l.msg === 'model loaded' && l.model === mlp.path)).toHaveLength(1);
  });
});

describe('EnginePool transfer, metrics and unload', () => {
  it('copies inputs by default, transfers them with transferInputs, and reports prom-client metrics', async () => {
    const registry = new Registry();
    const pool = await EnginePool.start({ workersPerDevice: 1, registry, logger: pino({ level: 'silent' }) });
    try {
      const kept = features(2, 1);
      await pool.infer(mlp, { features: kept });
      expect(kept.data.length).toBe(12);
      const moved = features(2, 1);
      const result = await pool.infer(mlp, { features: moved }, { transferInputs: true });
      expect(moved.data.length).toBe(0); // detached: the buffer went to the worker
      expect(result.outputs.scores.dims).toEqual([2, 3]);
      const text = await registry.metrics();
      expect(text).toMatch(/engine_batch_size_count\{device="cpu",model="mlp-v1"\} 2/);
      expect(text).toMatch(/engine_queue_seconds_count\{device="cpu",model="mlp-v1"\} 2/);
      expect(text).toMatch(/engine_compute_seconds_sum\{device="cpu",model="mlp-v1"\} [0-9.e-]+/);
      expect(text).toMatch(/engine_queue_length\{device="cpu",model="mlp-v1"\} 0/);
    } finally {
      await pool.stop();
    }
  });

  it('unloads a model on request and reloads it on the next use', async () => {
    const { logger, lines } = captureLogs();
    const pool = await EnginePool.start({ workersPerDevice: 1, logger });
    try {
      await pool.infer(mlp, { features: features(1, 0) });
      expect(await pool.unload(mlp.id)).toBe(true);
      expect(pool.status()[0].loadedModels).toEqual([]);
      expect(await pool.unload(mlp.id)).toBe(false);
      await pool.infer(mlp, { features: features(1, 0) });
      expect(lines.filter((l) => l.msg === 'model loaded')).toHaveLength(2);
    } finally {
      await pool.stop();
    }
  });
});

describe('EnginePool eviction and shutdown', () => {
  it('evicts the least-recently-used model under the device memory budget', async () => {
    const paths = ['a', 'b', 'c'].map((n, i) => modelFile(`lru-${n}`, buildTabularMlp({ ...mlpOptions, seed: 10 + i })));
    const size = buildTabularMlp({ ...mlpOptions, seed: 10 }).length;
    const { logger, lines } = captureLogs();
    const pool = await EnginePool.start({ workersPerDevice: 1, memoryFactor: 1, deviceMemoryBytes: size * 2.5, logger });
    try {
      const [a, b, c] = paths.map((path, i) => ({ id: `lru-${i}`, path }));
      const x = { features: features(1, 3) };
      await pool.infer(a, x);
      await pool.infer(b, x);
      await pool.infer(a, x);
      await pool.infer(c, x);
      expect(pool.status()[0].loadedModels.sort()).toEqual(['lru-0', 'lru-2']);
      expect(lines.filter((l) => l.msg === 'model evicted (least recently used)').map((l) => l.model)).toEqual(['lru-1']);
      await pool.infer(b, x);
      expect(pool.status()[0].loadedModels.sort()).toEqual(['lru-1', 'lru-2']);
    } finally {
      await pool.stop();
    }
  });

  it('stops gracefully: queued requests are answered, new ones refused', async () => {
    const pool = await EnginePool.start({ workersPerDevice: 1, faultInjection: true, logger: pino({ level: 'silent' }) });
    await pool.infer(mlp, { features: features(1, 0) });
    const blocked = pool.injectFault('cpu', 0, { mode: 'block', ms: 200 }).catch((e: Error) => e);
    const queued = Array.from({ length: 5 }, (_, i) => pool.infer(mlp, { features: features(1, i) }));
    const stopped = pool.stop();
    expect(await rejection(pool.infer(mlp, { features: features(1, 0) }))).toMatchObject({ code: 'SHUTTING_DOWN' });
    const results = await Promise.all(queued);
    expect(results.map((r) => r.outputs.scores.dims)).toEqual(Array(5).fill([1, 3]));
    expect(await blocked).toBe(true);
    await stopped;
    expect(await rejection(pool.infer(mlp, { features: features(1, 0) }))).toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
