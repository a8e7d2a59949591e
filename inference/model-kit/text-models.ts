import { onnx } from 'onnx-proto';
import { assertTokenizerSpec, TokenizerSpec } from './hashed-ngram-tokenizer';
import { OnnxGraphBuilder } from './onnx-graph-builder';
import { SeededRandom } from './seeded-random';

/** Metadata keys the text builders write into the ONNX model's metadata_props. */
export const TEXT_MODEL_METADATA = {
  task: 'aiaas.task',
  tokenizer: 'aiaas.tokenizer',
  labels: 'aiaas.labels',
  embeddingDim: 'aiaas.embedding_dim',
} as const;

/** The trained body of a text model: an embedding table [buckets, dim], row 0 = padding. */
export interface TextModelBody {
  spec: TokenizerSpec;
  embeddingDim: number;
  /** Row-major [spec.buckets, embeddingDim]. */
  embedding: Float32Array;
}

/** A linear softmax head: weight row-major [dim, classes], bias [classes]. */
export interface LinearHead {
  weight: Float32Array;
  bias: Float32Array;
}

/** Options for {@link buildTextClassifier}. */
export interface TextClassifierOptions {
  spec: TokenizerSpec;
  embeddingDim: number;
  labels: string[];
  /** Trained weights; seeded random (seed 1) where absent. */
  weights?: { embedding: Float32Array; head: LinearHead };
  seed?: number;
}

function randomEmbedding(spec: TokenizerSpec, dim: number, random: SeededRandom): Float32Array {
  const table = random.normalArray(spec.buckets * dim, 1 / Math.sqrt(dim));
  table.fill(0, 0, dim);
  return table;
}

function checkSize(name: string, data: Float32Array, expected: number): Float32Array {
  if (data.length !== expected) throw new Error(`${name} has ${data.length} values, expected ${expected}`);
  return data;
}

/**
 * Adds inputs `token_ids` int64 [batch, L] and `token_weights` float32 [batch, L] and the
 * mean-pooling body (Gather -> Mul by weights -> ReduceSum over L). Returns the pooled name.
 */
function addMeanPooledBody(g: OnnxGraphBuilder, body: TextModelBody): string {
  const { spec, embeddingDim: dim } = body;
  assertTokenizerSpec(spec);
  g.input('token_ids', 'int64', ['batch', spec.sequenceLength]);
  g.input('token_weights', 'float32', ['batch', spec.sequenceLength]);
  const table = g.floats('token_embedding', [spec.buckets, dim], checkSize('embedding', body.embedding, spec.buckets * dim));
  const vectors = g.op('Gather', [table, 'token_ids'], { axis: 0 });
  const weights = g.op('Unsqueeze', ['token_weights', g.int64s('axis_last', [1], [2])]);
  const weighted = g.op('Mul', [vectors, weights]);
  return g.op('ReduceSum', [weighted, g.int64s('axis_sequence', [1], [1])], { keepdims: 0 }, 'pooled');
}

function textMetadata(task: string, body: TextModelBody, labels?: string[]): Record<string, string> {
  const metadata: Record<string, string> = {
    [TEXT_MODEL_METADATA.task]: task,
    [TEXT_MODEL_METADATA.tokenizer]: JSON.stringify(body.spec),
    [TEXT_MODEL_METADATA.embeddingDim]: String(body.embeddingDim),
  };
  if (labels) metadata[TEXT_MODEL_METADATA.labels] = JSON.stringify(labels);
  return metadata;
}

/**
 * Builds a text classifier: `token_ids`, `token_weights` -> mean-pooled embedding -> linear
 * -> outputs `logits` and `probabilities` float32 [batch, labels.length]. Batch is dynamic;
 * tokenizer spec and labels are stored in the model metadata.
 */
export function buildTextClassifier(options: TextClassifierOptions): Uint8Array {
  const { spec, embeddingDim: dim, labels } = options;
  const random = new SeededRandom(options.seed ?? 1);
  const embedding = options.weights?.embedding ?? randomEmbedding(spec, dim, random);
  const head = options.weights?.head ?? { weight: random.normalArray(dim * labels.length, 1 / Math.sqrt(dim)), bias: new Float32Array(labels.length) };
  const body: TextModelBody = { spec, embeddingDim: dim, embedding };
  const g = new OnnxGraphBuilder('text_classifier');
  const pooled = addMeanPooledBody(g, body);
  const w = g.floats('head.weight', [dim, labels.length], checkSize('head.weight', head.weight, dim * labels.length));
  const b = g.floats('head.bias', [labels.length], checkSize('head.bias', head.bias, labels.length));
  g.op('Add', [g.op('MatMul', [pooled, w]), b], {}, 'logits');
  g.op('Softmax', ['logits'], { axis: -1 }, 'probabilities');
  g.output('logits', 'float32', ['batch', labels.length]);
  g.output('probabilities', 'float32', ['batch', labels.length]);
  return g.toBytes({ metadata: textMetadata('text-classification', body, labels) });
}

