import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pino from 'pino';
import { DirectSession } from '../inference/engine/direct.session';
import { intraOpThreadsFor, resolveEngineConfig, workersFor } from '../inference/engine/engine.config';
import { EnginePool } from '../inference/engine/engine.pool';
import type { EngineMetricsListener } from '../inference/engine/engine.metrics';
import type { EngineTensor, ModelRef } from '../inference/engine/engine.types';
import { buildTabularMlp } from '../inference/model-kit/tabular-mlp';
import { closedLoop, percentile, type BenchRow, type BenchSuite } from './bench-suite';

// Engine suite: an MLP 1024 -> 4096 -> 1024 (float32, dynamic batch), 32 requests in flight.
// raw = session.run at batch 1 on the main thread, one at a time; limit = session.run at the
// max batch size back to back; pool = the same requests through EnginePool with batching.

const IN = 1024;
const HIDDEN = 4096;
const IN_FLIGHT = 32;
const MAX_BATCH = 32;
const SAMPLES = 64;

interface Split {
  workers: number;
  threads: number;
}

interface SplitFigures {
  split: string;
  workers: number;
  intra_op_threads: number;
  row_ms: number;
  raw_rps: number;
  raw_p95_ms: number;
  limit_rps: number;
  pool_rps: number;
  pool_p95_ms: number;
  pool_mean_batch: number;
  pool_batch_ms: number;
  pool_worker_busy: number;
  loop_delay_p99_ms: number;
  batching_speedup: number;
  pool_vs_limit: number;
  max_abs_diff: number;
  identical_outputs: boolean;
}

function makeInputs(count: number): Float32Array[] {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, () => Float32Array.from({ length: IN }, next));
}

function rows(data: Float32Array, count: number): EngineTensor {
  return { type: 'float32', dims: [count, IN], data };
}


interface Round {
  raw: { rps: number; p95: number };
  limitRps: number;
  pool: { rps: number; p95: number; meanBatch: number; batchMs: number; busy: number; loopP99: number };
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** Raw: `IN_FLIGHT` callers share one main-thread session at batch 1 (runs are serialised). */
async function rawPhase(session: DirectSession, inputs: Float32Array[], seconds: number) {
  return closedLoop(IN_FLIGHT, seconds, (i) => session.run({ features: rows(inputs[i % inputs.length], 1) }));
}

/** Limit: session.run at MAX_BATCH rows back to back, no queueing (rows/s). */
async function limitPhase(session: DirectSession, inputs: Float32Array[], seconds: number): Promise<number> {
  const batch = new Float32Array(IN * MAX_BATCH);
  for (let r = 0; r < MAX_BATCH; r++) batch.set(inputs[r], r * IN);
  const end = performance.now() + seconds * 1000;
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    await session.run({ features: rows(batch, MAX_BATCH) });
    runs++;
  }
  return (runs * MAX_BATCH) / ((performance.now() - t0) / 1000);
}

/** Pool: the same callers through EnginePool.infer; also the main thread's event-loop delay. */
async function poolPhase(pool: EnginePool, model: ModelRef, inputs: Float32Array[], seconds: number, workers: number, stats: BatchStats) {
  stats.reset();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const figures = await closedLoop(IN_FLIGHT, seconds, (i) => pool.infer(model, { features: rows(inputs[i % inputs.length], 1) }));
  loop.disable();
  const meanBatch = stats.rows / Math.max(1, stats.batches);
  const batchMs = stats.computeMs / Math.max(1, stats.batches);
  return { ...figures, meanBatch, batchMs, busy: stats.computeMs / (figures.elapsed * 1000 * workers), loopP99: loop.percentile(99) / 1e6 };
}

class BatchStats implements EngineMetricsListener {
  batches = 0;
  rows = 0;
  computeMs = 0;
  reset(): void {
    this.batches = this.rows = this.computeMs = 0;
  }
  queueLength(): void {}
  request(): void {}
  batch(_labels: unknown, size: number, computeMs: number): void {
    this.batches++;
    this.rows += size;
    this.computeMs += computeMs;
  }
}

