/** Element types of the tensors the engine accepts and returns. */
export type TensorType = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool' | 'string';

/** Typed data of an {@link EngineTensor}; `bool` uses Uint8Array, `string` a string array. */
export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array
  | string[];

/** A tensor as the engine sees it: element type, shape and row-major data. */
export interface EngineTensor {
  type: TensorType;
  dims: number[];
  data: TensorData;
}

/** A model version to serve: its id, its ONNX file and optional batching/placement settings. */
export interface ModelRef {
  /** Model version id (the key for placement, batching, metrics). */
  id: string;
  /** Path of the .onnx file on disk. */
  path: string;
  /** Serve only on this device (`cpu`, `cuda:1`, ...). */
  pinnedDevice?: string;
  /** Rows per batch at most; used only where the batch dimension is dynamic. */
  maxBatchSize?: number;
  /** How long a request may wait for others to fill its batch. */
  maxQueueDelayMs?: number;
  /**
   * Background work (training steps): runs only on an idle worker and only while no inference
   * request waits on the device, so serving keeps its latency; inference always goes first.
   */
  background?: boolean;
}

/** One input or output of a model, as the loaded session reports it. */
export interface TensorSignature {
  name: string;
  /** Element type; `'unknown'` for a non-tensor value (sequence, map). */
  type: TensorType | 'unknown';
  /** Dimensions: a number when fixed, a string for a symbolic one, null when unknown. */
  shape: Array<number | string | null>;
}

/** Inputs and outputs of a model. */
export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/** Options of {@link EnginePool.infer}. */
export interface InferOptions {
  /** Epoch ms; a request still queued at that time fails with DEADLINE_EXCEEDED without running. */
  deadline?: number;
  /**
   * Hand the input buffers over to the worker instead of copying them (zero-copy): the
   * caller's typed arrays are detached after the call. Default false.
   */
  transferInputs?: boolean;
}

/** What {@link EnginePool.infer} answers. */
export interface InferResult {
  outputs: Record<string, EngineTensor>;
  /** This request's share of its batch's compute time (ms). */
  computeMs: number;
  /** Time between enqueue and dispatch to a worker (ms). */
  queueMs: number;
  /** Requests in the batch this request ran in. */
  batchSize: number;
  /** The device that served it (`cpu`, `cuda:0`, ...). */
  device: string;
}

/** What {@link EnginePool.run} answers. */
export interface RunResult {
  outputs: Record<string, EngineTensor>;
  computeMs: number;
  device: string;
}

/** Per-device state reported by {@link EnginePool.status}. */
export interface DeviceStatus {
  id: string;
  kind: 'cuda' | 'cpu';
  /** The device as configured (`cuda:0`). */
  requested: string;
  /** What the device's sessions really run on (`cpu` where CUDA could not load). */
  executionProvider: 'cuda' | 'cpu';
  workers: number;
  /** Requests waiting in this device's batchers. */
  queued: number;
  loadedModels: string[];
}
