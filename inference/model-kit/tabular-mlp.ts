import { OnnxGraphBuilder } from './onnx-graph-builder';
import { SeededRandom } from './seeded-random';

/** Options for {@link buildTabularMlp}. */
export interface TabularMlpOptions {
  inputSize: number;
  hiddenSizes: number[];
  outputSize: number;
  /** `'dynamic'` (default) gives a symbolic `batch` dimension; a number fixes it. */
  batch?: 'dynamic' | number;
  /** Seed for the random weights (default 1). Ignored for layers given in `layers`. */
  seed?: number;
  activation?: 'relu';
  /** Trained weights per layer (`weight` is row-major [in, out]); random He init where absent. */
  layers?: Array<{ weight: Float32Array; bias: Float32Array }>;
  /** Append a Softmax and expose `probabilities` as a second output. */
  withProbabilities?: boolean;
  /** Per-feature standardisation baked into the graph: (features - mean) / std. */
  normalization?: { mean: Float32Array; std: Float32Array };
  metadata?: Record<string, string>;
}

/**
 * Builds a multi-layer perceptron: input `features` float32 [batch, inputSize] ->
 * (MatMul + Add + Relu) per hidden layer -> MatMul + Add -> output `scores` float32
 * [batch, outputSize] (and `probabilities` with `withProbabilities`). Weights are seeded,
 * so the same options always give the same bytes.
 */
export function buildTabularMlp(options: TabularMlpOptions): Uint8Array {
  const batch = options.batch === undefined || options.batch === 'dynamic' ? 'batch' : options.batch;
  const sizes = [options.inputSize, ...options.hiddenSizes, options.outputSize];
  const random = new SeededRandom(options.seed ?? 1);
  const g = new OnnxGraphBuilder('tabular_mlp');
  let current = g.input('features', 'float32', [batch, options.inputSize]);
  if (options.normalization) {
    const { mean, std } = options.normalization;
    const centred = g.op('Sub', [current, g.floats('normalization.mean', [options.inputSize], mean)]);
    current = g.op('Div', [centred, g.floats('normalization.std', [options.inputSize], std)]);
  }
  for (let layer = 0; layer < sizes.length - 1; layer++) {
    const [fanIn, fanOut] = [sizes[layer], sizes[layer + 1]];
    const given = options.layers?.[layer];
    const weight = given?.weight ?? random.normalArray(fanIn * fanOut, Math.sqrt(2 / fanIn));
    const bias = given?.bias ?? random.normalArray(fanOut, 0.1);
    const w = g.floats(`layer${layer}.weight`, [fanIn, fanOut], weight);
    const b = g.floats(`layer${layer}.bias`, [fanOut], bias);
    const isLast = layer === sizes.length - 2;
    const sum = g.op('Add', [g.op('MatMul', [current, w]), b], {}, isLast ? 'scores' : undefined);
    current = isLast ? sum : g.op('Relu', [sum]);
  }
  g.output('scores', 'float32', [batch, options.outputSize]);
  if (options.withProbabilities) {
    g.op('Softmax', ['scores'], { axis: -1 }, 'probabilities');
    g.output('probabilities', 'float32', [batch, options.outputSize]);
  }
  return g.toBytes({ metadata: options.metadata });
}