async function rowCostMs(session: DirectSession, inputs: Float32Array[]): Promise<number> {
  for (let i = 0; i < 30; i++) await session.run({ features: rows(inputs[i], 1) });
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) await session.run({ features: rows(inputs[i % inputs.length], 1) });
  return (performance.now() - t0) / 200;
}

async function compareOutputs(session: DirectSession, pool: EnginePool, model: ModelRef, inputs: Float32Array[]): Promise<number> {
  const pooled = await Promise.all(inputs.slice(0, SAMPLES).map((x) => pool.infer(model, { features: rows(x, 1) })));
  let max = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const raw = (await session.run({ features: rows(inputs[i], 1) })).outputs.scores.data as Float32Array;
    const got = pooled[i].outputs.scores.data as Float32Array;
    raw.forEach((v, k) => (max = Math.max(max, Math.abs(v - got[k]))));
  }
  return max;
}

/**
 * One worker/thread split: raw, limit and pool phases interleaved over `rounds` rounds
 * (the medians are reported), so a burst of load from elsewhere skews one round, not a figure.
 */
async function measureSplit(model: ModelRef, split: Split, inputs: Float32Array[], seconds: number, rounds: number): Promise<SplitFigures> {
  const session = await DirectSession.load(model.path, { intraOpThreads: split.threads });
  const stats = new BatchStats();
  const pool = await EnginePool.start({
    devices: ['cpu'],
    workersPerDevice: split.workers,
    intraOpThreads: split.threads,
    maxBatchSize: MAX_BATCH,
    metrics: stats,
    logger: pino({ level: 'silent' }),
  });
  try {
    const rowMs = await rowCostMs(session, inputs);
    await poolPhase(pool, model, inputs, 0.5, split.workers, stats);
    const all: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      const raw = await rawPhase(session, inputs, seconds / rounds);
      const limitRps = await limitPhase(session, inputs, seconds / rounds);
      all.push({ raw, limitRps, pool: await poolPhase(pool, model, inputs, seconds / rounds, split.workers, stats) });
    }
    const diff = await compareOutputs(session, pool, model, inputs);
    return summarise(split, rowMs, all, diff);
  } finally {
    await pool.stop();
    await session.release();
  }
}

function summarise(split: Split, rowMs: number, all: Round[], diff: number): SplitFigures {
  const m = (pick: (r: Round) => number) => median(all.map(pick));
  const [rawRps, limitRps, poolRps] = [m((r) => r.raw.rps), m((r) => r.limitRps), m((r) => r.pool.rps)];
  return {
    split: `${split.workers}x${split.threads}`,
    workers: split.workers,
    intra_op_threads: split.threads,
    row_ms: rowMs,
    raw_rps: rawRps,
    raw_p95_ms: m((r) => r.raw.p95),
    limit_rps: limitRps,
    pool_rps: poolRps,
    pool_p95_ms: m((r) => r.pool.p95),
    pool_mean_batch: m((r) => r.pool.meanBatch),
    pool_batch_ms: m((r) => r.pool.batchMs),
    pool_worker_busy: m((r) => r.pool.busy),
    loop_delay_p99_ms: m((r) => r.pool.loopP99),
    batching_speedup: m((r) => r.pool.rps / r.raw.rps),
    pool_vs_limit: m((r) => r.pool.rps / r.limitRps),
    max_abs_diff: diff,
    identical_outputs: diff <= 1e-5,
  };
}

