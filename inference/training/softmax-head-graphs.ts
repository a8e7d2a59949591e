import type { EngineTensor } from '../engine/engine.types';
import { OnnxGraphBuilder } from '../model-kit/onnx-graph-builder';

/** SGD with momentum: v = momentum * v + g; w -= lr * v. */
export interface SgdMomentumOptimizer {
  kind: 'sgd-momentum';
  momentum?: number;
  weightDecay?: number;
}

/** Adam (bias-corrected). */
export interface AdamOptimizer {
  kind: 'adam';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

/** The optimizer a step graph applies. */
export type HeadOptimizer = SgdMomentumOptimizer | AdamOptimizer;

/** Shape of a softmax head: features of `dim` values, `classes` outputs. */
export interface SoftmaxHeadShape {
  dim: number;
  classes: number;
}

/** The parameters a step updates: `weight` [dim, classes] and `bias` [classes]. */
export const HEAD_PARAMETERS = ['weight', 'bias'] as const;

/** Output name of the updated value of a state input (`weight` -> `weight_next`). */
export function nextName(stateName: string): string {
  return `${stateName}_next`;
}

/** Names of the optimizer state inputs, in feed order. */
export function optimizerStateNames(optimizer: HeadOptimizer): string[] {
  if (optimizer.kind === 'sgd-momentum') return ['velocity_weight', 'velocity_bias'];
  return ['adam_m_weight', 'adam_v_weight', 'adam_m_bias', 'adam_v_bias', 'adam_step'];
}

/** Shape of a state tensor: weight-like [dim, classes], bias-like [classes], the Adam step a scalar. */
export function stateDims(shape: SoftmaxHeadShape, name: string): number[] {
  if (name === 'adam_step') return [];
  return name.endsWith('weight') ? [shape.dim, shape.classes] : [shape.classes];
}

/** Zero-initialised optimizer state for a head shape. */
export function initialOptimizerState(shape: SoftmaxHeadShape, optimizer: HeadOptimizer): Record<string, EngineTensor> {
  return Object.fromEntries(
    optimizerStateNames(optimizer).map((name) => {
      const dims = stateDims(shape, name);
      return [name, { type: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) }];
    }),
  );
}

interface HeadForward {
  logits: string;
  logProbabilities: string;
  oneHot: string;
}

/** Inputs features/labels/weight/bias, and outputs `loss` and `accuracy` (both scalars). */
function addForwardAndLoss(g: OnnxGraphBuilder, shape: SoftmaxHeadShape): HeadForward {
  g.input('features', 'float32', ['batch', shape.dim]);
  g.input('labels', 'int64', ['batch']);
  g.input('weight', 'float32', [shape.dim, shape.classes]);
  g.input('bias', 'float32', [shape.classes]);
  const logits = g.op('Add', [g.op('MatMul', ['features', 'weight']), 'bias'], {}, 'logits');
  const logProbabilities = g.op('LogSoftmax', [logits], { axis: 1 });
  const depth = g.int64s('classes', [], [shape.classes]);
  const oneHot = g.op('OneHot', ['labels', depth, g.floats('one_hot_values', [2], [0, 1])], { axis: -1 });
  const picked = g.op('ReduceSum', [g.op('Mul', [oneHot, logProbabilities]), g.int64s('axis_classes', [1], [1])], { keepdims: 0 });
  g.op('Neg', [g.op('ReduceMean', [picked], { keepdims: 0 })], {}, 'loss');
  const predictions = g.op('ArgMax', [logits], { axis: 1, keepdims: 0 }, 'predictions');
  const correct = g.op('Cast', [g.op('Equal', [predictions, 'labels'])], { to: 1 });
  g.op('ReduceMean', [correct], { keepdims: 0 }, 'accuracy');
  g.output('loss', 'float32', []);
  g.output('accuracy', 'float32', []);
  return { logits, logProbabilities, oneHot };
}

/** Analytic gradients of mean cross-entropy: dW = X^T (p - y) / n, db = sum_rows (p - y) / n. */
function addGradients(g: OnnxGraphBuilder, forward: HeadForward, weightDecay: number): { weight: string; bias: string } {
  const batch = g.op('Cast', [g.op('Shape', ['features'], { start: 0, end: 1 })], { to: 1 });
  const residual = g.op('Div', [g.op('Sub', [g.op('Exp', [forward.logProbabilities]), forward.oneHot]), batch]);
  let weight = g.op('MatMul', [g.op('Transpose', ['features'], { perm: [1, 0] }), residual]);
  if (weightDecay > 0) weight = g.op('Add', [weight, g.op('Mul', ['weight', g.floats('weight_decay', [], [weightDecay])])]);
  const bias = g.op('ReduceSum', [residual, g.int64s('axis_rows', [1], [0])], { keepdims: 0 });
  return { weight, bias };
}

