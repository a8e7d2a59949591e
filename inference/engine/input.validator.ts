import { EngineError } from './engine.error';
import type { EngineTensor, ModelSignature, TensorSignature } from './engine.types';
import { DATA_CLASS, dataClassOf, elementCount } from './tensor.codec';

/** What validation learns about a request: rows along dim 0 and its batch-compatibility key. */
export interface CheckedRequest {
  rows: number;
  /** Requests with equal keys may share a batch (their non-batch dims agree). */
  batchKey: string;
}

/** True when every input and output has a dynamic first dimension, so requests can be stacked. */
export function isBatchable(signature: ModelSignature): boolean {
  const all = [...signature.inputs, ...signature.outputs];
  return signature.inputs.length > 0 && all.every((v) => v.shape.length >= 1 && typeof v.shape[0] !== 'number');
}

function bad(modelId: string, input: string, reason: string): EngineError {
  return new EngineError('BAD_USER_INPUT', `input "${input}" of model ${modelId}: ${reason}`);
}

function checkDims(modelId: string, sig: TensorSignature, dims: unknown): number[] {
  if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw bad(modelId, sig.name, `dims must be an array of non-negative integers, got ${JSON.stringify(dims)}`);
  }
  // NOTE: an empty signature shape means "unknown rank" (or a scalar); only known ranks are enforced.
  if (sig.shape.length > 0 && dims.length !== sig.shape.length) {
    throw bad(modelId, sig.name, `rank ${dims.length} does not match the model's rank ${sig.shape.length} (shape [${sig.shape.join(', ')}])`);
  }
  sig.shape.forEach((expected, axis) => {
    if (typeof expected === 'number' && dims[axis] !== expected) {
      throw bad(modelId, sig.name, `dimension ${axis} is ${dims[axis]} but the model fixes it at ${expected}`);
    }
  });
  return dims as number[];
}

function checkFinite(modelId: string, name: string, data: Float32Array | Float64Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw bad(modelId, name, `element ${i} is ${data[i]} (not a finite number)`);
  }
}

function checkTensor(modelId: string, sig: TensorSignature, tensor: EngineTensor): number[] {
  if (!tensor || typeof tensor !== 'object') throw bad(modelId, sig.name, 'is not a tensor');
  if (sig.type !== 'unknown' && tensor.type !== sig.type) {
    throw bad(modelId, sig.name, `type ${tensor.type} does not match the model's ${sig.type}`);
  }
  const expectedClass = DATA_CLASS[tensor.type];
  if (!expectedClass) throw bad(modelId, sig.name, `unknown type ${String(tensor.type)}`);
  const actualClass = dataClassOf(tensor.data);
  if (actualClass !== expectedClass) {
    throw bad(modelId, sig.name, `${tensor.type} data must be a ${expectedClass}, got ${actualClass}`);
  }
  const dims = checkDims(modelId, sig, tensor.dims);
  const expected = elementCount(dims);
  if (tensor.data.length !== expected) {
    throw bad(modelId, sig.name, `data has ${tensor.data.length} elements but dims [${dims.join(', ')}] need ${expected}`);
  }
  if (tensor.type === 'float32' || tensor.type === 'float64') checkFinite(modelId, sig.name, tensor.data as Float32Array);
  return dims;
}

function checkNames(modelId: string, signature: ModelSignature, inputs: Record<string, EngineTensor>): void {
  if (!inputs || typeof inputs !== 'object') throw new EngineError('BAD_USER_INPUT', `inputs of model ${modelId} must be an object of tensors`);
  const known = new Set(signature.inputs.map((i) => i.name));
  for (const name of Object.keys(inputs)) {
    if (!known.has(name)) throw bad(modelId, name, `is not an input of the model (inputs: ${[...known].join(', ')})`);
  }
  for (const name of known) {
    if (!(name in inputs)) throw bad(modelId, name, 'is missing');
  }
}

/**
 * Checks a request against the model's signature before it is queued: names, element
 * types, ranks, fixed dimensions, data lengths and finite floats. Throws BAD_USER_INPUT
 * naming the input and the reason.
 */
export function validateInputs(
  modelId: string,
  signature: ModelSignature,
  inputs: Record<string, EngineTensor>,
  batchable: boolean,
): CheckedRequest {
  checkNames(modelId, signature, inputs);
  const keyParts: string[] = [];
  let rows: number | undefined;
  for (const sig of signature.inputs) {
    const dims = checkTensor(modelId, sig, inputs[sig.name]);
    if (!batchable) continue;
    if (dims.length === 0 || dims[0] < 1) throw bad(modelId, sig.name, 'needs at least one row along the batch dimension (dim 0)');
    if (rows !== undefined && dims[0] !== rows) {
      throw bad(modelId, sig.name, `has ${dims[0]} rows but other inputs have ${rows} (batch dimension must agree)`);
    }
    rows = dims[0];
    keyParts.push(dims.slice(1).join('x'));
  }
  return { rows: rows ?? 1, batchKey: keyParts.join('|') };
}
