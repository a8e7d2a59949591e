import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnginePool } from '../engine/engine.pool';
import type { EngineTensor, ModelRef } from '../engine/engine.types';
import { StepRunner } from './step-runner';

/**
 * A {@link StepRunner} over the EnginePool: each graph (training step, eval, feature
 * extractor, a base model) is written under `directory` and run in the pool's worker threads
 * as a background model, so it takes a device only between inference batches. Sums the
 * engine's compute time of the runs, for metering.
 */
export class PoolStepRunner implements StepRunner {
  private readonly refs = new Map<string, ModelRef>();
  /** Models the runner uses but does not own (a served model version): never unloaded by close(). */
  private readonly shared = new Map<string, ModelRef>();
  private computeMs = 0;

  /** `scope` keeps this runner's sessions apart from any other's (e.g. a job id plus an attempt). */
  constructor(
    private readonly pool: EnginePool,
    private readonly directory: string,
    private readonly scope: string,
  ) {}

  /** Writes a graph's bytes to disk and makes it runnable under `id`. */
  async register(id: string, bytes: Uint8Array): Promise<this> {
    await mkdir(this.directory, { recursive: true });
    const file = path.join(this.directory, `${id}.onnx`);
    await writeFile(file, bytes);
    this.refs.set(id, { id: `${this.scope}:${id}`, path: file, background: true });
    return this;
  }

  /** Makes an ONNX file already on disk (a base model) runnable under `id`. */
  registerFile(id: string, file: string): this {
    this.refs.set(id, { id: `${this.scope}:${id}`, path: file, background: true });
    return this;
  }

  /**
   * Makes a model the pool serves already (e.g. a base model version, under its serving ref)
   * runnable under `id`, on the serving model's own sessions: no second copy is loaded, and
   * close() leaves it loaded.
   */
  registerShared(id: string, ref: ModelRef): this {
    this.shared.set(id, ref);
    return this;
  }

  async run(graphId: string, feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>> {
    const ref = this.refs.get(graphId) ?? this.shared.get(graphId);
    if (!ref) throw new Error(`no graph registered as ${graphId}`);
    const result = await this.pool.run(ref, feeds);
    this.computeMs += result.computeMs;
    return result.outputs;
  }

  /** Engine compute time (ms) of the runs since the last call. */
  takeComputeMs(): number {
    const ms = this.computeMs;
    this.computeMs = 0;
    return ms;
  }

  /** Unloads every graph from the pool and deletes the files this runner wrote. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.refs.values()].map((ref) => this.pool.unload(ref.id)));
    this.refs.clear();
    this.shared.clear();
    await rm(this.directory, { recursive: true, force: true });
  }
}
