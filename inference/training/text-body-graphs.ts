import type { TokenizerSpec } from '../model-kit/hashed-ngram-tokenizer';
import { OnnxGraphBuilder } from '../model-kit/onnx-graph-builder';

/** Shape of a text classifier whose body is trained too: the tokenizer, embedding width, classes. */
export interface TextBodyShape {
  spec: TokenizerSpec;
  dim: number;
  classes: number;
}

/** The parameters of a whole text classifier: the embedding table, then the head. */
export const BODY_PARAMETERS = ['embedding', 'weight', 'bias'] as const;

/** Dims of a body parameter. */
export function bodyParameterDims(shape: TextBodyShape, name: (typeof BODY_PARAMETERS)[number]): number[] {
  if (name === 'embedding') return [shape.spec.buckets, shape.dim];
  return name === 'weight' ? [shape.dim, shape.classes] : [shape.classes];
}

/**
 * The tensors a body step updates: the embedding rows its batch uses (`embedding_rows`
 * [rows, dim], gathered by the caller from the table), then the head.
 */
export const BODY_STEP_STATE = ['embedding_rows', 'weight', 'bias'] as const;

/**
 * token_rows/token_weights -> mean-pooled embedding -> logits; loss and accuracy against
 * `labels`. `token_rows` index `embedding_rows` (the batch's distinct table rows), not the table.
 */
function addForward(g: OnnxGraphBuilder, shape: TextBodyShape) {
  const { spec, dim, classes } = shape;
  g.input('token_rows', 'int64', ['batch', spec.sequenceLength]);
  g.input('token_weights', 'float32', ['batch', spec.sequenceLength]);
  g.input('labels', 'int64', ['batch']);
  g.input('embedding_rows', 'float32', ['rows', dim]);
  g.input('weight', 'float32', [dim, classes]);
  g.input('bias', 'float32', [classes]);
  const vectors = g.op('Gather', ['embedding_rows', 'token_rows'], { axis: 0 });
  const tokenWeights = g.op('Unsqueeze', ['token_weights', g.int64s('axis_last', [1], [2])]);
  const pooled = g.op('ReduceSum', [g.op('Mul', [vectors, tokenWeights]), g.int64s('axis_sequence', [1], [1])], { keepdims: 0 });
  const logits = g.op('Add', [g.op('MatMul', [pooled, 'weight']), 'bias']);
  const logProbabilities = g.op('LogSoftmax', [logits], { axis: 1 });
  const oneHot = g.op('OneHot', ['labels', g.int64s('classes', [], [classes]), g.floats('one_hot_values', [2], [0, 1])], { axis: -1 });
  const picked = g.op('ReduceSum', [g.op('Mul', [oneHot, logProbabilities]), g.int64s('axis_classes', [1], [1])], { keepdims: 0 });
  g.op('Neg', [g.op('ReduceMean', [picked], { keepdims: 0 })], {}, 'loss');
  const correct = g.op('Cast', [g.op('Equal', [g.op('ArgMax', [logits], { axis: 1, keepdims: 0 }), 'labels'])], { to: 1 });
  g.op('ReduceMean', [correct], { keepdims: 0 }, 'accuracy');
  g.output('loss', 'float32', []);
  g.output('accuracy', 'float32', []);
  return { pooled, logProbabilities, oneHot, tokenWeights };
}

/**
 * Builds ONE SGD step of a whole text classifier (embedding table and softmax head) on a
 * batch of tokenized texts, for bodies that cannot separate a partner's labels when frozen.
 * Inputs: `token_rows` (each token's row in `embedding_rows`), `token_weights`, `labels`,
 * `embedding_rows` (the distinct table rows the batch uses), `weight`, `bias`,
 * `learning_rate`; outputs `loss`, `accuracy` (before the update) and `<state>_next`
 * ({@link BODY_STEP_STATE}). Gradients are analytic: the head's as in the softmax-head step;
 * each token's row gets its weight times the pooled gradient, summed by ScatterND (reduction
 * add, in token order). Padding (weight 0) gets none.
 *
 * NOTE: only the batch's rows cross to the worker and back (a few hundred of the table's
 * buckets): a rows-not-in-the-batch update is exactly nothing, so the caller's scatter of
 * `embedding_rows_next` into its table equals a step over the whole table, bit for bit.
 */
