import type { EngineTensor } from '../engine/engine.types';
import { tokenize, TokenizerSpec } from '../model-kit/hashed-ngram-tokenizer';
import { SeededRandom } from '../model-kit/seeded-random';
import { floatDataOrThrow, floatTensor, int64Tensor } from '../model-kit/tensor-values';
import type { LinearHead } from '../model-kit/text-models';
import { BODY_PARAMETERS, bodyParameterDims, TextBodyShape } from './text-body-graphs';
import type { EpochReport, HeadTrainingCheckpoint, StepReport } from './softmax-head-trainer';
import { epochSeed } from './softmax-head-trainer';
import { StepRunner } from './step-runner';

/** Tokenized texts with class labels: `ids`/`weights` row-major [labels.length, sequenceLength]. */
export interface TokenizedSet {
  ids: BigInt64Array;
  weights: Float32Array;
  labels: number[];
}

/** Tokenizes labelled texts once, for {@link TextBodyTrainer}. */
export function tokenizedSet(texts: string[], labels: number[], spec: TokenizerSpec): TokenizedSet {
  const { inputs } = tokenize(texts, spec);
  return { ids: inputs.token_ids.data as BigInt64Array, weights: inputs.token_weights.data as Float32Array, labels };
}

/** A whole text classifier's trainable tensors. */
export interface TextClassifierWeights {
  embedding: Float32Array;
  head: LinearHead;
}

/** How to train (epochs numbered `firstEpoch`..`lastEpoch`, so a run can follow a head-only stage). */
export interface TextBodyTrainingOptions {
  firstEpoch: number;
  lastEpoch: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  signal?: AbortSignal;
  validation?: TokenizedSet;
  /** Where to start when not resuming. */
  initial: TextClassifierWeights;
  resumeFrom?: HeadTrainingCheckpoint;
  /** Steps done before `firstEpoch` (by a head-only stage), so step numbers run on. */
  stepsBefore?: number;
  onStep?: (report: StepReport) => void | Promise<void>;
  onCheckpoint?: (checkpoint: HeadTrainingCheckpoint, report: EpochReport) => void | Promise<void>;
}

/** Graph ids the runner knows: the body step ({@link buildTextBodyStep}) and eval graph. */
export interface TextBodyGraphIds {
  step: string;
  evaluate: string;
}

/**
 * Trains a text classifier's embedding table together with its head (SGD) by running the
 * body step graph through a {@link StepRunner}: seeded per-epoch shuffles (as the head
 * trainer's), per-step and per-epoch callbacks, checkpoints to resume from, AbortSignal.
 */
export class TextBodyTrainer {
  constructor(
    private readonly runner: StepRunner,
    private readonly graphs: TextBodyGraphIds,
    private readonly shape: TextBodyShape,
  ) {}

  async train(data: TokenizedSet, options: TextBodyTrainingOptions): Promise<TextClassifierWeights> {
    let state = options.resumeFrom ? { ...options.resumeFrom.state } : this.tensorsOf(options.initial);
    let step = options.resumeFrom?.step ?? options.stepsBefore ?? 0;
    const first = options.resumeFrom ? options.resumeFrom.epoch + 1 : options.firstEpoch;
    for (let epoch = first; epoch <= options.lastEpoch; epoch++) {
      const totals = { loss: 0, accuracy: 0, steps: 0 };
      const order = new SeededRandom(epochSeed(options.seed, epoch)).shuffle(data.labels.map((_, i) => i));
      for (let start = 0; start < order.length; start += options.batchSize) {
        options.signal?.throwIfAborted();
        const rows = order.slice(start, start + options.batchSize);
        const out = await this.runner.run(this.graphs.step, { ...this.batchFeeds(data, rows), ...state, learning_rate: floatTensor(Float32Array.of(options.learningRate), []) });
        state = Object.fromEntries(BODY_PARAMETERS.map((name) => [name, out[`${name}_next`]]));
        const loss = floatDataOrThrow(out.loss, 'loss')[0];
        totals.loss += loss * rows.length;
        totals.accuracy += floatDataOrThrow(out.accuracy, 'accuracy')[0] * rows.length;
        totals.steps++;
        await options.onStep?.({ epoch, step: ++step, rows: rows.length, loss });
      }
      const report: EpochReport = { epoch, steps: totals.steps, loss: totals.loss / order.length, accuracy: totals.accuracy / order.length };
      if (options.validation) {
        const evaluation = await this.evaluate(this.weightsOf(state), options.validation);
        Object.assign(report, { validationLoss: evaluation.loss, validationAccuracy: evaluation.accuracy });
      }
      await options.onCheckpoint?.({ epoch, step, state }, report);
    }
    return this.weightsOf(state);
  }

  /** Loss and accuracy of weights on a data set through the eval graph. */
  async evaluate(weights: TextClassifierWeights, data: TokenizedSet): Promise<{ loss: number; accuracy: number }> {
    const rows = data.labels.map((_, i) => i);
    const out = await this.runner.run(this.graphs.evaluate, { ...this.batchFeeds(data, rows), ...this.tensorsOf(weights) });
    return { loss: floatDataOrThrow(out.loss, 'loss')[0], accuracy: floatDataOrThrow(out.accuracy, 'accuracy')[0] };
  }

  /** The weights held by a checkpoint's state. */
  weightsOf(state: Record<string, EngineTensor>): TextClassifierWeights {
    return { embedding: floatDataOrThrow(state.embedding, 'embedding'), head: { weight: floatDataOrThrow(state.weight, 'weight'), bias: floatDataOrThrow(state.bias, 'bias') } };
  }

  private tensorsOf(weights: TextClassifierWeights): Record<string, EngineTensor> {
    const values = { embedding: weights.embedding, weight: weights.head.weight, bias: weights.head.bias };
    return Object.fromEntries(BODY_PARAMETERS.map((name) => [name, floatTensor(Float32Array.from(values[name]), bodyParameterDims(this.shape, name))]));
  }

  private batchFeeds(data: TokenizedSet, rows: number[]): Record<string, EngineTensor> {
    const length = this.shape.spec.sequenceLength;
    const ids = new BigInt64Array(rows.length * length);
    const weights = new Float32Array(rows.length * length);
    rows.forEach((row, i) => {
      ids.set(data.ids.subarray(row * length, (row + 1) * length), i * length);
      weights.set(data.weights.subarray(row * length, (row + 1) * length), i * length);
    });
    return {
      token_ids: { type: 'int64', dims: [rows.length, length], data: ids },
      token_weights: floatTensor(weights, [rows.length, length]),
      labels: int64Tensor(rows.map((r) => data.labels[r]), [rows.length]),
    };
  }
}
