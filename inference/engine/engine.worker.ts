import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { env, InferenceSession } from 'onnxruntime-node';
import { CUDA_PROBE_MODEL_BASE64 } from './cuda-probe.model';
import type { EngineTensor, ModelSignature } from './engine.types';
import { fromOrtOutputs, sessionOptions, signatureOf, syntheticInputs, toOrtFeeds } from './ort-session.adapter';
import { runStepLoop, unpackStepLoop } from './step-loop';
import { concatRows, toTransferable } from './tensor.codec';
import type { LoadReply, RunReply, WorkerFault, WorkerReply, WorkerRequest, WorkerStartData } from './worker.protocol';

// The worker-thread side of the engine: owns the ORT sessions of one device's worker.
// Started by WorkerHost; talks only through the messages in worker.protocol.ts.

interface LoadedModel {
  session: InferenceSession;
  signature: ModelSignature;
}

// NOTE: ORT's logger is process-wide and set up by the first session of any thread. It
// prints a multi-line error when the CUDA library is missing; the pool logs one clear
// warning instead, and ORT failures reach callers as exceptions, so its log is fatal-only.
env.logLevel = 'fatal';

const start = workerData as WorkerStartData;
const port = parentPort!;
const models = new Map<string, Promise<LoadedModel>>();
let executionProvider: 'cuda' | 'cpu' = 'cpu';

/**
 * Lowers this thread's CPU priority (Linux nice, per thread; ORT's intra-op threads created
 * later inherit it), so that under saturation the server's event loop wins the CPU over
 * inference. Best effort: elsewhere, or without /proc, the priority stays as it is.
 */
function lowerPriority(niceness: number): void {
  if (niceness <= 0 || process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, niceness);
  } catch {
    // not permitted or not available: run at the process's priority
  }
}

function options(): InferenceSession.SessionOptions {
  return sessionOptions(executionProvider, start.device.ordinal, start.intraOpThreads);
}

async function probeExecutionProvider(): Promise<Extract<WorkerReply, { kind: 'ready' }>> {
  if (start.device.kind !== 'cuda') return { kind: 'ready', executionProvider: 'cpu' };
  try {
    const probe = Buffer.from(CUDA_PROBE_MODEL_BASE64, 'base64');
    const session = await InferenceSession.create(probe, sessionOptions('cuda', start.device.ordinal, 1));
    await session.release();
    executionProvider = 'cuda';
    return { kind: 'ready', executionProvider };
  } catch (error) {
    return { kind: 'ready', executionProvider: 'cpu', fallbackReason: (error as Error).message };
  }
}

let lastRun: Promise<unknown> = Promise.resolve();

/**
 * Runs session calls one after another. ORT's node binding defers each run to a later
 * tick, so a pipelined batch would otherwise start its clock while the previous one still
 * computes; serialised, computeMs is the batch's own time and deadlines are checked when
 * the batch's turn comes.
 */
function serially<T>(task: () => Promise<T>): Promise<T> {
  const next = lastRun.then(task, task);
  lastRun = next.catch(() => undefined);
  return next;
}

async function loadModel(path: string): Promise<{ model: LoadedModel; reply: LoadReply }> {
  const t0 = performance.now();
  const session = await InferenceSession.create(path, options());
  const signature = signatureOf(session);
  const t1 = performance.now();
  try {
    await serially(() => session.run(toOrtFeeds(syntheticInputs(signature))));
  } catch (error) {
    await session.release().catch(() => undefined);
    throw new Error(`warm-up run failed: ${(error as Error).message}`);
  }
  const warmupMs = performance.now() - t1;
  return { model: { session, signature }, reply: { signature, loadMs: t1 - t0, warmupMs } };
}

async function handleLoad(modelId: string, path: string): Promise<LoadReply> {
  const existing = models.get(modelId);
  if (existing) {
    const model = await existing;
    return { signature: model.signature, loadMs: 0, warmupMs: 0 };
  }
  const loading = loadModel(path);
  const model = loading.then((l) => l.model);
  model.catch(() => undefined); // the failure is answered below; later lookups see the entry gone
  models.set(modelId, model);
  try {
    return (await loading).reply;
  } catch (error) {
    models.delete(modelId);
    throw error;
  }
}

