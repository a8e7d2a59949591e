import type { DeviceSpec } from './engine.config';
import type { EngineErrorCode } from './engine.error';
import type { EngineTensor, ModelSignature } from './engine.types';
import type { StepLoop } from './step-loop';

/** Data a worker thread starts with. */
export interface WorkerStartData {
  device: DeviceSpec;
  intraOpThreads: number;
  /** Nice increment for the worker thread (0: none). */
  niceness: number;
  /** TEST ONLY: obey `fault` messages. */
  faultInjection: boolean;
  /**
   * Over a SharedArrayBuffer, set by the pool: [0] is not 0 while inference requests wait on
   * the device, so a step loop (background work) stops after its current step.
   */
  inferenceWaiting?: Int32Array;
  /** The training worker's only: the API's calls in flight, a CPU step loop waits for (see TrainingHold). */
  callsInFlight?: Int32Array;
  /** Most time a held step loop waits before a step. */
  trainingHoldMaxMs: number;
}

/** TEST ONLY faults: exit the thread, spin forever, or block for `ms` (then exit with `thenExit`). */
export type WorkerFault = { mode: 'exit' } | { mode: 'hang' } | { mode: 'block'; ms: number; thenExit?: boolean };

/** Messages the pool sends to a worker. */
export type WorkerRequest =
  | { kind: 'load'; jobId: number; modelId: string; path: string }
  | {
      kind: 'run';
      jobId: number;
      modelId: string;
      /** The batch: requests stacked along dim 0 (or one request as is). */
      inputs: Record<string, EngineTensor>;
      /** Rows of each request in the batch, in order. */
      rows: number[];
      /** Epoch-ms deadline per request; a request past it is dropped without running. */
      deadlines: Array<number | undefined>;
      /** Training steps to run back to back instead of one run (`inputs` are then their constant and initial carried inputs). */
      loop?: StepLoop;
    }
  | { kind: 'unload'; jobId: number; modelId: string }
  | { kind: 'fault'; jobId: number; fault: WorkerFault };

/** What a worker answers to `load`. */
export interface LoadReply {
  signature: ModelSignature;
  loadMs: number;
  warmupMs: number;
}

/** What a worker answers to `run`: the batch's outputs for the requests that ran, stacked in order. */
export interface RunReply {
  outputs: Record<string, EngineTensor>;
  computeMs: number;
  /** Indices of requests dropped because their deadline had passed. */
  expired: number[];
}

/** Messages a worker sends to the pool. */
export type WorkerReply =
  | { kind: 'ready'; executionProvider: 'cuda' | 'cpu'; fallbackReason?: string }
  | { kind: 'done'; jobId: number; ok: true; value: unknown }
  | { kind: 'done'; jobId: number; ok: false; code: EngineErrorCode; message: string };

/** A batch as the pool hands it to a device's worker group. */
export type BatchJob = Omit<Extract<WorkerRequest, { kind: 'run' }>, 'kind' | 'jobId'>;
