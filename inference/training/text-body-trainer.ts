import type { EngineTensor } from '../engine/engine.types';
import { tokenize, TokenizerSpec } from '../model-kit/hashed-ngram-tokenizer';
import { SeededRandom } from '../model-kit/seeded-random';
import { floatDataOrThrow, floatTensor, int64ArrayOf, int64DataOrThrow, int64Tensor, numbersOfInt64 } from '../model-kit/tensor-values';
import type { LinearHead } from '../model-kit/text-models';
import { bodyParameterDims, TextBodyShape } from './text-body-graphs';
import type { EpochReport, HeadTrainingCheckpoint, StepReport } from './softmax-head-trainer';
import { epochSeed } from './softmax-head-trainer';
import { MAX_STEPS_PER_REQUEST, runAllSteps, type StepLoopMark, StepRunner } from './step-runner';

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
  /**
   * Epochs sent to the worker in one request after the first (default: as many as make at most
   * MAX_STEPS_PER_REQUEST steps). A training state is kept at the first epoch and at each request's last.
   */
  epochsPerRequest?: number;
  onStep?: (report: StepReport) => void | Promise<void>;
  /** At each epoch's end, in order; `state` only at the first epoch and each request's last (see epochsPerRequest). */
  onCheckpoint?: (checkpoint: EpochCheckpoint, report: EpochReport) => void | Promise<void>;
}

/** An epoch's end as {@link TextBodyTrainer} reports it: a checkpoint to resume from where it has a state. */
export type EpochCheckpoint = Omit<HeadTrainingCheckpoint, 'state'> & { state?: HeadTrainingCheckpoint['state'] };

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
  return compactRowIds(numbersOfInt64(ids));
}

/** Each table row's position + 1 among a call's distinct rows (0: not seen), reset after each call. */
let rowPositions = new Int32Array(0);
/** Largest row id {@link compactRowIds} indexes a scratch array by; beyond it a Map does. */
const MAX_INDEXED_ROW = 1 << 22;

/**
 * {@link compactRows} of ids given as numbers. NOTE: positions are looked up in a reused
 * scratch array, not a Map: a job compacts every step's rows on the API's event loop each
 * epoch, and a Map per step was the largest share of its garbage (more major collections
 * while it trains, each a pause for the inference calls on that loop).
 */
function compactRowIds(values: ArrayLike<number>): { rows: number[]; tokenRows: BigInt64Array } {
  let indexed = true;
  for (let i = 0; i < values.length && indexed; i++) indexed = values[i] >= 0 && values[i] <= MAX_INDEXED_ROW && Number.isInteger(values[i]);
  const rows: number[] = [];
  const positions = new Int32Array(values.length);
  if (indexed) {
    for (let i = 0; i < values.length; i++) if (values[i] >= rowPositions.length) rowPositions = new Int32Array(Math.max(values[i] + 1, 2 * rowPositions.length));
    for (let i = 0; i < values.length; i++) {
      const id = values[i];
      let at = rowPositions[id] - 1;
      if (at < 0) {
        at = rows.length;
        rowPositions[id] = at + 1;
        rows.push(id);
      }
      positions[i] = at;
    }
    for (const row of rows) rowPositions[row] = 0;
    return { rows, tokenRows: int64ArrayOf(positions) };
  }
  const position = new Map<number, number>();
  const wide = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    let at = position.get(id);
    if (at === undefined) {
      at = rows.length;
      position.set(id, at);
      rows.push(id);
    }
    wide[i] = at;
  }
  return { rows, tokenRows: int64ArrayOf(wide) };
}

/**
 * Rounds' epoch ends (validation, checkpoints) that may wait behind the steps. NOTE: a
 * checkpoint is written once the steps before it are billed (two commits): when epoch ends
 * could wait only behind the next epoch, its steps waited on those commits whenever the
 * database answered slower than the worker ran an epoch.
 */
const ROUND_ENDS_AHEAD = 2;

/**
 * Time a round's request may hold the training worker before it hands back (the rest goes in
 * the next request). NOTE: a round of several epochs runs longer than one step loop's default
 * budget; a cancel still stops it within a step (the loop's stop flag), inference queued on the
 * device within a step (the yield flag).
 */
const ROUND_BUDGET_MS = 250;

