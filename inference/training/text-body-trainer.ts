import type { EngineTensor } from '../engine/engine.types';
import { tokenize, TokenizerSpec } from '../model-kit/hashed-ngram-tokenizer';
import { SeededRandom } from '../model-kit/seeded-random';
import { floatDataOrThrow, floatTensor, int64ArrayOf, int64DataOrThrow, int64Tensor, numbersOfInt64 } from '../model-kit/tensor-values';
import type { LinearHead } from '../model-kit/text-models';
import { bodyParameterDims, TextBodyShape } from './text-body-graphs';
import type { EpochReport, HeadTrainingCheckpoint, StepReport } from './softmax-head-trainer';
import { epochSeed } from './softmax-head-trainer';
import { runAllSteps, StepRunner } from './step-runner';

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
 * The distinct table rows a set of token ids uses, in first-seen order, and each token's
 * position among them (what a body step or eval graph takes as `token_rows`).
 */
export function compactRows(ids: BigInt64Array): { rows: number[]; tokenRows: BigInt64Array } {
  const position = new Map<number, number>();
  const rows: number[] = [];
  const values = numbersOfInt64(ids);
  const positions = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    let at = position.get(id);
    if (at === undefined) {
      at = rows.length;
      position.set(id, at);
      rows.push(id);
    }
    positions[i] = at;
  }
  return { rows, tokenRows: int64ArrayOf(positions) };
}

/**
 * Trains a text classifier's embedding table together with its head (SGD) by running the
 * body step graph through a {@link StepRunner}: seeded per-epoch shuffles (as the head
 * trainer's), per-step and per-epoch callbacks, checkpoints to resume from, AbortSignal.
 *
 * NOTE: the table stays here; a step sends the worker only the rows its batch uses and writes
 * the updated rows back (a step over the whole table moved it to the worker and back, and
 * through every op, each time). A checkpoint holds the rows changed since `initial` (the
 * base body's table), so it is small; a resumed run rebuilds the table from `initial` and them.
 */
export class TextBodyTrainer {
  constructor(
    private readonly runner: StepRunner,
    private readonly graphs: TextBodyGraphIds,
    private readonly shape: TextBodyShape,
  ) {}

  async train(data: TokenizedSet, options: TextBodyTrainingOptions): Promise<TextClassifierWeights> {
    const { dim } = this.shape;
    let table: Float32Array = Float32Array.from(options.initial.embedding);
    const touched = new Set<number>();
    let head: Record<string, EngineTensor> = this.headTensors(options.initial.head);
    if (options.resumeFrom) ({ head } = this.restore(options.resumeFrom.state, table, touched));
    let step = options.resumeFrom?.step ?? options.stepsBefore ?? 0;
    const first = options.resumeFrom ? options.resumeFrom.epoch + 1 : options.firstEpoch;
    let plan = first <= options.lastEpoch ? this.epochPlan(data, options, first) : undefined;
    // NOTE: an epoch's end (its validation, then its checkpoint) runs while the next epochs' steps do, in
    // epoch order; the steps go at most two epochs ahead of the last checkpoint written
    let epochEnd: Promise<void> = Promise.resolve();
    let endBefore: Promise<void> = Promise.resolve();
    for (let epoch = first; epoch <= options.lastEpoch; epoch++) {
      const totals = { loss: 0, accuracy: 0, steps: 0 };
      const { batches, steps } = plan!;
      // NOTE: the epoch's steps run back to back in the worker, which keeps the table and gathers each step's rows
      const running = runAllSteps(this.runner, this.graphs.step, { ...head, learning_rate: floatTensor(Float32Array.of(options.learningRate), []) }, {
        steps, carry: { weight: 'weight_next', bias: 'bias_next' }, report: ['loss', 'accuracy'],
        table: { input: 'embedding_rows', output: 'embedding_rows_next', rowIds: 'embedding_row_ids', dim, data: table },
      }, {
        signal: options.signal,
        onChunk: async (result, firstStep) => {
          for (let i = 0; i < result.stepsDone; i++) {
            const rows = batches[firstStep + i];
            for (const row of steps[firstStep + i].embedding_row_ids.data as BigInt64Array) touched.add(Number(row));
            const loss = result.reports.loss[i];
            totals.loss += loss * rows.length;
            totals.accuracy += result.reports.accuracy[i] * rows.length;
            totals.steps++;
            await options.onStep?.({ epoch, step: ++step, rows: rows.length, loss });
          }
        },
      });
      // NOTE: the next epoch's steps are made while the worker runs this one's (a timer, so this epoch's request goes out first)
      const next = epoch < options.lastEpoch ? new Promise<typeof plan>((resolve) => setTimeout(() => resolve(this.epochPlan(data, options, epoch + 1)), 0)) : undefined;
      let ran: Awaited<typeof running>;
      try {
        ran = await running;
      } catch (error) {
        await epochEnd; // the epochs done are still validated and checkpointed
        throw error;
      }
      await endBefore;
      plan = await next;
      head = ran.state;
      table = ran.table!;
      const report: EpochReport = { epoch, steps: totals.steps, loss: totals.loss / data.labels.length, accuracy: totals.accuracy / data.labels.length, endedAt: new Date() };
      // taken now, before the table goes back to the worker with the next epoch's steps
      const evaluation = options.validation && this.evaluationFeeds({ embedding: table, head: this.headOf(head) }, options.validation);
      const checkpoint = { epoch, step, state: this.snapshot(table, touched, head) };
      const previous = epochEnd;
      endBefore = previous;
      epochEnd = (async () => {
        await previous;
        if (evaluation) {
          const out = await this.runner.run(this.graphs.evaluate, evaluation);
          Object.assign(report, { validationLoss: floatDataOrThrow(out.loss, 'loss')[0], validationAccuracy: floatDataOrThrow(out.accuracy, 'accuracy')[0] });
        }
        await options.onCheckpoint?.(checkpoint, report);
      })();
      epochEnd.catch(() => undefined); // awaited later (see above); this only keeps a failure from counting as unhandled meanwhile
    }
    await epochEnd;
    return { embedding: table, head: this.headOf(head) };
  }

