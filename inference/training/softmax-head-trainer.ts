import type { EngineTensor } from '../engine/engine.types';
import { SeededRandom } from '../model-kit/seeded-random';
import { floatDataOrThrow, floatTensor, int64Tensor } from '../model-kit/tensor-values';
import { LinearHead } from '../model-kit/text-models';
import { HeadOptimizer, HEAD_PARAMETERS, initialOptimizerState, nextName, optimizerStateNames, SoftmaxHeadShape } from './softmax-head-graphs';
import { runAllSteps, StepRunner } from './step-runner';

/** Rows of fixed features with class labels: `features` row-major [labels.length, dim]. */
export interface HeadTrainingSet {
  features: Float32Array;
  labels: number[];
}

/** What one finished epoch reports. */
export interface EpochReport {
  epoch: number;
  steps: number;
  /** Mean training loss over the epoch's batches (each measured before its update). */
  loss: number;
  /** Mean training accuracy over the epoch's batches (each measured before its update). */
  accuracy: number;
  /** When the epoch's last step ended (its end's validation and checkpoint may come later). */
  endedAt?: Date;
  /** On the validation set after the epoch, when one and an eval graph are given. */
  validationLoss?: number;
  validationAccuracy?: number;
}

/** Graph ids (or paths) the runner knows: the step graph and, optionally, the eval graph. */
export interface SoftmaxHeadGraphIds {
  step: string;
  evaluate?: string;
}

/** Where a resumed run picks up: the state (head + optimizer) at the end of `epoch`. */
export interface HeadTrainingCheckpoint {
  /** Epochs done (1-based; 0 = none). */
  epoch: number;
  /** Steps done in all. */
  step: number;
  /** `weight`, `bias` and the optimizer state tensors, as the step graph returns them. */
  state: Record<string, EngineTensor>;
}

/** One finished step, told to `onStep`. */
export interface StepReport {
  epoch: number;
  /** 1-based, counted over the whole run (a resumed run goes on from its checkpoint's step). */
  step: number;
  rows: number;
  loss: number;
}

/** How to train. */
export interface HeadTrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed?: number;
  signal?: AbortSignal;
  validation?: HeadTrainingSet;
  /** Called after every epoch; awaited, so it may persist progress. */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Start from these weights instead of a seeded small random init. */
  initialHead?: LinearHead;
  /** Carry on from a checkpoint (its epochs are skipped; later shuffles are as in an unbroken run). */
  resumeFrom?: HeadTrainingCheckpoint;
  /** Called after every step; awaited. */
  onStep?: (report: StepReport) => void | Promise<void>;
  /** Called after every epoch with the checkpoint to resume from; awaited, after `onEpoch`. */
  onCheckpoint?: (checkpoint: HeadTrainingCheckpoint, report: EpochReport) => void | Promise<void>;
}

/** Steps of one epoch over `rows` rows in batches of `batchSize`. */
export function stepsPerEpoch(rows: number, batchSize: number): number {
  return Math.ceil(rows / batchSize);
}

/** A trained head and its per-epoch history. */
export interface HeadTrainingResult {
  head: LinearHead;
  history: EpochReport[];
}

/**
 * Trains a softmax head on fixed features by running ONNX training-step graphs through a
 * {@link StepRunner} (the EnginePool in production, {@link LocalStepRunner} in tests):
 * seeded shuffles and mini-batches, per-epoch reports, cancellation through an AbortSignal.
 * The step graph must match `shape` and `optimizer` ({@link buildSoftmaxHeadStep}).
 */
export class SoftmaxHeadTrainer {
  constructor(
    private readonly runner: StepRunner,
    private readonly graphs: SoftmaxHeadGraphIds,
    private readonly shape: SoftmaxHeadShape,
    private readonly optimizer: HeadOptimizer,
  ) {}