/**
 * Builds a text embedder over a body: output `embedding` float32 [batch, dim], the
 * mean-pooled vector L2-normalised (an empty text embeds to the zero vector).
 */
export function buildTextEmbedder(body: TextModelBody): Uint8Array {
  const g = new OnnxGraphBuilder('text_embedder');
  const pooled = addMeanPooledBody(g, body);
  const squares = g.op('ReduceSumSquare', [pooled], { axes: [1], keepdims: 1 });
  const norm = g.op('Sqrt', [g.op('Max', [squares, g.floats('epsilon', [], [1e-12])])]);
  g.op('Div', [pooled, norm], {}, 'embedding');
  g.output('embedding', 'float32', ['batch', body.embeddingDim]);
  return g.toBytes({ metadata: textMetadata('text-embedding', body) });
}

/**
 * Builds the feature extractor of a body: output `features` float32 [batch, dim], the
 * un-normalised mean-pooled embedding that a classifier head reads. Fine-tuning runs it
 * over dataset rows, trains a new head on the features, then calls {@link buildTextClassifier}.
 */
export function buildTextFeatureExtractor(body: TextModelBody): Uint8Array {
  const g = new OnnxGraphBuilder('text_feature_extractor');
  const pooled = addMeanPooledBody(g, body);
  g.op('Identity', [pooled], {}, 'features');
  g.output('features', 'float32', ['batch', body.embeddingDim]);
  return g.toBytes({ metadata: textMetadata('text-features', body) });
}

/**
 * Widens a trained model's body by `extraDims` fixed, seeded random dimensions (uniform in
 * [-1, 1] per n-gram, 0 for padding) that its head gives weight 0, so its outputs do not change.
 * A trained body keeps little beyond what its own labels need; the random dimensions keep every
 * n-gram's identity in the pooled features (a random projection of the bag of n-grams), which a
 * new head fitted on another domain's labels can read ({@link buildFineTunedTextClassifier}).
 */
export function withRandomFeatures(model: { body: TextModelBody; head: LinearHead }, extraDims: number, seed: number): { body: TextModelBody; head: LinearHead } {
  const { spec, embeddingDim: dim, embedding } = model.body;
  const classes = model.head.bias.length;
  const wide = dim + extraDims;
  const random = new SeededRandom(seed);
  const table = new Float32Array(spec.buckets * wide);
  for (let row = 1; row < spec.buckets; row++) {
    table.set(embedding.subarray(row * dim, (row + 1) * dim), row * wide);
    random.fillUniform(table, -1, 1, row * wide + dim, (row + 1) * wide);
  }
  const weight = new Float32Array(wide * classes);
  weight.set(model.head.weight);
  return { body: { spec, embeddingDim: wide, embedding: table }, head: { weight, bias: Float32Array.from(model.head.bias) } };
}

function initializerFloats(model: onnx.ModelProto, name: string): Float32Array {
  const tensor = model.graph?.initializer?.find((t) => t.name === name);
  if (!tensor?.rawData) throw new Error(`model has no raw float initializer ${name}`);
  // NOTE: a typed-array copy (one memcpy); Uint8Array.from went byte by byte, 20-40 ms of the event loop for a 4 MB table
  const copy = new Uint8Array(tensor.rawData);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/**
 * Reads the body (tokenizer spec, embedding table) of a text model written by this kit:
 * a classifier, embedder or feature extractor. Throws when the bytes are not one.
 */
export function readTextModelBodyOrThrow(bytes: Uint8Array): TextModelBody {
  const model = onnx.ModelProto.decode(bytes);
  const meta = new Map(model.metadataProps.map((p) => [p.key, p.value]));
  const specJson = meta.get(TEXT_MODEL_METADATA.tokenizer);
  if (!specJson) throw new Error('model carries no tokenizer spec; not a model-kit text model');
  const spec = JSON.parse(specJson) as TokenizerSpec;
  const embedding = initializerFloats(model, 'token_embedding');
  return { spec, embeddingDim: embedding.length / spec.buckets, embedding };
}

/**
 * Builds a new text classifier from a base text model's body and a trained head (new labels):
 * the fine-tuning result. Inputs and outputs as {@link buildTextClassifier}.
 */
export function buildFineTunedTextClassifier(baseModel: Uint8Array, head: LinearHead, labels: string[]): Uint8Array {
  const body = readTextModelBodyOrThrow(baseModel);
  return buildTextClassifier({ spec: body.spec, embeddingDim: body.embeddingDim, labels, weights: { embedding: body.embedding, head } });
}