/** An epoch's batches and their steps' feeds, with each step's table rows as numbers (to mark them touched). */
interface EpochPlan {
  batches: number[][];
  steps: Array<Record<string, EngineTensor>>;
  stepRows: number[][];
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
 *
 * NOTE: epochs go to the worker in rounds (the first alone, then as many as fit in one request),
 * each epoch's end marked in the loop, which keeps that epoch's head and validation rows for its
 * validation: one round trip a round instead of one an epoch (at ~10 ms an epoch, the trips were
 * a fifth of the worker's time), and a state is taken once a round (checkpoints keep the state
 * of a round's last epoch; the epochs between them are redone after a resume).
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
    // NOTE: a byte per table row (1: changed since `initial`), marked from each step's row ids as plain numbers
    const touched = new Uint8Array(this.shape.spec.buckets);
    let head: Record<string, EngineTensor> = this.headTensors(options.initial.head);
    if (options.resumeFrom) ({ head } = this.restore(options.resumeFrom.state, table, touched));
    let step = options.resumeFrom?.step ?? options.stepsBefore ?? 0;
    const first = options.resumeFrom ? options.resumeFrom.epoch + 1 : options.firstEpoch;
    const last = options.lastEpoch;
    const tokenIds = numbersOfInt64(data.ids);
    // the validation rows' feeds, made once: each epoch's end only gathers their table rows
    const validation = options.validation && this.evaluationPlan(options.validation);
    const markRows = validation && int64ArrayOf(validation.tableRows);
    const perRequest = options.epochsPerRequest ?? Math.max(1, Math.floor(MAX_STEPS_PER_REQUEST / Math.max(1, Math.ceil(data.labels.length / options.batchSize))));
    // the first epoch alone (its state comes back at once), then rounds of `perRequest` epochs
    const roundFrom = (epoch: number) => ({ from: epoch, to: Math.min(last, epoch === first ? epoch : epoch + perRequest - 1) });
    let round = first <= last ? roundFrom(first) : undefined;
    let plans = round ? await this.roundPlans(data, tokenIds, options, round) : [];
    // NOTE: a round's epoch ends (their validation, then their checkpoints) run while the next rounds' steps do,
    // in epoch order; the steps go at most ROUND_ENDS_AHEAD rounds ahead of the last round end done
    const ends: Array<Promise<void>> = [];
    while (round) {
      const { from, to } = round;
      const offsets = [0];
      for (const plan of plans) offsets.push(offsets.at(-1)! + plan.batches.length);
      const batches = plans.flatMap((p) => p.batches);
      const stepRows = plans.flatMap((p) => p.stepRows);
      const totals = plans.map(() => ({ loss: 0, accuracy: 0, steps: 0 }));
      const marks: StepLoopMark[] = [];
      let epochOf = 0;
      const stepBase = step;
      // NOTE: the round's steps run back to back in the worker, which keeps the table and gathers each step's rows;
      // at each epoch's end (a mark) it keeps the head and the validation rows, for that epoch's validation
      const running = runAllSteps(this.runner, this.graphs.step, { ...head, learning_rate: floatTensor(Float32Array.of(options.learningRate), []) }, {
        steps: plans.flatMap((p) => p.steps), carry: { weight: 'weight_next', bias: 'bias_next' }, report: ['loss', 'accuracy'],
        table: { input: 'embedding_rows', output: 'embedding_rows_next', rowIds: 'embedding_row_ids', dim, data: table },
        marks: offsets.slice(1), markRows,
      }, {
        signal: options.signal,
        budgetMs: ROUND_BUDGET_MS,
        onChunk: async (result, firstStep) => {
          for (let i = 0; i < result.stepsDone; i++) {
            const at = firstStep + i;
            while (at >= offsets[epochOf + 1]) epochOf++;
            const rows = batches[at];
            for (const row of stepRows[at]) touched[row] = 1;
            const loss = result.reports.loss[i];
            const totalsOf = totals[epochOf];
            totalsOf.loss += loss * rows.length;
            totalsOf.accuracy += result.reports.accuracy[i] * rows.length;
            totalsOf.steps++;
            step++; // NOTE: not inside the optional call below, whose arguments are not evaluated without an onStep
            await options.onStep?.({ epoch: from + epochOf, step, rows: rows.length, loss });
          }
          marks.push(...result.marks);
        },
      });
      // the epochs ended (a mark each), validated and reported in order after the rounds before;
      // `state`: the state of the round's last epoch, taken before the table goes back to the worker
      const endEpochs = (state?: Record<string, EngineTensor>) => {
        const epochEnds = marks.map((mark, e) => ({
          report: { epoch: from + e, steps: totals[e].steps, loss: totals[e].loss / data.labels.length, accuracy: totals[e].accuracy / data.labels.length, endedAt: new Date(mark.at) } as EpochReport,
          checkpoint: { epoch: from + e, step: stepBase + offsets[e + 1], state: from + e === to ? state : undefined },
        }));
        const previous = ends.at(-1);
        const roundEnd = (async () => {
          await previous;
          if (validation && marks.length > 0) {
            const scores = await this.evaluateMarks(validation, marks);
            epochEnds.forEach(({ report }, e) => Object.assign(report, { validationLoss: scores.loss[e], validationAccuracy: scores.accuracy[e] }));
          }
          for (const { report, checkpoint } of epochEnds) await options.onCheckpoint?.(checkpoint, report);
        })();
        roundEnd.catch(() => undefined); // awaited later (see above); this only keeps a failure from counting as unhandled meanwhile
        ends.push(roundEnd);
      };
      const nextRound = to < last ? roundFrom(to + 1) : undefined;
      // NOTE: the next round's steps are made while the worker runs this one's (timers, so this request goes out first)
      const next = nextRound && this.roundPlans(data, tokenIds, options, nextRound);
      let ran: Awaited<typeof running>;
      try {
        ran = await running;
      } catch (error) {
        // stopped: the epochs that ended before the stop, and the rounds before, are still validated and reported (without a state)
        endEpochs();
        await ends.at(-1);
        throw error;
      }
      if (ends.length >= ROUND_ENDS_AHEAD) await ends.shift();
      plans = next ? await next : [];
      head = ran.state;
      table = ran.table!;
      endEpochs(this.snapshot(table, touched, head));
      round = nextRound;
    }
    await ends.at(-1);
    return { embedding: table, head: this.headOf(head) };
  }

