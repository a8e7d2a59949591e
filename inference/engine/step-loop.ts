import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import type { EngineTensor, TensorType } from './engine.types';
import { EngineError } from './engine.error';
import { ownsWholeBuffer } from './tensor.codec';

/**
 * A table the steps of a loop update row by row (an embedding table): before each step the
 * rows named by the step's `rowIds` feed are gathered into the `input` feed, and the step's
 * `output` (those rows, updated) is written back. The table stays with the loop, so a step
 * sends no rows across threads.
 */
export interface StepLoopTable {
  /** The graph input fed the gathered rows, [rowIds.length, dim]. */
  input: string;
  /** The graph output holding the updated rows, same shape. */
  output: string;
  /** The per-step feed (int64 [n]) naming the table rows the step uses; it is not a graph input. */
  rowIds: string;
  dim: number;
  /** Row-major [rows, dim]; handed over to the loop and back. */
  data: Float32Array;
}

/**
 * Training steps one session runs back to back (in a worker, with no round trip to the
 * caller between them): each step's own feeds plus the carried state (each step's outputs
 * feed the next step's inputs) and the constant inputs given with the request.
 */
export interface StepLoop {
  /** Each step's own feeds, in order. */
  steps: Array<Record<string, EngineTensor>>;
  /** Carried state: graph input -> the graph output that feeds it at the next step (initial values among the request's inputs). */
  carry: Record<string, string>;
  /** Scalar outputs recorded per step (loss, accuracy). */
  report: string[];
  table?: StepLoopTable;
  /** Time after which no new step starts (at least one step always runs); the caller sends the rest. */
  budgetMs: number;
  /** Over a SharedArrayBuffer: no new step starts once [0] is not 0 (the caller's cancel). */
  stop?: Int32Array;
  /**
   * Step counts (ascending, within this loop's steps) after which the loop keeps what a caller
   * needs at an epoch's end: the carried state then, and the table rows `markRows` names as
   * they were then. NOTE: so that one request can carry several epochs (one round trip to the
   * worker for them all, not one each) and the caller still validates each epoch's weights.
   */
  marks?: number[];
  /** Table rows gathered at each mark (int64 ids; the loop's table must be given). */
  markRows?: BigInt64Array;
  /** On the way to the worker only: `steps` packed (see {@link packStepLoop}); `steps` is then empty. */
  packed?: PackedSteps;
}

/** Steps whose feeds share names, types and ranks, as one flat array per feed and each step's offsets and dims in it. */
export interface PackedSteps {
  count: number;
  feeds: Array<{ name: string; type: TensorType; rank: number; data: Exclude<EngineTensor['data'], string[]>; offsets: Int32Array; dims: Int32Array }>;
}

type TypedArrayCtor = { new (length: number): Exclude<EngineTensor['data'], string[]> };

/** `steps` packed, or undefined where their feeds differ in names, types or ranks, or are not typed arrays. */
function packSteps(steps: Array<Record<string, EngineTensor>>): PackedSteps | undefined {
  const first = steps[0];
  const names = Object.keys(first);
  const feeds: PackedSteps['feeds'] = [];
  for (const name of names) {
    const { type, dims, data } = first[name];
    if (Array.isArray(data)) return undefined;
    const rank = dims.length;
    let total = 0;
    for (const step of steps) {
      const t = step[name];
      if (!t || t.type !== type || t.dims.length !== rank || Array.isArray(t.data) || t.data.constructor !== data.constructor) return undefined;
      total += t.data.length;
    }
    const flat = new (data.constructor as TypedArrayCtor)(total);
    const offsets = new Int32Array(steps.length + 1);
    const allDims = new Int32Array(steps.length * rank);
    steps.forEach((step, i) => {
      const t = step[name];
      (flat as Float32Array).set(t.data as Float32Array, offsets[i]);
      offsets[i + 1] = offsets[i] + t.data.length;
      allDims.set(t.dims, i * rank);
    });
    feeds.push({ name, type, rank, data: flat, offsets, dims: allDims });
  }
  if (steps.some((step) => Object.keys(step).length !== names.length)) return undefined;
  return { count: steps.length, feeds };
}

/** The steps of a packed loop, as views into its flat arrays. */
function unpackSteps(packed: PackedSteps): Array<Record<string, EngineTensor>> {
  return Array.from({ length: packed.count }, (_, i) => {
    const step: Record<string, EngineTensor> = {};
    for (const { name, type, rank, data, offsets, dims } of packed.feeds) {
      step[name] = { type, dims: Array.from(dims.subarray(i * rank, (i + 1) * rank)), data: data.subarray(offsets[i], offsets[i + 1]) as EngineTensor['data'] };
    }
    return step;
  });
}

