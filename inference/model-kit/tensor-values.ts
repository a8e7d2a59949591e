import type { EngineTensor } from '../engine/engine.types';

/** A float32 engine tensor. */
export function floatTensor(data: Float32Array, dims: number[]): EngineTensor {
  return { type: 'float32', dims, data };
}

/** An int64 engine tensor from numbers or bigints. */
export function int64Tensor(data: BigInt64Array | ArrayLike<number>, dims: number[]): EngineTensor {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data, (v) => BigInt(v)));
  return { type: 'int64', dims, data: values };
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