  /** A round's epoch plans, each made in a timer of its own (the event loop serves calls between them). */
  private async roundPlans(data: TokenizedSet, tokenIds: ArrayLike<number>, options: TextBodyTrainingOptions, round: { from: number; to: number }): Promise<EpochPlan[]> {
    const plans: EpochPlan[] = [];
    for (let epoch = round.from; epoch <= round.to; epoch++) {
      plans.push(await new Promise<EpochPlan>((resolve) => setTimeout(() => resolve(this.epochPlan(data, tokenIds, options, epoch)), 0)));
    }
    return plans;
  }

  /**
   * The validation loss and accuracy at each mark: the eval graph over the validation plan's
   * feeds with the table rows and head each mark kept, as ONE request (a step loop of one eval a
   * mark, nothing carried). NOTE: an eval request per epoch waited its turn on the training
   * worker between the round's steps: with its round trip, a round's six evals took a fifth of
   * the time its 246 steps did.
   */
  private async evaluateMarks(plan: { feeds: Record<string, EngineTensor>; tableRows: number[] }, marks: StepLoopMark[]): Promise<{ loss: Float32Array; accuracy: Float32Array }> {
    const steps = marks.map((mark) => {
      if (!mark.rows) throw new Error(`the step loop kept no table rows at step ${mark.steps}`);
      return { embedding_rows: floatTensor(mark.rows, [plan.tableRows.length, this.shape.dim]), weight: mark.state.weight, bias: mark.state.bias };
    });
    const loss = new Float32Array(marks.length);
    const accuracy = new Float32Array(marks.length);
    // NOTE: no abort signal: a stopped job still validates the epochs it ended
    await runAllSteps(this.runner, this.graphs.evaluate, plan.feeds, { steps, carry: {}, report: ['loss', 'accuracy'] }, {
      onChunk: (result, firstStep) => {
        loss.set(result.reports.loss, firstStep);
        accuracy.set(result.reports.accuracy, firstStep);
      },
    });
    return { loss, accuracy };
  }

  /** Loss and accuracy of weights on a data set through the eval graph (one run, the rows its texts use). */
  async evaluate(weights: TextClassifierWeights, data: TokenizedSet): Promise<{ loss: number; accuracy: number }> {
    const out = await this.runner.run(this.graphs.evaluate, this.evaluationFeeds(this.evaluationPlan(data), weights));
    return { loss: floatDataOrThrow(out.loss, 'loss')[0], accuracy: floatDataOrThrow(out.accuracy, 'accuracy')[0] };
  }

  /** A data set's eval feeds but the table rows it uses (a step's feeds over all its texts). */
  private evaluationPlan(data: TokenizedSet): { feeds: Record<string, EngineTensor>; tableRows: number[] } {
    const { feeds: { embedding_row_ids: _ids, ...feeds }, tableRows } = this.stepFeeds(data, numbersOfInt64(data.ids), data.labels.map((_, i) => i));
    return { feeds, tableRows };
  }

  /** The eval graph's feeds for weights: the plan's, its table rows gathered (copied from the table now), the head. */
  private evaluationFeeds(plan: { feeds: Record<string, EngineTensor>; tableRows: number[] }, weights: TextClassifierWeights): Record<string, EngineTensor> {
    const { dim } = this.shape;
    const { tableRows } = plan;
    const gathered = new Float32Array(tableRows.length * dim);
    for (let i = 0; i < tableRows.length; i++) {
      for (let d = 0, from = tableRows[i] * dim, to = i * dim; d < dim; d++) gathered[to + d] = weights.embedding[from + d];
    }
    return { ...plan.feeds, embedding_rows: floatTensor(gathered, [tableRows.length, dim]), ...this.headTensors(weights.head) };
  }

