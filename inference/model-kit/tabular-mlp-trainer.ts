import { SeededRandom } from './seeded-random';
import { TabularDataset } from './corpus/credit-risk-dataset';

/** Options for {@link trainTabularMlp}. */
export interface TabularMlpTrainingOptions {
  hiddenSizes: number[];
  epochs?: number;
  learningRate?: number;
  momentum?: number;
  seed?: number;
}

/** A trained MLP in the shape {@link buildTabularMlp} takes (`layers`, `normalization`). */
export interface TrainedTabularMlp {
  layers: Array<{ weight: Float32Array; bias: Float32Array }>;
  normalization: { mean: Float32Array; std: Float32Array };
  sizes: number[];
}

/** Column means and standard deviations of row-major data. */
export function columnStatistics(features: Float32Array, columns: number): { mean: Float32Array; std: Float32Array } {
  const rows = features.length / columns;
  const mean = new Float32Array(columns);
  const std = new Float32Array(columns);
  for (let i = 0; i < features.length; i++) mean[i % columns] += features[i] / rows;
  for (let i = 0; i < features.length; i++) std[i % columns] += (features[i] - mean[i % columns]) ** 2 / rows;
  return { mean, std: std.map((v) => Math.sqrt(v) || 1) };
}

/** Forward pass of one layer (optionally Relu) for one row. */
function layerForward(layer: { weight: Float32Array; bias: Float32Array }, input: Float32Array, relu: boolean): Float32Array {
  const out = Float32Array.from(layer.bias);
  const fanOut = out.length;
  for (let i = 0; i < input.length; i++) for (let o = 0; o < fanOut; o++) out[o] += input[i] * layer.weight[i * fanOut + o];
  return relu ? out.map((v) => Math.max(0, v)) : out;
}

/** Forward pass; returns every activation, the last one being softmax probabilities. */
export function mlpActivations(model: TrainedTabularMlp, row: Float32Array): Float32Array[] {
  const { mean, std } = model.normalization;
  const acts: Float32Array[] = [row.map((v, i) => (v - mean[i]) / std[i])];
  model.layers.forEach((layer, l) => acts.push(layerForward(layer, acts[l], l < model.layers.length - 1)));
  const logits = acts[acts.length - 1];
  const max = Math.max(...logits);
  const exp = logits.map((v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  acts[acts.length - 1] = exp.map((v) => v / sum);
  return acts;
}

/** Accumulates the cross-entropy gradients of one row into `grads`. */
function backward(model: TrainedTabularMlp, acts: Float32Array[], label: number, grads: TrainedTabularMlp['layers']): void {
  let delta = acts[acts.length - 1].map((p, c) => p - (c === label ? 1 : 0));
  for (let l = model.layers.length - 1; l >= 0; l--) {
    const input = acts[l];
    const { weight } = model.layers[l];
    const fanOut = delta.length;
    const next = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) {
      for (let o = 0; o < fanOut; o++) {
        grads[l].weight[i * fanOut + o] += input[i] * delta[o];
        next[i] += weight[i * fanOut + o] * delta[o];
      }
    }
    delta.forEach((d, o) => (grads[l].bias[o] += d));
    delta = next.map((v, i) => (input[i] > 0 ? v : 0));
  }
}

/**
 * Fits an MLP classifier on a tabular data set with full-batch gradient descent with momentum
 * on cross-entropy (standardised features, He init, seeded). Small data only: it is plain TypeScript.
 */
export function trainTabularMlp(data: TabularDataset, options: TabularMlpTrainingOptions): TrainedTabularMlp {
  const columns = data.featureNames.length;
  const random = new SeededRandom(options.seed ?? 5);
  const sizes = [columns, ...options.hiddenSizes, data.labels.length];
  const layers = sizes.slice(1).map((fanOut, l) => ({
    weight: random.normalArray(sizes[l] * fanOut, Math.sqrt(2 / sizes[l])),
    bias: new Float32Array(fanOut),
  }));
  const model: TrainedTabularMlp = { layers, normalization: columnStatistics(data.features, columns), sizes };
  const velocity = layers.map((l) => ({ weight: new Float32Array(l.weight.length), bias: new Float32Array(l.bias.length) }));
  const [lr, momentum] = [options.learningRate ?? 0.3, options.momentum ?? 0.9];
  for (let epoch = 0; epoch < (options.epochs ?? 300); epoch++) {
    const grads = layers.map((l) => ({ weight: new Float32Array(l.weight.length), bias: new Float32Array(l.bias.length) }));
    for (let r = 0; r < data.rows; r++) {
      backward(model, mlpActivations(model, data.features.subarray(r * columns, (r + 1) * columns)), data.classes[r], grads);
    }
    layers.forEach((layer, l) => {
      for (const key of ['weight', 'bias'] as const) {
        velocity[l][key].forEach((v, i) => (velocity[l][key][i] = momentum * v + grads[l][key][i] / data.rows));
        layer[key].forEach((w, i) => (layer[key][i] = w - lr * velocity[l][key][i]));
      }
    });
  }
  return model;
}

/** Share of rows whose most probable class is the labelled one. */
export function tabularAccuracy(model: TrainedTabularMlp, data: TabularDataset): number {
  const columns = data.featureNames.length;
  let correct = 0;
  for (let r = 0; r < data.rows; r++) {
    const probs = mlpActivations(model, data.features.subarray(r * columns, (r + 1) * columns)).pop()!;
    if (probs.indexOf(Math.max(...probs)) === data.classes[r]) correct++;
  }
  return correct / data.rows;
}
