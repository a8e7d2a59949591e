import { tokenIds, TokenizerSpec } from './hashed-ngram-tokenizer';
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
}

/** A trained text classifier: body (embedding table) plus linear head. */
export interface BagOfNgramsModel {
  body: TextModelBody;
  head: LinearHead;
}

interface Example {
  ids: number[];
  label: number;
}

/** Mean of the embedding rows of `ids` (the model body, as the ONNX graph computes it). */
function pool(body: TextModelBody, ids: number[], out: Float32Array): void {
  const dim = body.embeddingDim;
  out.fill(0);
  for (const id of ids) for (let d = 0; d < dim; d++) out[d] += body.embedding[id * dim + d] / ids.length;
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

/** One SGD step on cross-entropy for one example; returns its loss. */
function sgdStep(model: BagOfNgramsModel, example: Example, lr: number, hidden: Float32Array): number {
  const { body, head } = model;
  const dim = body.embeddingDim;
  const classes = head.bias.length;
  pool(body, example.ids, hidden);
  const probs = headProbabilities(head, hidden, classes);
  const gradHidden = new Float32Array(dim);
  for (let c = 0; c < classes; c++) {
    const g = probs[c] - (c === example.label ? 1 : 0);
    head.bias[c] -= lr * g;
    for (let d = 0; d < dim; d++) {
      gradHidden[d] += g * head.weight[d * classes + c];
      head.weight[d * classes + c] -= lr * g * hidden[d];
    }
  }
  for (const id of example.ids) {
    for (let d = 0; d < dim; d++) body.embedding[id * dim + d] -= (lr * gradHidden[d]) / example.ids.length;
  }
  return -Math.log(Math.max(probs[example.label], 1e-12));
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
  for (let i = dim; i < embedding.length; i++) embedding[i] = (random.next() * 2 - 1) / dim;
  const model: BagOfNgramsModel = {
    body: { spec, embeddingDim: dim, embedding },
    head: { weight: new Float32Array(dim * labelCount), bias: new Float32Array(labelCount) },
  };
  const examples = texts
    .map((text, i) => ({ ids: tokenIds(text, spec).slice(0, spec.sequenceLength), label: labels[i] }))
    .filter((e) => e.ids.length > 0);
  const epochs = options.epochs ?? 10;
  const lr0 = options.learningRate ?? 0.5;
  const total = epochs * examples.length;
  const hidden = new Float32Array(dim);
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const example of random.shuffle([...examples])) {
      sgdStep(model, example, lr0 * (1 - step++ / total), hidden);
    }
  }
  return model;
}

/** Class probabilities of a trained model for one text (TypeScript reference of the ONNX graph). */
export function predictBagOfNgrams(model: BagOfNgramsModel, text: string): Float32Array {
  const ids = tokenIds(text, model.body.spec).slice(0, model.body.spec.sequenceLength);
  const hidden = new Float32Array(model.body.embeddingDim);
  if (ids.length > 0) pool(model.body, ids, hidden);
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
