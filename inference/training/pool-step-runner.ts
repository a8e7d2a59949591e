import { createHash } from 'node:crypto';
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnginePool } from '../engine/engine.pool';
import type { EngineTensor, ModelRef } from '../engine/engine.types';
import type { StepLoop, StepLoopResult } from '../engine/step-loop';
import { StepRunner } from './step-runner';

/**
 * A {@link StepRunner} over the EnginePool: each graph (training step, eval, feature
 * extractor) runs in the pool's worker threads as a background model, so it takes a device
 * only between inference batches. Sums the engine's compute time of the runs, for metering.
 *
 * NOTE: graphs are kept by content: a graph is written once under `graphDirectory` as
 * `<sha256>.onnx` and served under that digest, so every run that builds the same graph (each
 * job on the same base model and label count) shares one warm session instead of loading and
 * warming up its own (the first epochs of a cold session run at a fraction of the speed).
 * close() leaves them loaded; the pool's placement evicts them like any model when memory is needed.
 */
export class PoolStepRunner implements StepRunner {
  private readonly refs = new Map<string, ModelRef>();
  private computeMs = 0;

  constructor(
    private readonly pool: EnginePool,
    private readonly graphDirectory: string,
  ) {}

  /**
   * Like {@link register}, for a graph built by `build` from what `key` names (its kind and
   * shape): built and hashed once per process, not at every job (building the five graphs of a
   * job took 5-16 ms of the event loop).
   */
  async registerBuilt(id: string, key: string, build: () => Uint8Array): Promise<this> {
    const cacheKey = `${this.graphDirectory}\n${key}`;
    const known = builtGraphs.get(cacheKey);
    if (known && (await exists(known.path))) {
      this.refs.set(id, known);
      return this;
    }
    await this.register(id, build());
    builtGraphs.set(cacheKey, this.refs.get(id)!);
    if (builtGraphs.size > MAX_BUILT_GRAPHS) builtGraphs.delete(builtGraphs.keys().next().value!);
    return this;
  }

  /** Makes a graph runnable under `id` (written to disk once per content). */
  async register(id: string, bytes: Uint8Array): Promise<this> {
    const digest = createHash('sha256').update(bytes).digest('hex');
    const file = path.join(this.graphDirectory, `${digest}.onnx`);
    if (!(await exists(file))) {
      await mkdir(this.graphDirectory, { recursive: true });
      // written whole under another name first: a concurrent run never loads half a file
      const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, file);
    }
    this.refs.set(id, { id: `training-graph:${digest}`, path: file, background: true });
    return this;
  }

  /**
   * Makes a model the pool serves already (e.g. a base model version, under its serving ref)
   * runnable under `id`, on the serving model's own sessions: no second copy is loaded, and
   * close() leaves it loaded.
   */
  registerShared(id: string, ref: ModelRef): this {
    this.refs.set(id, ref);
    return this;
  }

  async run(graphId: string, feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>> {
    const result = await this.pool.run(this.refOrThrow(graphId), feeds);
    this.computeMs += result.computeMs;
    return result.outputs;
  }

  async runSteps(graphId: string, inputs: Record<string, EngineTensor>, loop: StepLoop): Promise<StepLoopResult> {
    const { computeMs, stepsDone, state, reports, table, marks } = await this.pool.runSteps(this.refOrThrow(graphId), inputs, loop);
    this.computeMs += computeMs;
    return { stepsDone, state, reports, table, marks };
  }

  /** Engine compute time (ms) of the runs since the last call. */
  takeComputeMs(): number {
    const ms = this.computeMs;
    this.computeMs = 0;
    return ms;
  }

  /** Forgets the graphs (their sessions stay loaded for the next run that builds them, see the class NOTE). */
  async close(): Promise<void> {
    this.refs.clear();
  }

  private refOrThrow(graphId: string): ModelRef {
    const ref = this.refs.get(graphId);
    if (!ref) throw new Error(`no graph registered as ${graphId}`);
    return ref;
  }
}

/** Graphs built in this process, by directory and what they were built from: their ref (oldest dropped first). */
const builtGraphs = new Map<string, ModelRef>();
const MAX_BUILT_GRAPHS = 64;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