  /** Loss and accuracy of weights on a data set through the eval graph (one run, the rows its texts use). */
  async evaluate(weights: TextClassifierWeights, data: TokenizedSet): Promise<{ loss: number; accuracy: number }> {
    const out = await this.runner.run(this.graphs.evaluate, this.evaluationFeeds(weights, data));
    return { loss: floatDataOrThrow(out.loss, 'loss')[0], accuracy: floatDataOrThrow(out.accuracy, 'accuracy')[0] };
  }

  /** The eval graph's feeds for weights on a data set (the rows its texts use, copied from the table now). */
  private evaluationFeeds(weights: TextClassifierWeights, data: TokenizedSet): Record<string, EngineTensor> {
    const rows = data.labels.map((_, i) => i);
    return { ...this.batchFeeds(data, rows, weights.embedding).feeds, ...this.headTensors(weights.head) };
  }

  /**
   * The weights a checkpoint's state holds, on top of the table it was trained from
   * (`initial`, the base body's): its changed rows, or (checkpoints of older releases) the whole table.
   */
  weightsOf(state: Record<string, EngineTensor>, initial: Float32Array): TextClassifierWeights {
    const table = Float32Array.from(initial);
    const { head } = this.restore(state, table, new Set());
    return { embedding: table, head: this.headOf(head) };
  }

  /** A checkpoint's state: the rows changed since the start (ids and values, copied now) and the head. */
  private snapshot(table: Float32Array, touched: Set<number>, head: Record<string, EngineTensor>): Record<string, EngineTensor> {
    const { dim } = this.shape;
    const ids = [...touched].sort((a, b) => a - b);
    const values = new Float32Array(ids.length * dim);
    ids.forEach((row, i) => values.set(table.subarray(row * dim, (row + 1) * dim), i * dim));
    return {
      embedding_row_ids: int64Tensor(ids, [ids.length]),
      embedding_row_values: floatTensor(values, [ids.length, dim]),
      weight: { ...head.weight, data: Float32Array.from(floatDataOrThrow(head.weight, 'weight')) },
      bias: { ...head.bias, data: Float32Array.from(floatDataOrThrow(head.bias, 'bias')) },
    };
  }