  /**
   * Runs the epochs; rejects with the signal's reason when aborted (checked before every step).
   * Each epoch's shuffle is drawn from (seed, epoch), so a run resumed from a checkpoint takes
   * the same batches as one that never stopped.
   */
  async train(data: HeadTrainingSet, options: HeadTrainingOptions): Promise<HeadTrainingResult> {
    this.assertTrainingSet(data);
    const seed = options.seed ?? 1;
    let state = options.resumeFrom ? { ...options.resumeFrom.state } : this.initialState(new SeededRandom(seed), options.initialHead);
    let step = options.resumeFrom?.step ?? 0;
    const history: EpochReport[] = [];
    for (let epoch = (options.resumeFrom?.epoch ?? 0) + 1; epoch <= options.epochs; epoch++) {
      const totals = { loss: 0, accuracy: 0, steps: 0 };
      const order = new SeededRandom(epochSeed(seed, epoch)).shuffle(data.labels.map((_, i) => i));
      const batches: number[][] = [];
      for (let start = 0; start < order.length; start += options.batchSize) batches.push(order.slice(start, start + options.batchSize));
      // NOTE: the epoch's steps run back to back in the worker, each step's head and optimizer state feeding the next
      ({ state } = await runAllSteps(this.runner, this.graphs.step, { ...state, learning_rate: floatTensor(Float32Array.of(options.learningRate), []) }, {
        steps: batches.map((rows) => this.batchFeeds(data, rows)), carry: this.carried(), report: ['loss', 'accuracy'],
      }, {
        signal: options.signal,
        onChunk: async (result, firstStep) => {
          for (let i = 0; i < result.stepsDone; i++) {
            const rows = batches[firstStep + i];
            const loss = result.reports.loss[i];
            totals.loss += loss * rows.length;
            totals.accuracy += result.reports.accuracy[i] * rows.length;
            totals.steps++;
            step++; // NOTE: not inside the optional call below, whose arguments are not evaluated without an onStep
            await options.onStep?.({ epoch, step, rows: rows.length, loss });
          }
        },
      }));
      const report: EpochReport = { epoch, steps: totals.steps, loss: totals.loss / order.length, accuracy: totals.accuracy / order.length };
      if (options.validation && this.graphs.evaluate) {
        const evaluation = await this.evaluate(this.headOf(state), options.validation);
        Object.assign(report, { validationLoss: evaluation.loss, validationAccuracy: evaluation.accuracy });
      }
      history.push(report);
      await options.onEpoch?.(report);
      await options.onCheckpoint?.({ epoch, step, state }, report);
    }
    return { head: this.headOf(state), history };
  }

  /** The head held by a checkpoint's state. */
  headOf(state: Record<string, EngineTensor>): LinearHead {
    return { weight: floatDataOrThrow(state.weight, 'weight'), bias: floatDataOrThrow(state.bias, 'bias') };
  }

  /** Loss and accuracy of a head on a data set through the eval graph. */
  async evaluate(head: LinearHead, data: HeadTrainingSet): Promise<{ loss: number; accuracy: number }> {
    if (!this.graphs.evaluate) throw new Error('no eval graph configured');
    this.assertTrainingSet(data);
    const rows = data.labels.map((_, i) => i);
    const out = await this.runner.run(this.graphs.evaluate, { ...this.batchFeeds(data, rows), ...this.headTensors(head) });
    return { loss: floatDataOrThrow(out.loss, 'loss')[0], accuracy: floatDataOrThrow(out.accuracy, 'accuracy')[0] };
  }

  private initialState(random: SeededRandom, head?: LinearHead): Record<string, EngineTensor> {
    const { dim, classes } = this.shape;
    const start = head ?? { weight: random.normalArray(dim * classes, 0.01), bias: new Float32Array(classes) };
    return { ...this.headTensors(start), ...initialOptimizerState(this.shape, this.optimizer) };
  }

  private headTensors(head: LinearHead): Record<string, EngineTensor> {
    return {
      weight: floatTensor(Float32Array.from(head.weight), [this.shape.dim, this.shape.classes]),
      bias: floatTensor(Float32Array.from(head.bias), [this.shape.classes]),
    };
  }

  /** The step graph's carried state: each parameter and optimizer tensor, fed by its `_next` output. */
  private carried(): Record<string, string> {
    const names = [...HEAD_PARAMETERS, ...optimizerStateNames(this.optimizer)];
    return Object.fromEntries(names.map((name) => [name, nextName(name)]));
  }

  private batchFeeds(data: HeadTrainingSet, rows: number[]): Record<string, EngineTensor> {
    const { dim } = this.shape;
    const features = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => features.set(data.features.subarray(row * dim, (row + 1) * dim), i * dim));
    return { features: floatTensor(features, [rows.length, dim]), labels: int64Tensor(rows.map((r) => data.labels[r]), [rows.length]) };
  }

  private assertTrainingSet(data: HeadTrainingSet): void {
    const { dim, classes } = this.shape;
    if (data.labels.length === 0) throw new Error('training set is empty');
    if (data.features.length !== data.labels.length * dim) throw new Error(`features must be [${data.labels.length}, ${dim}]`);
    const bad = data.labels.find((l) => !Number.isInteger(l) || l < 0 || l >= classes);
    if (bad !== undefined) throw new Error(`label ${bad} is outside 0..${classes - 1}`);
  }
}

/** The shuffle seed of one epoch of a run (shared by the trainers, so a resumed run shuffles alike). */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + epoch) >>> 0;
}
