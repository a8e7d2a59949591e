import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { EngineTensor, ModelSignature, TensorSignature, TensorType } from './engine.types';
import { zerosTensor } from './tensor.codec';

// NOTE: imported only inside worker threads and the inspection child process; the main
// thread never loads onnxruntime sessions (session.run blocks the calling thread).

const TYPES: ReadonlySet<string> = new Set<TensorType>([
  'float32', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool', 'string',
]);

function dimOf(d: number | string): number | string | null {
  if (typeof d === 'number') return d >= 0 ? d : null;
  return d === '' ? null : d;
}

function valueSignature(meta: InferenceSession.ValueMetadata): TensorSignature {
  if (!meta.isTensor) return { name: meta.name, type: 'unknown', shape: [] };
  const type = TYPES.has(meta.type) ? (meta.type as TensorType) : 'unknown';
  return { name: meta.name, type, shape: meta.shape.map(dimOf) };
}

/** The inputs/outputs of a loaded session. */
export function signatureOf(session: InferenceSession): ModelSignature {
  return {
    inputs: session.inputMetadata.map(valueSignature),
    outputs: session.outputMetadata.map(valueSignature),
  };
}

/** Zero-filled inputs for a warm-up run: every dynamic or unknown dim is 1. */
export function syntheticInputs(signature: ModelSignature): Record<string, EngineTensor> {
  const feeds: Record<string, EngineTensor> = {};
  for (const input of signature.inputs) {
    if (input.type === 'unknown') throw new Error(`input "${input.name}" is not a plain tensor`);
    const dims = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[input.name] = zerosTensor(input.type, dims);
  }
  return feeds;
}

/** Engine tensors -> ORT feeds. */
export function toOrtFeeds(inputs: Record<string, EngineTensor>): InferenceSession.FeedsType {
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] = new Tensor(t.type, t.data as Float32Array, t.dims);
  }
  return feeds;
}

/** ORT results -> engine tensors (the data arrays are ORT's, not copied). */
export function fromOrtOutputs(results: InferenceSession.ReturnType): Record<string, EngineTensor> {
  const outputs: Record<string, EngineTensor> = {};
  for (const [name, value] of Object.entries(results)) {
    const tensor = value as Tensor;
    if (!TYPES.has(tensor.type)) throw new Error(`output "${name}" has unsupported type ${tensor.type}`);
    outputs[name] = { type: tensor.type as TensorType, dims: [...tensor.dims], data: tensor.data as Float32Array };
  }
  return outputs;
}

/** Session options for a device's execution provider. */
export function sessionOptions(
  executionProvider: 'cuda' | 'cpu',
  deviceId: number,
  intraOpThreads: number,
): InferenceSession.SessionOptions {
  const providers: InferenceSession.ExecutionProviderConfig[] =
    executionProvider === 'cuda' ? [{ name: 'cuda', deviceId }] : ['cpu'];
  return {
    executionProviders: providers,
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
}