  /** Writes a checkpoint's rows into `table` (marking them touched); returns its head. */
  private restore(state: Record<string, EngineTensor>, table: Float32Array, touched: Set<number>): { head: Record<string, EngineTensor> } {
    const { dim, spec } = this.shape;
    if (state.embedding) {
      const whole = floatDataOrThrow(state.embedding, 'embedding');
      if (whole.length !== table.length) throw new Error(`checkpoint embedding has ${whole.length} values, the table ${table.length}`);
      table.set(whole);
      for (let row = 0; row < spec.buckets; row++) touched.add(row);
    } else {
      const ids = int64DataOrThrow(state.embedding_row_ids, 'embedding_row_ids');
      const values = floatDataOrThrow(state.embedding_row_values, 'embedding_row_values');
      if (values.length !== ids.length * dim) throw new Error(`checkpoint has ${ids.length} embedding rows but ${values.length} values`);
      ids.forEach((id, i) => {
        const row = Number(id);
        if (!(row >= 0 && row < spec.buckets)) throw new Error(`checkpoint embedding row ${row} is outside 0..${spec.buckets - 1}`);
        table.set(values.subarray(i * dim, (i + 1) * dim), row * dim);
        touched.add(row);
      });
    }
    return { head: this.headTensors({ weight: floatDataOrThrow(state.weight, 'weight'), bias: floatDataOrThrow(state.bias, 'bias') }) };
  }

  private headOf(head: Record<string, EngineTensor>): LinearHead {
    return { weight: floatDataOrThrow(head.weight, 'weight'), bias: floatDataOrThrow(head.bias, 'bias') };
  }

  private headTensors(head: LinearHead): Record<string, EngineTensor> {
    return {
      weight: floatTensor(Float32Array.from(head.weight), bodyParameterDims(this.shape, 'weight')),
      bias: floatTensor(Float32Array.from(head.bias), bodyParameterDims(this.shape, 'bias')),
    };
  }

  /** An epoch's batches (a seeded shuffle, as the head trainer's) and their steps' feeds. */
  private epochPlan(data: TokenizedSet, options: TextBodyTrainingOptions, epoch: number): { batches: number[][]; steps: Array<Record<string, EngineTensor>> } {
    const order = new SeededRandom(epochSeed(options.seed, epoch)).shuffle(data.labels.map((_, i) => i));
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += options.batchSize) batches.push(order.slice(start, start + options.batchSize));
    return { batches, steps: batches.map((rows) => this.stepFeeds(data, rows)) };
  }

  /** A step's feeds: the rows' tokens as positions among the distinct table rows they use, and those rows' ids (the loop gathers them). */
  private stepFeeds(data: TokenizedSet, rows: number[]): Record<string, EngineTensor> {
    const length = this.shape.spec.sequenceLength;
    const ids = new BigInt64Array(rows.length * length);
    const weights = new Float32Array(rows.length * length);
    rows.forEach((row, i) => {
      ids.set(data.ids.subarray(row * length, (row + 1) * length), i * length);
      weights.set(data.weights.subarray(row * length, (row + 1) * length), i * length);
    });
    const compact = compactRows(ids);
    return {
      token_rows: { type: 'int64', dims: [rows.length, length], data: compact.tokenRows },
      token_weights: floatTensor(weights, [rows.length, length]),
      labels: int64Tensor(rows.map((r) => data.labels[r]), [rows.length]),
      embedding_row_ids: int64Tensor(compact.rows, [compact.rows.length]),
    };
  }

  /** {@link stepFeeds} with the rows gathered from `table` here (for a single run: the eval graph). */
  private batchFeeds(data: TokenizedSet, rows: number[], table: Float32Array): { feeds: Record<string, EngineTensor>; rows: number[] } {
    const { dim } = this.shape;
    const { embedding_row_ids: ids, ...feeds } = this.stepFeeds(data, rows);
    const used = Array.from(numbersOfInt64(ids.data as BigInt64Array));
    const gathered = new Float32Array(used.length * dim);
    used.forEach((row, i) => gathered.set(table.subarray(row * dim, (row + 1) * dim), i * dim));
    return { rows: used, feeds: { ...feeds, embedding_rows: floatTensor(gathered, [used.length, dim]) } };
  }
}
