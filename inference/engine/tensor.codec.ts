import type { EngineTensor, TensorData, TensorType } from './engine.types';

type NumericArray = Exclude<TensorData, string[]>;
type NumericCtor = { new (length: number): NumericArray };

const CTORS: Record<Exclude<TensorType, 'string'>, NumericCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** The typed-array class name each tensor type expects (`string` -> plain array). */
export const DATA_CLASS: Record<TensorType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  bool: 'Uint8Array',
  string: 'Array',
};

/**
 * Class name of tensor data, realm-independent (typed arrays rebuilt from a worker message,
 * or made by a native addon, fail `instanceof` inside jest's sandbox).
 */
export function dataClassOf(data: unknown): string {
  if (Array.isArray(data)) return 'Array';
  if (ArrayBuffer.isView(data)) return (data as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
  return typeof data;
}

/** Number of elements of a shape. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A tensor of zeros (empty strings for `string`). */
export function zerosTensor(type: TensorType, dims: number[]): EngineTensor {
  const n = elementCount(dims);
  const data = type === 'string' ? new Array<string>(n).fill('') : new CTORS[type](n);
  return { type, dims, data };
}

/** Concatenates tensors of one type along dim 0 (their other dims must agree). */
export function concatRows(parts: EngineTensor[]): EngineTensor {
  const [first] = parts;
  if (parts.length === 1) return first;
  const rows = parts.reduce((sum, p) => sum + p.dims[0], 0);
  const dims = [rows, ...first.dims.slice(1)];
  if (first.type === 'string') {
    return { type: 'string', dims, data: parts.flatMap((p) => p.data as string[]) };
  }
  const out = new CTORS[first.type](elementCount(dims));
  let offset = 0;
  for (const p of parts) {
    (out as Float32Array).set(p.data as Float32Array, offset);
    offset += p.data.length;
  }
  return { type: first.type, dims, data: out };
}

/** Splits a tensor along dim 0 into consecutive pieces of the given row counts (copies). */
export function splitRows(tensor: EngineTensor, rows: number[]): EngineTensor[] {
  const rowSize = tensor.dims[0] === 0 ? 0 : tensor.data.length / tensor.dims[0];
  let start = 0;
  return rows.map((count) => {
    const end = start + count * rowSize;
    const part = tensor.data.slice(start, end) as TensorData;
    start = end;
    return inThisRealm({ type: tensor.type, dims: [count, ...tensor.dims.slice(1)], data: part });
  });
}

/**
 * The tensor with data of this realm's typed-array class. Arrays rebuilt from a worker
 * message belong to Node's main realm, which differs from jest's sandbox: there `instanceof
 * Float32Array` would fail, so they are copied once. Elsewhere this returns the tensor as is.
 */
export function inThisRealm(tensor: EngineTensor): EngineTensor {
  if (tensor.type === 'string' || Array.isArray(tensor.data)) return tensor;
  const Ctor = CTORS[tensor.type] as unknown as { new (source: ArrayLike<number | bigint>): NumericArray };
  if (tensor.data instanceof (Ctor as unknown as typeof Float32Array)) return tensor;
  return { ...tensor, data: new Ctor(tensor.data as ArrayLike<number>) };
}

/** True when the typed array is the sole view of a whole, transferable ArrayBuffer. */
export function ownsWholeBuffer(data: NumericArray): boolean {
  const buffer = data.buffer;
  return (
    dataClassOf(buffer) !== 'SharedArrayBuffer' &&
    data.byteOffset === 0 &&
    data.byteLength === buffer.byteLength
  );
}

/**
 * Prepares tensors to cross a thread boundary: each numeric tensor gets a buffer it owns
 * wholly (copied unless `transfer` and already so), and the buffers go in `transferList`.
 */
export function toTransferable(
  tensors: Record<string, EngineTensor>,
  transferList: ArrayBuffer[],
  transfer: boolean,
): Record<string, EngineTensor> {
  const out: Record<string, EngineTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.type === 'string' || Array.isArray(t.data)) {
      out[name] = { type: t.type, dims: [...t.dims], data: t.data };
      continue;
    }
    const numeric = t.data as NumericArray;
    const data = transfer && ownsWholeBuffer(numeric) ? numeric : (numeric.slice() as NumericArray);
    if (!transferList.includes(data.buffer as ArrayBuffer)) transferList.push(data.buffer as ArrayBuffer);
    out[name] = { type: t.type, dims: [...t.dims], data };
  }
  return out;
}