/**
 * The loop as it goes to a worker: its steps packed into one fresh array per feed, handed over
 * with its table (`transferList`). NOTE: a round of 246 body steps as their own ~1,000 small
 * arrays took 3.4 ms to copy across (structured clone), on this thread and the worker's, per request.
 */
export function packStepLoop(loop: StepLoop, transferList: ArrayBuffer[]): StepLoop {
  stepLoopTransferables(loop, transferList);
  const packed = loop.steps.length > 1 ? packSteps(loop.steps) : undefined;
  if (!packed) return loop;
  for (const feed of packed.feeds) transferList.push(feed.data.buffer as ArrayBuffer, feed.offsets.buffer as ArrayBuffer, feed.dims.buffer as ArrayBuffer);
  return { ...loop, steps: [], packed };
}

/** A loop as the worker got it, its steps unpacked (see {@link packStepLoop}). */
export function unpackStepLoop(loop: StepLoop): StepLoop {
  return loop.packed ? { ...loop, steps: unpackSteps(loop.packed), packed: undefined } : loop;
}

/** What a loop kept at a mark (see StepLoop.marks): the carried state after `steps` steps, and the marked table rows then. */
export interface StepLoopMark {
  steps: number;
  /** When the mark's step ended (epoch ms). */
  at: number;
  state: Record<string, EngineTensor>;
  /** [markRows.length, dim], in markRows order. */
  rows?: Float32Array;
}

/** What a loop did: steps done, the state after them, their reports, and the table. */
export interface StepLoopResult {
  stepsDone: number;
  /** The carried inputs after the last step done (by input name). */
  state: Record<string, EngineTensor>;
  /** Per reported output, one value per step done. */
  reports: Record<string, Float32Array>;
  table?: Float32Array;
  /** The marks reached (see StepLoop.marks), in order. */
  marks: StepLoopMark[];
}

const REPORT = 'report:';
const MARK = 'mark:';
const TABLE = 'table:';
const STEPS_DONE = 'loop:steps_done';

/**
 * The steps' inputs besides carried state: each step's feeds, the constant inputs, and the
 * gathered table rows, written into `rowsScratch` (see {@link runStepLoop}).
 */
function stepFeeds(loop: StepLoop, state: Record<string, EngineTensor>, step: Record<string, EngineTensor>, rowsScratch: Float32Array): Record<string, EngineTensor> {
  const feeds: Record<string, EngineTensor> = { ...state, ...step };
  const table = loop.table;
  if (!table) return feeds;
  const ids = step[table.rowIds];
  if (!ids || ids.type !== 'int64') throw new Error(`a step of the loop lacks its int64 "${table.rowIds}" feed`);
  delete feeds[table.rowIds];
  const rows = ids.data as BigInt64Array;
  feeds[table.input] = { type: 'float32', dims: [rows.length, table.dim], data: gatherRows(table, rows, `"${table.rowIds}"`, rowsScratch.subarray(0, rows.length * table.dim)) };
  return feeds;
}

/** Copies the table rows `ids` names, in order, into `into` (or a new array); `namedBy` says who named them, for the error. */
function gatherRows(table: StepLoopTable, ids: BigInt64Array, namedBy: string, into?: Float32Array): Float32Array {
  const { dim, data } = table;
  const tableRows = data.length / dim;
  const rows = into ?? new Float32Array(ids.length * dim);
  // NOTE: plain loops: a subarray per row costs more than copying its few values
  for (let i = 0; i < ids.length; i++) {
    const row = Number(ids[i]);
    if (!(row >= 0 && row < tableRows)) throw new Error(`${namedBy} names row ${row}, outside the table's 0..${tableRows - 1}`);
    for (let j = 0, from = row * dim, to = i * dim; j < dim; j++) rows[to + j] = data[from + j];
  }
  return rows;
}

function scatter(table: StepLoopTable, step: Record<string, EngineTensor>, outputs: Record<string, EngineTensor>): void {
  const next = outputs[table.output];
  if (!next || next.type !== 'float32') throw new Error(`the step graph did not return float32 "${table.output}"`);
  const rows = step[table.rowIds].data as BigInt64Array;
  const values = next.data as Float32Array;
  if (values.length !== rows.length * table.dim) throw new Error(`"${table.output}" has ${values.length} values for ${rows.length} rows of ${table.dim}`);
  const { dim, data } = table;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0, from = i * dim, to = Number(rows[i]) * dim; j < dim; j++) data[to + j] = values[from + j];
  }
}