function scalar(g: OnnxGraphBuilder, name: string, value: number): string {
  return g.floats(name, [], [value]);
}

function addSgdMomentum(g: OnnxGraphBuilder, grads: Record<string, string>, optimizer: SgdMomentumOptimizer): void {
  const momentum = scalar(g, 'momentum', optimizer.momentum ?? 0.9);
  for (const param of HEAD_PARAMETERS) {
    const velocity = g.op('Add', [g.op('Mul', [momentum, `velocity_${param}`]), grads[param]], {}, nextName(`velocity_${param}`));
    g.op('Sub', [param, g.op('Mul', ['learning_rate', velocity])], {}, nextName(param));
  }
}

function addAdam(g: OnnxGraphBuilder, grads: Record<string, string>, optimizer: AdamOptimizer): void {
  const [b1, b2] = [optimizer.beta1 ?? 0.9, optimizer.beta2 ?? 0.999];
  const step = g.op('Add', ['adam_step', scalar(g, 'one', 1)], {}, nextName('adam_step'));
  const correction = (beta: number, name: string): string =>
    g.op('Sub', ['one', g.op('Pow', [scalar(g, name, beta), step])]);
  const [c1, c2] = [correction(b1, 'beta1'), correction(b2, 'beta2')];
  const [k1, k2, eps] = [scalar(g, 'one_minus_beta1', 1 - b1), scalar(g, 'one_minus_beta2', 1 - b2), scalar(g, 'epsilon', optimizer.epsilon ?? 1e-8)];
  for (const param of HEAD_PARAMETERS) {
    const grad = grads[param];
    const m = g.op('Add', [g.op('Mul', ['beta1', `adam_m_${param}`]), g.op('Mul', [k1, grad])], {}, nextName(`adam_m_${param}`));
    const v = g.op('Add', [g.op('Mul', ['beta2', `adam_v_${param}`]), g.op('Mul', [k2, g.op('Mul', [grad, grad])])], {}, nextName(`adam_v_${param}`));
    const denominator = g.op('Add', [g.op('Sqrt', [g.op('Div', [v, c2])]), eps]);
    const update = g.op('Mul', ['learning_rate', g.op('Div', [g.op('Div', [m, c1]), denominator])]);
    g.op('Sub', [param, update], {}, nextName(param));
  }
}

/**
 * Builds the ONNX graph of ONE optimisation step of a softmax head on fixed features.
 * Inputs: `features` float32 [batch, dim], `labels` int64 [batch], `weight` [dim, classes],
 * `bias` [classes], `learning_rate` float32 scalar, then the optimizer state
 * ({@link optimizerStateNames}). Outputs: `loss` (mean cross-entropy before the update),
 * `accuracy` (of the batch before the update), and `<state>_next` for weight, bias and
 * every optimizer state. Gradients are computed analytically inside the graph.
 */
export function buildSoftmaxHeadStep(shape: SoftmaxHeadShape, optimizer: HeadOptimizer): Uint8Array {
  const g = new OnnxGraphBuilder(`softmax_head_step_${optimizer.kind}`);
  const forward = addForwardAndLoss(g, shape);
  g.input('learning_rate', 'float32', []);
  for (const name of optimizerStateNames(optimizer)) g.input(name, 'float32', stateDims(shape, name));
  const grads = addGradients(g, forward, optimizer.weightDecay ?? 0);
  if (optimizer.kind === 'sgd-momentum') addSgdMomentum(g, grads, optimizer);
  else addAdam(g, grads, optimizer);
  for (const name of [...HEAD_PARAMETERS, ...optimizerStateNames(optimizer)]) {
    g.output(nextName(name), 'float32', stateDims(shape, name));
  }
  return g.toBytes({ docString: 'One training step of a softmax head (cross-entropy, analytic gradient).' });
}

/**
 * Builds the evaluation graph of a softmax head: inputs `features`, `labels`, `weight`, `bias`;
 * outputs `loss` and `accuracy` (scalars), `predictions` int64 [batch] and `probabilities` [batch, classes].
 */
export function buildSoftmaxHeadEval(shape: SoftmaxHeadShape): Uint8Array {
  const g = new OnnxGraphBuilder('softmax_head_eval');
  const forward = addForwardAndLoss(g, shape);
  g.op('Softmax', [forward.logits], { axis: 1 }, 'probabilities');
  g.output('predictions', 'int64', ['batch']);
  g.output('probabilities', 'float32', ['batch', shape.classes]);
  return g.toBytes({ docString: 'Evaluation of a softmax head: loss, accuracy, predictions.' });
}