/** Keeps the rows of the requests in `live` (a copy; only when some requests expired). */
function keepRows(inputs: Record<string, EngineTensor>, rows: number[], live: number[]): Record<string, EngineTensor> {
  const starts = rows.map((_, i) => rows.slice(0, i).reduce((a, b) => a + b, 0));
  const kept: Record<string, EngineTensor> = {};
  for (const [name, tensor] of Object.entries(inputs)) {
    const rowSize = tensor.data.length / Math.max(1, tensor.dims[0]);
    const parts = live.map((i) => {
      const data = tensor.data.slice(starts[i] * rowSize, (starts[i] + rows[i]) * rowSize) as EngineTensor['data'];
      return { type: tensor.type, dims: [rows[i], ...tensor.dims.slice(1)], data };
    });
    kept[name] = concatRows(parts);
  }
  return kept;
}

function checkSplittable(outputs: Record<string, EngineTensor>, total: number): void {
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.dims[0] !== total) {
      throw new Error(`output "${name}" has ${tensor.dims[0]} rows for a batch of ${total}; it cannot be split`);
    }
  }
}

async function handleRun(message: Extract<WorkerRequest, { kind: 'run' }>): Promise<RunReply> {
  const loaded = models.get(message.modelId);
  if (!loaded) throw Object.assign(new Error(`model ${message.modelId} is not loaded on this worker`), { code: 'WORKER_FAILED' });
  const { session } = await loaded;
  if (message.loop) {
    const loop = unpackStepLoop(message.loop);
    return serially(async () => {
      const { outputs, computeMs } = await runStepLoop(async (feeds) => fromOrtOutputs(await session.run(toOrtFeeds(feeds))), message.inputs, loop, {
        yieldFlag: start.inferenceWaiting,
        // NOTE: on CPU only: there the API's calls and training share the cores (a GPU's steps do not take them)
        hold: start.callsInFlight && executionProvider === 'cpu' ? { calls: start.callsInFlight, maxMs: start.trainingHoldMaxMs } : undefined,
      });
      return { outputs, computeMs, expired: [] };
    });
  }
  return serially(async () => {
    const { rows, deadlines } = message;
    const now = Date.now();
    const expired = rows.map((_, i) => i).filter((i) => deadlines[i] !== undefined && deadlines[i]! <= now);
    if (expired.length === rows.length) return { outputs: {}, computeMs: 0, expired };
    const live = rows.map((_, i) => i).filter((i) => !expired.includes(i));
    const feeds = toOrtFeeds(expired.length === 0 ? message.inputs : keepRows(message.inputs, rows, live));
    const t0 = performance.now();
    const results = await session.run(feeds);
    const computeMs = performance.now() - t0;
    const outputs = fromOrtOutputs(results);
    if (live.length > 1) checkSplittable(outputs, live.reduce((n, i) => n + rows[i], 0));
    return { outputs, computeMs, expired };
  });
}

async function handleUnload(modelId: string): Promise<boolean> {
  const loaded = models.get(modelId);
  models.delete(modelId);
  if (!loaded) return false;
  const { session } = await loaded.catch(() => ({ session: undefined }));
  await session?.release();
  return true;
}

function applyFault(fault: WorkerFault): boolean {
  // TEST ONLY: inert unless the pool was started with `faultInjection: true`.
  if (!start.faultInjection) throw new Error('fault injection is disabled');
  if (fault.mode === 'exit') process.exit(3);
  const until = fault.mode === 'hang' ? Infinity : performance.now() + fault.ms;
  while (performance.now() < until) {
    // spin: simulates a stuck native call
  }
  if (fault.mode === 'block' && fault.thenExit) process.exit(3);
  return true;
}

function send(reply: WorkerReply, transferList: ArrayBuffer[] = []): void {
  port.postMessage(reply, transferList);
}

async function handle(message: WorkerRequest): Promise<void> {
  try {
    if (message.kind === 'run') {
      const reply = await handleRun(message);
      const transfer: ArrayBuffer[] = [];
      reply.outputs = toTransferable(reply.outputs, transfer, true);
      send({ kind: 'done', jobId: message.jobId, ok: true, value: reply }, transfer);
      return;
    }
    const value =
      message.kind === 'load'
        ? await handleLoad(message.modelId, message.path)
        : message.kind === 'unload'
          ? await handleUnload(message.modelId)
          : applyFault(message.fault);
    send({ kind: 'done', jobId: message.jobId, ok: true, value });
  } catch (error) {
    const err = error as Error & { code?: string };
    const code = err.code === 'WORKER_FAILED' ? 'WORKER_FAILED' : message.kind === 'load' ? 'MODEL_LOAD_FAILED' : 'BAD_USER_INPUT';
    send({ kind: 'done', jobId: message.jobId, ok: false, code, message: err.message });
  }
}

lowerPriority(start.niceness);
port.on('message', (message: WorkerRequest) => void handle(message));
void probeExecutionProvider().then((ready) => {
  executionProvider = ready.executionProvider;
  send(ready);
});