export function buildTextBodyStep(shape: TextBodyShape): Uint8Array {
  const g = new OnnxGraphBuilder('text_body_step_sgd');
  const f = addForward(g, shape);
  g.input('learning_rate', 'float32', []);
  const batch = g.op('Cast', [g.op('Shape', ['token_rows'], { start: 0, end: 1 })], { to: 1 });
  const residual = g.op('Div', [g.op('Sub', [g.op('Exp', [f.logProbabilities]), f.oneHot]), batch]);
  const gradWeight = g.op('MatMul', [g.op('Transpose', [f.pooled], { perm: [1, 0] }), residual]);
  const gradBias = g.op('ReduceSum', [residual, g.int64s('axis_rows', [1], [0])], { keepdims: 0 });
  const gradPooled = g.op('MatMul', [residual, g.op('Transpose', ['weight'], { perm: [1, 0] })]);
  const gradVectors = g.op('Mul', [g.op('Unsqueeze', [gradPooled, g.int64s('axis_tokens', [1], [1])]), f.tokenWeights]);
  const updates = g.op('Reshape', [gradVectors, g.int64s('rows_by_dim', [2], [-1, shape.dim])]);
  const indices = g.op('Reshape', ['token_rows', g.int64s('rows_by_one', [2], [-1, 1])]);
  const zeros = g.op('Mul', ['embedding_rows', g.floats('zero', [], [0])]);
  const gradRows = g.op('ScatterND', [zeros, indices, updates], { reduction: 'add' });
  const grads: Record<string, string> = { embedding_rows: gradRows, weight: gradWeight, bias: gradBias };
  const dims: Record<string, Array<number | string>> = { embedding_rows: ['rows', shape.dim], weight: [shape.dim, shape.classes], bias: [shape.classes] };
  for (const name of BODY_STEP_STATE) {
    g.op('Sub', [name, g.op('Mul', ['learning_rate', grads[name]])], {}, `${name}_next`);
    g.output(`${name}_next`, 'float32', dims[name]);
  }
  return g.toBytes({ docString: 'One SGD step of a text classifier: the batch\'s embedding rows and the softmax head.' });
}

/** The evaluation graph of a text classifier given as tensors (the rows its texts use): `loss` and `accuracy`. */
export function buildTextBodyEval(shape: TextBodyShape): Uint8Array {
  const g = new OnnxGraphBuilder('text_body_eval');
  addForward(g, shape);
  return g.toBytes({ docString: 'Loss and accuracy of a text classifier given as tensors.' });
}

/**
 * The base body's features of tokenized texts, from the rows they use: `token_rows`,
 * `token_weights`, `embedding_rows` -> `features` [batch, dim], the weighted sum of each
 * text's rows (what the body's feature extractor computes, without its table: a job's
 * feature pass sends the rows its texts use instead of loading a session of the whole table).
 */
export function buildTextRowsPooling(shape: Pick<TextBodyShape, 'spec' | 'dim'>): Uint8Array {
  const { spec, dim } = shape;
  const g = new OnnxGraphBuilder('text_rows_pooling');
  g.input('token_rows', 'int64', ['batch', spec.sequenceLength]);
  g.input('token_weights', 'float32', ['batch', spec.sequenceLength]);
  g.input('embedding_rows', 'float32', ['rows', dim]);
  const vectors = g.op('Gather', ['embedding_rows', 'token_rows'], { axis: 0 });
  const weights = g.op('Unsqueeze', ['token_weights', g.int64s('axis_last', [1], [2])]);
  g.op('ReduceSum', [g.op('Mul', [vectors, weights]), g.int64s('axis_sequence', [1], [1])], { keepdims: 0 }, 'features');
  g.output('features', 'float32', ['batch', dim]);
  return g.toBytes({ docString: 'Pooled features of tokenized texts from the embedding rows they use.' });
}