function tableRows(f: SplitFigures): BenchRow[] {
  const split = `${f.workers} worker(s) x ${f.intra_op_threads} thread(s)`;
  return [
    { split, measure: 'raw: batch 1, main thread', threads: f.intra_op_threads, 'rows/s': f.raw_rps, p95_ms: f.raw_p95_ms, batch: 1, loop_p99_ms: '-' },
    { split, measure: `limit: batch ${MAX_BATCH} back to back`, threads: f.intra_op_threads, 'rows/s': f.limit_rps, p95_ms: '-', batch: MAX_BATCH, loop_p99_ms: '-' },
    { split, measure: 'pool: dynamic batching', threads: f.intra_op_threads, 'rows/s': f.pool_rps, p95_ms: f.pool_p95_ms, batch: f.pool_mean_batch, loop_p99_ms: f.loop_delay_p99_ms, batch_ms: f.pool_batch_ms, worker_busy: f.pool_worker_busy },
  ];
}

function parseArgs(args: string[]): { seconds: number; rounds: number; splits?: Split[] } {
  const value = (flag: string) => args[args.indexOf(flag) + 1];
  const seconds = args.includes('--seconds') ? Number(value('--seconds')) : 6;
  const rounds = args.includes('--rounds') ? Number(value('--rounds')) : 6;
  if (!args.includes('--split')) return { seconds, rounds };
  const [workers, threads] = value('--split').split('x').map(Number);
  return { seconds, rounds, splits: [{ workers, threads }] };
}

function targets(f: SplitFigures): Record<string, boolean> {
  return {
    batching_speedup_ge_6: f.batching_speedup >= 6,
    pool_vs_limit_ge_0_7: f.pool_vs_limit >= 0.7,
    loop_delay_p99_le_10ms: f.loop_delay_p99_ms <= 10,
    pool_p95_le_raw_p95: f.pool_p95_ms <= f.raw_p95_ms,
    identical_outputs: f.identical_outputs,
    row_cost_ge_0_5ms: f.row_ms >= 0.5,
  };
}

async function run(args: string[]) {
  const { seconds, rounds, splits: asked } = parseArgs(args);
  const defaults = resolveEngineConfig({});
  const cpu = defaults.devices[0];
  const engineDefault = { workers: workersFor(defaults, cpu), threads: intraOpThreadsFor(defaults, cpu) };
  const others = [{ workers: 1, threads: 2 }, { workers: 2, threads: 1 }].filter((s) => s.workers !== engineDefault.workers || s.threads !== engineDefault.threads);
  const splits = asked ?? [engineDefault, ...others];
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  try {
    const model: ModelRef = { id: 'bench-mlp', path: join(dir, 'mlp.onnx') };
    writeFileSync(model.path, buildTabularMlp({ inputSize: IN, hiddenSizes: [HIDDEN], outputSize: IN, seed: 42 }));
    const inputs = makeInputs(256);
    const figures: SplitFigures[] = [];
    for (const split of splits) figures.push(await measureSplit(model, split, inputs, seconds, rounds));
    const [head] = figures;
    const round = (f: SplitFigures) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(3)) : v]));
    return {
      title: `Engine: MLP ${IN}->${HIDDEN}->${IN} float32, ${IN_FLIGHT} requests in flight, max batch ${MAX_BATCH}; ${seconds}s per phase in ${rounds} interleaved rounds (medians)`,
      rows: figures.flatMap(tableRows),
      notes: [
        `\nheadline: ${head.split} (engine default on cpu); raw/limit baselines use the same intra-op threads as the pool's workers.`,
        ...figures.map((f) => `${f.split}: speedup ${f.batching_speedup.toFixed(2)}x, pool/limit ${f.pool_vs_limit.toFixed(2)}, max |diff| ${f.max_abs_diff.toExponential(2)}`),
      ],
      result: { model: `mlp-${IN}-${HIDDEN}-${IN}`, in_flight: IN_FLIGHT, max_batch_size: MAX_BATCH, ...round(head), targets: targets(head), splits: figures.map(round) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine suite for `npm run bench -- engine`. */
export const benchSuite: BenchSuite = {
  name: 'engine',
  description: 'EnginePool dynamic batching vs raw session.run and the batch-size limit',
  run,
};
