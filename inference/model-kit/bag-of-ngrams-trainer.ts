import { tokenFeatures, TokenizerSpec } from './hashed-ngram-tokenizer';
import { SeededRandom } from './seeded-random';
import { LinearHead, TextModelBody } from './text-models';

/** Options for {@link trainBagOfNgrams}. */
export interface BagOfNgramsTrainingOptions {
  spec: TokenizerSpec;
  embeddingDim: number;
  labelCount: number;
  epochs?: number;
  /** Initial learning rate, decayed linearly to 0 over training (fastText style). */
  learningRate?: number;
  seed?: number;
  /**
   * Embedding rows start uniform in [-initScale/dim, initScale/dim] (default 1, fastText's).
   * Smaller keeps n-grams that training never sees near zero, so they sway a text less.
   */
  initScale?: number;
}

/** A trained text classifier: body (embedding table) plus linear head. */
export interface BagOfNgramsModel {
  body: TextModelBody;
  head: LinearHead;
}

interface Example {
  ids: number[];
  /** Pooling weights of `ids` (sum 1), as {@link tokenize} feeds them. */
  weights: number[];
  label: number;
}

/** Weighted mean of the embedding rows of `ids` (the model body, as the ONNX graph computes it). */
function pool(body: TextModelBody, ids: number[], weights: number[], out: Float32Array): void {
  const dim = body.embeddingDim;
  out.fill(0);
  ids.forEach((id, t) => {
    for (let d = 0; d < dim; d++) out[d] += body.embedding[id * dim + d] * weights[t];
  });
}

/** Softmax probabilities of the head over pooled features. */
function headProbabilities(head: LinearHead, features: Float32Array, classes: number): Float32Array {
  const dim = features.length;
  const logits = Float32Array.from(head.bias);
  for (let d = 0; d < dim; d++) for (let c = 0; c < classes; c++) logits[c] += features[d] * head.weight[d * classes + c];
  const max = Math.max(...logits);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += logits[c] = Math.exp(logits[c] - max);
  return logits.map((v) => v / sum);
}

/** Scratch buffers of {@link sgdStep}, allocated once per training run. */
interface StepBuffers {
  hidden: Float32Array;
  gradHidden: Float32Array;
  logits: Float64Array;
}

/** One SGD step on cross-entropy for one example (buffers reused, no allocation). */
function sgdStep(model: BagOfNgramsModel, example: Example, lr: number, buffers: StepBuffers): void {
  const { body, head } = model;
  const { embedding } = body;
  const { hidden, gradHidden, logits } = buffers;
  const dim = body.embeddingDim;
  const classes = head.bias.length;
  const { ids, weights } = example;
  hidden.fill(0);
  for (let t = 0; t < ids.length; t++) {
    const row = ids[t] * dim;
    const w = weights[t];
    for (let d = 0; d < dim; d++) hidden[d] += embedding[row + d] * w;
  }
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    let logit = head.bias[c];
    for (let d = 0; d < dim; d++) logit += hidden[d] * head.weight[d * classes + c];
    logits[c] = logit;
    if (logit > max) max = logit;
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += logits[c] = Math.exp(logits[c] - max);
  gradHidden.fill(0);
  for (let c = 0; c < classes; c++) {
    const g = logits[c] / sum - (c === example.label ? 1 : 0);
    head.bias[c] -= lr * g;
    for (let d = 0; d < dim; d++) {
      gradHidden[d] += g * head.weight[d * classes + c];
      head.weight[d * classes + c] -= lr * g * hidden[d];
    }
  }
  for (let t = 0; t < ids.length; t++) {
    const row = ids[t] * dim;
    const scale = lr * weights[t];
    for (let d = 0; d < dim; d++) embedding[row + d] -= scale * gradHidden[d];
  }
}

/**
 * Fits a fastText-style classifier (hashed n-gram embeddings, mean pool, softmax head) with
 * per-example SGD on cross-entropy, seeded. Texts are truncated exactly as {@link tokenize}
 * truncates them, so the trained weights drop straight into {@link buildTextClassifier}.
 */
export function trainBagOfNgrams(texts: string[], labels: number[], options: BagOfNgramsTrainingOptions): BagOfNgramsModel {
  const { spec, embeddingDim: dim, labelCount } = options;
  const random = new SeededRandom(options.seed ?? 7);
  const embedding = new Float32Array(spec.buckets * dim);
  const scale = (options.initScale ?? 1) / dim;
  random.fillUniform(embedding, -scale, scale, dim);
  const model: BagOfNgramsModel = {
    body: { spec, embeddingDim: dim, embedding },
    head: { weight: new Float32Array(dim * labelCount), bias: new Float32Array(labelCount) },
  };
  const examples = texts
    .map((text, i) => ({ ...tokenFeatures(text, spec), label: labels[i] }))
    .filter((e) => e.ids.length > 0);
  const epochs = options.epochs ?? 10;
  const lr0 = options.learningRate ?? 0.5;
  const total = epochs * examples.length;
  const buffers: StepBuffers = { hidden: new Float32Array(dim), gradHidden: new Float32Array(dim), logits: new Float64Array(labelCount) };
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const example of random.shuffle([...examples])) {
      sgdStep(model, example, lr0 * (1 - step++ / total), buffers);
    }
  }
  return model;
}

/** Class probabilities of a trained model for one text (TypeScript reference of the ONNX graph). */
export function predictBagOfNgrams(model: BagOfNgramsModel, text: string): Float32Array {
  const { ids, weights } = tokenFeatures(text, model.body.spec);
  const hidden = new Float32Array(model.body.embeddingDim);
  if (ids.length > 0) pool(model.body, ids, weights, hidden);
  return headProbabilities(model.head, hidden, model.head.bias.length);
}

/** Share of texts whose most probable class is the given label. */
export function accuracyOf(model: BagOfNgramsModel, texts: string[], labels: number[]): number {
  let correct = 0;
  texts.forEach((text, i) => {
    const probs = predictBagOfNgrams(model, text);
    if (probs.indexOf(Math.max(...probs)) === labels[i]) correct++;
  });
  return texts.length === 0 ? 0 : correct / texts.length;
}
