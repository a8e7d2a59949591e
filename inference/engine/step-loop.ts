import { performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import type { EngineTensor } from './engine.types';
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
}

/** What a loop did: steps done, the state after them, their reports, and the table. */
export interface StepLoopResult {
  stepsDone: number;
  /** The carried inputs after the last step done (by input name). */
  state: Record<string, EngineTensor>;
  /** Per reported output, one value per step done. */
  reports: Record<string, Float32Array>;
  table?: Float32Array;
}

const REPORT = 'report:';
const TABLE = 'table:';
const STEPS_DONE = 'loop:steps_done';

/** The steps' inputs besides carried state: each step's feeds, the constant inputs, and the gathered table rows. */
function stepFeeds(loop: StepLoop, state: Record<string, EngineTensor>, step: Record<string, EngineTensor>): Record<string, EngineTensor> {
  const feeds: Record<string, EngineTensor> = { ...state, ...step };
  const table = loop.table;
  if (!table) return feeds;
  const ids = step[table.rowIds];
  if (!ids || ids.type !== 'int64') throw new Error(`a step of the loop lacks its int64 "${table.rowIds}" feed`);
  delete feeds[table.rowIds];
  const rows = ids.data as BigInt64Array;
  const { dim, data } = table;
  const gathered = new Float32Array(rows.length * dim);
  const tableRows = data.length / dim;
  // NOTE: plain loops: a subarray per row costs more than copying its few values
  for (let i = 0; i < rows.length; i++) {
    const row = Number(rows[i]);
    if (!(row >= 0 && row < tableRows)) throw new Error(`"${table.rowIds}" names row ${row}, outside the table's 0..${tableRows - 1}`);
    for (let j = 0, from = row * dim, to = i * dim; j < dim; j++) gathered[to + j] = data[from + j];
  }
  feeds[table.input] = { type: 'float32', dims: [rows.length, table.dim], data: gathered };
  return feeds;
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
  for (const step of loop.steps) {
    if (hold) await waitForCalls(hold, loop.stop);
    const mustStop = (loop.stop && Atomics.load(loop.stop, 0) !== 0) || (yieldFlag && Atomics.load(yieldFlag, 0) !== 0);
    if (done > 0 && (mustStop || performance.now() - started >= loop.budgetMs)) break;
    const feeds = stepFeeds(loop, state, step);
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
  }
  const encoded: Record<string, EngineTensor> = { [STEPS_DONE]: { type: 'int32', dims: [1], data: Int32Array.of(done) } };
  for (const input of Object.keys(loop.carry)) encoded[input] = state[input];
  loop.report.forEach((name, i) => (encoded[REPORT + name] = { type: 'float32', dims: [done], data: reports[i].slice(0, done) }));
  if (loop.table) encoded[TABLE + loop.table.input] = { type: 'float32', dims: [loop.table.data.length / loop.table.dim, loop.table.dim], data: loop.table.data };
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
  return { stepsDone, state, reports, table };
}

/**
 * The buffer a loop hands over to the worker, for a transfer list: its table (it comes back
 * with the answer). NOTE: the steps' feeds are copied, not handed over: a loop that stops
 * early leaves the rest to the caller's next request.
 */
export function stepLoopTransferables(loop: StepLoop, transferList: ArrayBuffer[]): void {
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
