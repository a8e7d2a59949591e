import type { EngineTensor } from '../engine/engine.types';

/** A float32 engine tensor. */
export function floatTensor(data: Float32Array, dims: number[]): EngineTensor {
  return { type: 'float32', dims, data };
}

/** An int64 engine tensor from numbers or bigints. */
export function int64Tensor(data: BigInt64Array | ArrayLike<number>, dims: number[]): EngineTensor {
  return { type: 'int64', dims, data: data instanceof BigInt64Array ? data : int64ArrayOf(data) };
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Integers as an int64 array. NOTE: values in 0..2^31-1 (token ids, rows, labels) are written
 * as the low words through an Int32Array view, with no BigInt made per value (which costs
 * more than the rest of a training step's feeds together).
 */
export function int64ArrayOf(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = LITTLE_ENDIAN ? new Int32Array(out.buffer) : undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (words && v >= 0 && v <= 0x7fffffff && Number.isInteger(v)) words[2 * i] = v;
    else out[i] = BigInt(v);
  }
  return out;
}

/**
 * The values of an int64 array as numbers. NOTE: values in 0..2^31-1 are read from the low
 * words with no BigInt conversion; any other value is converted (exact up to 2^53).
 */
export function numbersOfInt64(values: BigInt64Array): Int32Array | number[] {
  if (LITTLE_ENDIAN) {
    const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    let small = true;
    for (let i = 0; i < values.length && small; i++) small = words[2 * i + 1] === 0 && words[2 * i] >= 0;
    if (small) {
      const out = new Int32Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = words[2 * i];
      return out;
    }
  }
  return Array.from(values, (v) => Number(v));
}

/** The tensor's data as float32, or throws when it is missing or of another type. */
export function floatDataOrThrow(tensor: EngineTensor | undefined, name: string): Float32Array {
  if (!tensor || !(tensor.data instanceof Float32Array)) throw new Error(`tensor ${name} missing or not float32`);
  return tensor.data;
}

/** The tensor's data as int64, or throws when it is missing or of another type. */
export function int64DataOrThrow(tensor: EngineTensor | undefined, name: string): BigInt64Array {
  if (!tensor || !(tensor.data instanceof BigInt64Array)) throw new Error(`tensor ${name} missing or not int64`);
  return tensor.data;
}