/**
 * What a training worker's loop waits for. `yieldFlag`: the device's "inference is waiting"
 * flag; once raised the loop stops after its current step (the rest goes in the caller's next
 * request). `hold`: the API's calls in flight (see {@link TrainingHold}).
 */
export interface StepLoopSignals {
  yieldFlag?: Int32Array;
  hold?: TrainingHold;
}

/**
 * The API's calls in flight, shared with a CPU device's training worker: before each step the
 * loop waits while `calls[0]` is not 0, so on a CPU device training takes the cores only between
 * calls (on 2 cores a step running beside a call tripled its p95 even at nice 19, as the call's
 * own threads, its database and the step share the cores and their caches). NOTE: it waits at
 * most `maxMs` before a step: under calls that never stop overlapping, training still advances
 * (a step per `maxMs`), and a cancel is seen within {@link HOLD_POLL_MS}.
 */
export interface TrainingHold {
  calls: Int32Array;
  maxMs: number;
}

/** Longest single wait of a held loop before it looks at its stop flag again. */
export const HOLD_POLL_MS = 5;

/**
 * Waits (up to `hold.maxMs`) until no call is in flight or `stop` is raised.
 * NOTE: Atomics.wait, blocking the (training worker's) thread: Atomics.waitAsync's timeout never
 * fires on Node 20, so a wait the API forgot to notify would hang. On the main thread (an
 * in-process runner, which cannot block) it polls every millisecond instead.
 */
async function waitForCalls(hold: TrainingHold, stop: Int32Array | undefined): Promise<void> {
  const started = performance.now();
  for (;;) {
    const calls = Atomics.load(hold.calls, 0);
    if (calls === 0 || (stop && Atomics.load(stop, 0) !== 0)) break;
    const left = hold.maxMs - (performance.now() - started);
    if (left <= 0) break;
    if (isMainThread) await new Promise((resolve) => setTimeout(resolve, 1));
    else Atomics.wait(hold.calls, 0, calls, Math.min(left, HOLD_POLL_MS));
  }
}

/**
 * Runs a loop's steps one after another through `run` (one session call each) until they
 * are done, its budget is spent, its stop flag is raised, or the yield flag is (see
 * {@link StepLoopSignals}); at least one step runs; with a hold, each step waits for the calls
 * in flight first. Returns the loop's outputs encoded for the trip back
 * ({@link decodeStepLoopOutputs}) and the compute time.
 */
export async function runStepLoop(
  run: (feeds: Record<string, EngineTensor>) => Promise<Record<string, EngineTensor>>,
  inputs: Record<string, EngineTensor>,
  loop: StepLoop,
  signals: StepLoopSignals = {},
): Promise<{ outputs: Record<string, EngineTensor>; computeMs: number }> {
  const { yieldFlag, hold } = signals;
  const state: Record<string, EngineTensor> = { ...inputs };
  const reports = loop.report.map(() => new Float32Array(loop.steps.length));
  const started = performance.now();
  let computeMs = 0;
  let done = 0;
  const marks: StepLoopMark[] = [];
  // NOTE: every step's gathered rows go into one array (the step reads them only while it runs):
  // a fresh array a step, with the step's outputs, was most of the training worker's external
  // garbage, whose collections ran on V8's helper threads beside the API's calls
  let mostRows = 0;
  if (loop.table) for (const step of loop.steps) mostRows = Math.max(mostRows, step[loop.table.rowIds]?.data.length ?? 0);
  const rowsScratch = new Float32Array(loop.table ? mostRows * loop.table.dim : 0);
  for (const step of loop.steps) {
    if (hold) await waitForCalls(hold, loop.stop);
    const mustStop = (loop.stop && Atomics.load(loop.stop, 0) !== 0) || (yieldFlag && Atomics.load(yieldFlag, 0) !== 0);
    if (done > 0 && (mustStop || performance.now() - started >= loop.budgetMs)) break;
    const feeds = stepFeeds(loop, state, step, rowsScratch);
    const t0 = performance.now();
    const outputs = await run(feeds);
    computeMs += performance.now() - t0;
    for (const [input, output] of Object.entries(loop.carry)) {
      if (!outputs[output]) throw new Error(`the step graph did not return "${output}" (carried to "${input}")`);
      state[input] = outputs[output];
    }
    loop.report.forEach((name, i) => {
      const value = outputs[name];
      if (!value || value.type !== 'float32') throw new Error(`the step graph did not return float32 "${name}"`);
      reports[i][done] = (value.data as Float32Array)[0];
    });
    if (loop.table) scatter(loop.table, step, outputs);
    done++;
    if (loop.marks?.[marks.length] === done) {
      // NOTE: the carried tensors are each step's own outputs (never written after), so they are kept as they are
      const kept: Record<string, EngineTensor> = {};
      for (const input of Object.keys(loop.carry)) kept[input] = state[input];
      marks.push({ steps: done, at: Date.now(), state: kept, rows: loop.table && loop.markRows ? gatherRows(loop.table, loop.markRows, 'a mark') : undefined });
    }
  }
  const encoded: Record<string, EngineTensor> = { [STEPS_DONE]: { type: 'int32', dims: [1], data: Int32Array.of(done) } };
  for (const input of Object.keys(loop.carry)) encoded[input] = state[input];
  loop.report.forEach((name, i) => (encoded[REPORT + name] = { type: 'float32', dims: [done], data: reports[i].slice(0, done) }));
  if (loop.table) encoded[TABLE + loop.table.input] = { type: 'float32', dims: [loop.table.data.length / loop.table.dim, loop.table.dim], data: loop.table.data };
  encoded[`${MARK}steps`] = { type: 'int32', dims: [marks.length], data: Int32Array.from(marks, (m) => m.steps) };
  encoded[`${MARK}at`] = { type: 'float64', dims: [marks.length], data: Float64Array.from(marks, (m) => m.at) };
  marks.forEach((mark, i) => {
    for (const [input, tensor] of Object.entries(mark.state)) encoded[`${MARK}${i}:${input}`] = tensor;
    if (mark.rows) encoded[`${MARK}${i}:rows`] = { type: 'float32', dims: [mark.rows.length / loop.table!.dim, loop.table!.dim], data: mark.rows };
  });
  return { outputs: encoded, computeMs };
}

