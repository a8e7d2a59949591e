import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { EngineTensor } from '../engine/engine.types';
import { decodeStepLoopOutputs, runStepLoop, type StepLoop, type StepLoopResult } from '../engine/step-loop';
import { StepRunner } from './step-runner';

function toOrt(tensor: EngineTensor): Tensor {
  return new Tensor(tensor.type, tensor.data, tensor.dims);
}

function fromOrt(tensor: Tensor): EngineTensor {
  const dims = [...tensor.dims];
  if (tensor.type === 'float32') return { type: 'float32', dims, data: Float32Array.from(tensor.data as Float32Array) };
  if (tensor.type === 'int64') return { type: 'int64', dims, data: BigInt64Array.from(tensor.data as BigInt64Array) };
  if (tensor.type === 'int32') return { type: 'int32', dims, data: Int32Array.from(tensor.data as Int32Array) };
  throw new Error(`unsupported output tensor type ${tensor.type}`);
}

/**
 * A {@link StepRunner} over in-process onnxruntime CPU sessions, keyed by graph id. For tests
 * and scripts only: `session.run` blocks the calling thread, so the API uses the EnginePool.
 */
export class LocalStepRunner implements StepRunner {
  private readonly graphs = new Map<string, Uint8Array>();
  private readonly sessions = new Map<string, Promise<InferenceSession>>();

  /** Makes a graph runnable under `id` (replacing any graph registered with that id). */
  register(id: string, bytes: Uint8Array): this {
    this.graphs.set(id, bytes);
    this.sessions.delete(id);
    return this;
  }

  async run(graphPathOrId: string, feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>> {
    const session = await this.sessionOrThrow(graphPathOrId);
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toOrt(t)]));
    const outputs = await session.run(ortFeeds);
    return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, fromOrt(t)]));
  }

  async runSteps(graphPathOrId: string, inputs: Record<string, EngineTensor>, loop: StepLoop): Promise<StepLoopResult> {
    const { outputs } = await runStepLoop((feeds) => this.run(graphPathOrId, feeds), inputs, loop);
    return decodeStepLoopOutputs(outputs, loop);
  }

  /** Releases every session (sessions that failed to load are skipped). */
  async close(): Promise<void> {
    const settled = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.release() : undefined)));
  }

  private sessionOrThrow(id: string): Promise<InferenceSession> {
    let session = this.sessions.get(id);
    if (!session) {
      const bytes = this.graphs.get(id);
      session = bytes ? InferenceSession.create(Buffer.from(bytes)) : InferenceSession.create(id);
      this.sessions.set(id, session);
    }
    return session;
  }
}
