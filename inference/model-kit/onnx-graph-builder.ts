import { onnx } from 'onnx-proto';

/** Element types the model kit writes into graphs (a subset of ONNX TensorProto.DataType). */
export type OnnxElementType = 'float32' | 'int64' | 'int32' | 'bool';

/** A dimension: a fixed size, or a symbolic name such as `'batch'` for a dynamic one. */
export type OnnxDim = number | string;

/**
 * A node attribute value. Plain numbers are INT, number arrays INTS, strings STRING;
 * floats must be tagged (`{ float: 0.5 }`, `{ floats: [...] }`) so `1` and `1.0` cannot be confused.
 */
export type OnnxAttributeValue =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | { tensor: OnnxTensorValue };

/** A constant tensor: typed data plus its shape. */
export interface OnnxTensorValue {
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
  /** Required only for Uint8Array data (meaning bool). */
  type?: OnnxElementType;
}

const DATA_TYPE: Record<OnnxElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Options for serialising a built graph. */
export interface OnnxModelOptions {
  /** Default-domain opset version; 17 unless given. */
  opset?: number;
  producerName?: string;
  docString?: string;
  /** Key/value pairs stored in the model's metadata_props. */
  metadata?: Record<string, string>;
}

function elementTypeOf(value: OnnxTensorValue): OnnxElementType {
  if (value.type) return value.type;
  if (value.data instanceof Float32Array) return 'float32';
  if (value.data instanceof BigInt64Array) return 'int64';
  if (value.data instanceof Int32Array) return 'int32';
  return 'bool';
}

/** Builds a TensorProto with little-endian raw data (a copy of the value's, or with `view`, its own bytes). */
export function tensorProto(name: string, value: OnnxTensorValue, view = false): onnx.ITensorProto {
  const { data } = value;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const rawData = view ? bytes : bytes.slice();
  return { name, dims: value.dims, dataType: DATA_TYPE[elementTypeOf(value)], rawData };
}

function valueInfo(name: string, type: OnnxElementType, dims: OnnxDim[]): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: DATA_TYPE[type], shape: { dim } } } };
}

function attributeProto(name: string, value: OnnxAttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: T.FLOATS, floats: value.floats };
  return { name, type: T.TENSOR, t: tensorProto(name, value.tensor) };
}

/**
 * A small typed builder for ONNX graphs: declare inputs, initializers, nodes and outputs,
 * then `toBytes()` gives a serialised ModelProto that `InferenceSession.create(bytes)` loads.
 * Use it for every graph the project writes (demo models, training steps, test fixtures).
 */
export class OnnxGraphBuilder {
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly nodes: onnx.INodeProto[] = [];
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** Declares a graph input; string dims are dynamic (symbolic). Returns its name. */
  input(name: string, type: OnnxElementType, dims: OnnxDim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output produced by some node. Returns its name. */
  output(name: string, type: OnnxElementType, dims: OnnxDim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Adds a constant weight tensor. Returns its name. */
  initializer(name: string, value: OnnxTensorValue): string {
    this.initializers.push(tensorProto(name, value));
    return name;
  }

  /**
   * Adds a float32 initializer (a copy of `data`). NOTE: the copy is the tensor's raw data as is,
   * not copied again: a text model's 4 MB table was copied twice before the encoder's own copy.
   */
  floats(name: string, dims: number[], data: Float32Array | number[]): string {
    this.initializers.push(tensorProto(name, { dims, data: Float32Array.from(data) }, true));
    return name;
  }

  /** Adds an int64 initializer (handy for shapes and axes). */
  int64s(name: string, dims: number[], data: BigInt64Array | number[]): string {
    const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
    return this.initializer(name, { dims, data: values });
  }

  /** Adds a node with explicit output names. */
  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, OnnxAttributeValue> = {}): string[] {
    const attribute = Object.entries(attributes).map(([k, v]) => attributeProto(k, v));
    this.nodes.push({ opType, input: inputs, output: outputs, name: `${opType}_${this.counter++}`, attribute });
    return outputs;
  }

  /** Adds a single-output node and returns its output name (generated unless given). */
  op(opType: string, inputs: string[], attributes: Record<string, OnnxAttributeValue> = {}, outputName?: string): string {
    const out = outputName ?? `${opType.toLowerCase()}_${this.counter}`;
    this.node(opType, inputs, [out], attributes);
    return out;
  }

  /** The ModelProto object (for inspection). Throws when two values share a name. */
  toModel(options: OnnxModelOptions = {}): onnx.IModelProto {
    this.assertUniqueNames();
    const metadataProps = Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value }));
    return {
      irVersion: 8,
      producerName: options.producerName ?? 'aiaas-model-kit',
      producerVersion: '1',
      docString: options.docString,
      opsetImport: [{ domain: '', version: options.opset ?? 17 }],
      metadataProps,
      graph: {
        name: this.graphName,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
        node: this.nodes,
      },
    };
  }

  private assertUniqueNames(): void {
    const names = [
      ...this.inputs.map((v) => v.name ?? ''),
      ...this.initializers.map((t) => t.name ?? ''),
      ...this.nodes.flatMap((n) => n.output ?? []),
    ];
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new Error(`graph ${this.graphName} defines ${duplicate} twice`);
  }

  /** The serialised ModelProto. */
  toBytes(options: OnnxModelOptions = {}): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModel(options))).finish();
  }
}