/** Reads back what {@link runStepLoop} encoded. */
export function decodeStepLoopOutputs(outputs: Record<string, EngineTensor>, loop: Pick<StepLoop, 'carry' | 'report' | 'table'>): StepLoopResult {
  const state: Record<string, EngineTensor> = {};
  for (const input of Object.keys(loop.carry)) state[input] = outputs[input];
  const reports: Record<string, Float32Array> = {};
  for (const name of loop.report) reports[name] = outputs[REPORT + name].data as Float32Array;
  const stepsDone = (outputs[STEPS_DONE].data as Int32Array)[0];
  const table = loop.table ? (outputs[TABLE + loop.table.input].data as Float32Array) : undefined;
  const marks = Array.from((outputs[`${MARK}steps`]?.data as Int32Array | undefined) ?? [], (steps, i): StepLoopMark => {
    const kept: Record<string, EngineTensor> = {};
    for (const input of Object.keys(loop.carry)) kept[input] = outputs[`${MARK}${i}:${input}`];
    return { steps, at: (outputs[`${MARK}at`].data as Float64Array)[i], state: kept, rows: outputs[`${MARK}${i}:rows`]?.data as Float32Array | undefined };
  });
  return { stepsDone, state, reports, table, marks };
}

/**
 * The buffer a loop hands over to the worker, for a transfer list: its table (it comes back
 * with the answer). NOTE: the caller's step feeds are never handed over (a loop that stops
 * early leaves the rest to the caller's next request): what goes is their packed copy.
 */
function stepLoopTransferables(loop: StepLoop, transferList: ArrayBuffer[]): void {
  const data = loop.table?.data;
  if (data && ownsWholeBuffer(data) && !transferList.includes(data.buffer as ArrayBuffer)) transferList.push(data.buffer as ArrayBuffer);
}

/**
 * A loop's first step as its graph sees it (the table rows it names gathered as zeros): what
 * the pool checks against the graph's signature before queuing the loop.
 */
export function firstStepFeeds(inputs: Record<string, EngineTensor>, loop: StepLoop): Record<string, EngineTensor> {
  const feeds: Record<string, EngineTensor> = { ...inputs, ...loop.steps[0] };
  const table = loop.table;
  if (!table) return feeds;
  const ids = loop.steps[0][table.rowIds];
  if (!ids) throw new EngineError('BAD_USER_INPUT', `the loop's first step lacks its "${table.rowIds}" feed`);
  delete feeds[table.rowIds];
  feeds[table.input] = { type: 'float32', dims: [ids.dims[0] ?? 0, table.dim], data: new Float32Array((ids.dims[0] ?? 0) * table.dim) };
  return feeds;
}