  /**
   * The weights a checkpoint's state holds, on top of the table it was trained from
   * (`initial`, the base body's): its changed rows, or (checkpoints of older releases) the whole table.
   */
  weightsOf(state: Record<string, EngineTensor>, initial: Float32Array): TextClassifierWeights {
    const table = Float32Array.from(initial);
    const { head } = this.restore(state, table, new Uint8Array(this.shape.spec.buckets));
    return { embedding: table, head: this.headOf(head) };
  }

  /** A checkpoint's state: the rows changed since the start (ids ascending and values, copied now) and the head. */
  private snapshot(table: Float32Array, touched: Uint8Array, head: Record<string, EngineTensor>): Record<string, EngineTensor> {
    const { dim } = this.shape;
    let count = 0;
    for (let row = 0; row < touched.length; row++) count += touched[row];
    const ids = new Int32Array(count);
    const values = new Float32Array(count * dim);
    for (let row = 0, i = 0; row < touched.length; row++) {
      if (!touched[row]) continue;
      ids[i] = row;
      for (let d = 0, from = row * dim, to = i * dim; d < dim; d++) values[to + d] = table[from + d];
      i++;
    }
    return {
      embedding_row_ids: int64Tensor(ids, [count]),
      embedding_row_values: floatTensor(values, [count, dim]),
      weight: { ...head.weight, data: Float32Array.from(floatDataOrThrow(head.weight, 'weight')) },
      bias: { ...head.bias, data: Float32Array.from(floatDataOrThrow(head.bias, 'bias')) },
    };
  }

  /** Writes a checkpoint's rows into `table` (marking them touched); returns its head. */
  private restore(state: Record<string, EngineTensor>, table: Float32Array, touched: Uint8Array): { head: Record<string, EngineTensor> } {
    const { dim, spec } = this.shape;
    if (state.embedding) {
      const whole = floatDataOrThrow(state.embedding, 'embedding');
      if (whole.length !== table.length) throw new Error(`checkpoint embedding has ${whole.length} values, the table ${table.length}`);
      table.set(whole);
      touched.fill(1);
    } else {
      const ids = int64DataOrThrow(state.embedding_row_ids, 'embedding_row_ids');
      const values = floatDataOrThrow(state.embedding_row_values, 'embedding_row_values');
      if (values.length !== ids.length * dim) throw new Error(`checkpoint has ${ids.length} embedding rows but ${values.length} values`);
      ids.forEach((id, i) => {
        const row = Number(id);
        if (!(row >= 0 && row < spec.buckets)) throw new Error(`checkpoint embedding row ${row} is outside 0..${spec.buckets - 1}`);
        table.set(values.subarray(i * dim, (i + 1) * dim), row * dim);
        touched[row] = 1;
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
  private epochPlan(data: TokenizedSet, tokenIds: ArrayLike<number>, options: TextBodyTrainingOptions, epoch: number): EpochPlan {
    const order = new SeededRandom(epochSeed(options.seed, epoch)).shuffle(data.labels.map((_, i) => i));
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += options.batchSize) batches.push(order.slice(start, start + options.batchSize));
    const steps: Array<Record<string, EngineTensor>> = [];
    const stepRows: number[][] = [];
    for (const rows of batches) {
      const { feeds, tableRows } = this.stepFeeds(data, tokenIds, rows);
      steps.push(feeds);
      stepRows.push(tableRows);
    }
    return { batches, steps, stepRows };
  }

  /**
   * A step's feeds: the rows' tokens as positions among the distinct table rows they use, and
   * those rows' ids (the loop gathers them); `tokenIds` are `data.ids` as numbers. NOTE: plain
   * loops copy each text's tokens (a subarray per text cost more garbage than the copy).
   */
  private stepFeeds(data: TokenizedSet, tokenIds: ArrayLike<number>, rows: number[]): { feeds: Record<string, EngineTensor>; tableRows: number[] } {
    const length = this.shape.spec.sequenceLength;
    // token ids are table rows (small): an Int32Array, unless numbersOfInt64 found wider ones
    const ids = Array.isArray(tokenIds) ? new Array<number>(rows.length * length) : new Int32Array(rows.length * length);
    const weights = new Float32Array(rows.length * length);
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0, from = rows[i] * length, to = i * length; j < length; j++) {
        ids[to + j] = tokenIds[from + j];
        weights[to + j] = data.weights[from + j];
      }
    }
    const compact = compactRowIds(ids);
    const feeds: Record<string, EngineTensor> = {
      token_rows: { type: 'int64', dims: [rows.length, length], data: compact.tokenRows },
      token_weights: floatTensor(weights, [rows.length, length]),
      labels: int64Tensor(rows.map((r) => data.labels[r]), [rows.length]),
      embedding_row_ids: int64Tensor(compact.rows, [compact.rows.length]),
    };
    return { feeds, tableRows: compact.rows };
  }
}
