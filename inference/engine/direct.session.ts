import { performance } from 'node:perf_hooks';
import { InferenceSession } from 'onnxruntime-node';
import type { EngineTensor, ModelSignature } from './engine.types';
import { fromOrtOutputs, sessionOptions, signatureOf, toOrtFeeds } from './ort-session.adapter';

/**
 * An ORT session on the calling thread, without pool, batching or checks. `run` BLOCKS the
 * calling thread for the whole computation, so never use it on a server's event loop: it
 * is for benchmarks' baselines and offline tools. Serve requests through EnginePool.
 */
export class DirectSession {
  private constructor(
    private readonly session: InferenceSession,
    readonly signature: ModelSignature,
  ) {}

  /** Loads a model on the CPU with `intraOpThreads` ORT threads. */
  static async load(path: string, options: { intraOpThreads?: number } = {}): Promise<DirectSession> {
    const session = await InferenceSession.create(path, sessionOptions('cpu', 0, options.intraOpThreads ?? 1));
    return new DirectSession(session, signatureOf(session));
  }

  /** One session run; `computeMs` is the time of the ORT call itself. */
  async run(inputs: Record<string, EngineTensor>): Promise<{ outputs: Record<string, EngineTensor>; computeMs: number }> {
    const feeds = toOrtFeeds(inputs);
    const t0 = performance.now();
    const results = await this.session.run(feeds);
    return { outputs: fromOrtOutputs(results), computeMs: performance.now() - t0 };
  }

  /** Frees the native session. */
  release(): Promise<void> {
    return this.session.release();
  }
}
