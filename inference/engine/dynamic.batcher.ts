import { performance } from 'node:perf_hooks';
import { EngineError } from './engine.error';
import type { EngineMetricsListener } from './engine.metrics';
import type { EngineTensor } from './engine.types';
import { packStepLoop, type StepLoop } from './step-loop';
import { concatRows, inThisRealm, splitRows, toTransferable } from './tensor.codec';
import type { WorkerHost } from './worker.host';
import type { BatchJob, RunReply } from './worker.protocol';

/** The device side a batcher dispatches to (a DeviceWorkerGroup). */
export interface BatchExecutor {
  readonly device: { id: string };
  acquire(sessionKey: string, busyOk: boolean, background?: boolean): WorkerHost | undefined;
  /** Live workers of the device that hold the model. */
  servingWorkers(sessionKey: string): number;
  /** `background`: the job is background work (a worker running it takes no inference batch behind it). */
  execute(host: WorkerHost, job: BatchJob, transferList: ArrayBuffer[], background?: boolean): Promise<RunReply>;
}

/** Batching settings of one model version. */
export interface BatchPolicy {
  /** Whether requests may be stacked along dim 0 (the batch dimension is dynamic). */
  batchable: boolean;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueLength: number;
  /** Background work: dispatched to idle workers only, and only while `yieldTo()` says no inference waits. */
  background?: boolean;
}

/** A request's result as the batcher answers it. */
export interface BatchedResult {
  outputs: Record<string, EngineTensor>;
  computeMs: number;
  queueMs: number;
  batchSize: number;
  device: string;
}

/** Options of one enqueued request. */
export interface EnqueueOptions {
  rows: number;
  batchKey: string;
  deadline?: number;
  transferInputs?: boolean;
  /** Run alone, never stacked with others (unbatched `run`, or a retry). */
  solo?: boolean;
  /** Training steps to run back to back (always solo; its buffers are handed over). */
  loop?: StepLoop;
}

interface Pending extends EnqueueOptions {
  inputs: Record<string, EngineTensor>;
  enqueuedAt: number;
  resolve(result: BatchedResult): void;
  reject(error: Error): void;
}

let soloSeq = 0;

/** How long a peak of outstanding rows keeps sizing batches after it has passed. */
const DEMAND_WINDOW_MS = 250;

/**
 * The peak of a model's outstanding rows (queued + running) over the last one to two
 * windows: in a closed loop the answers of a batch come back as new requests a moment
 * later, so the peak, not the instant count, says how full the next batch can get.
 */
class DemandPeak {
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  observe(rows: number, now: number): void {
    this.roll(now);
    if (rows > this.current) this.current = rows;
  }

  peak(now: number): number {
    this.roll(now);
    return Math.max(this.current, this.previous);
  }

  private roll(now: number): void {
    const age = now - this.windowStart;
    if (age < DEMAND_WINDOW_MS) return;
    this.previous = age < 2 * DEMAND_WINDOW_MS ? this.current : 0;
    this.current = 0;
    this.windowStart = now;
  }
}

/**
 * Triton-style dynamic batcher for one model version on one device. Requests whose
 * non-batch dims agree are stacked along dim 0 up to `maxBatchSize` rows. The batch size
 * aimed at follows demand: the recent peak of outstanding rows shared out over the device's
 * workers. A batch goes out when it reaches that size or its oldest request has waited
 * `maxQueueDelayMs`, to an idle worker or, failing one, into a busy worker's pipeline slot.
 * Under light load the aim is one row and requests go out at once; under a burst an idle
 * worker waits (at most the queue delay) for a full batch rather than running a sliver of
 * it. Expired requests fail with DEADLINE_EXCEEDED without running.
 */
export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private readonly demand = new DemandPeak();
  private queuedRows = 0;
  private inFlight = 0;
  private inFlightRows = 0;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private flushing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly modelId: string,
    private readonly sessionKey: string,
    private readonly executor: BatchExecutor,
    private readonly policy: BatchPolicy,
    private readonly requestPump: () => void,
    private readonly metrics?: EngineMetricsListener,
    /** For background batchers: true while inference requests wait on the device (then this one yields). */
    private readonly yieldTo: () => boolean = () => false,
  ) {}

  /** Whether this batcher carries background work (training steps). */
  get background(): boolean {
    return this.policy.background === true;
  }

  /** Requests waiting to be dispatched. */
  get length(): number {
    return this.queue.length;
  }

  /** Whether requests are queued or running. */
  get busy(): boolean {
    return this.queue.length > 0 || this.inFlight > 0;
  }

  /** Queues a validated request; OVERLOADED when the queue is full. */
  enqueue(inputs: Record<string, EngineTensor>, options: EnqueueOptions): Promise<BatchedResult> {
    if (this.queue.length >= this.policy.maxQueueLength) {
      return Promise.reject(
        new EngineError('OVERLOADED', `model ${this.modelId} has ${this.queue.length} requests queued (max ${this.policy.maxQueueLength}); retry later`),
      );
    }
    if (options.deadline !== undefined && options.deadline <= Date.now()) return Promise.reject(this.expired());
    return new Promise<BatchedResult>((resolve, reject) => {
      const batchKey = options.solo || !this.policy.batchable ? `solo:${soloSeq++}` : options.batchKey;
      const enqueuedAt = performance.now();
      this.queue.push({ ...options, batchKey, inputs, enqueuedAt, resolve, reject });
      this.queuedRows += options.rows;
      this.demand.observe(this.queuedRows + this.inFlightRows, enqueuedAt);
      this.reportQueue();
      this.requestPump();
    });
  }

  /** Tries to start one batch; true when it did (the caller may call again). */
  tryDispatch(): boolean {
    if (this.policy.background) return this.tryDispatchBackground();
    const now = performance.now();
    const target = this.targetRows(now);
    const batch = this.candidate(target);
    if (batch.length === 0) return false;
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    const full = rows >= target || batch[0].batchKey.startsWith('solo:');
    const due = this.flushing || now - batch[0].enqueuedAt >= this.policy.maxQueueDelayMs;
    const host = full || due ? this.executor.acquire(this.sessionKey, true) : undefined;
    if (!host) {
      if (!due) this.armTimer(batch[0].enqueuedAt + this.policy.maxQueueDelayMs - now);
      return false;
    }
    this.take(batch);
    void this.send(host, batch, rows, now);
    return true;
  }

  /**
   * NOTE: a background request (a training step) takes the device only between inference
   * batches: an idle worker, no inference queued on the device. It never waits in a busy
   * inference worker's pipeline slot, so an inference batch arriving meanwhile waits at most
   * one step (it does in the training worker's, which serves no inference: see acquire).
   */
  private tryDispatchBackground(): boolean {
    if (this.queue.length === 0 || this.yieldTo()) return false;
    const batch = this.candidate(1);
    if (batch.length === 0) return false;
    const host = this.executor.acquire(this.sessionKey, false, true);
    if (!host) return false;
    this.take(batch);
    void this.send(host, batch, batch[0].rows, performance.now());
    return true;
  }

  /**
   * Rows a batch should have: the recent peak of outstanding rows shared out over the
   * device's workers, at most maxBatchSize. Workers start together on even batches instead
   * of one taking everything, and a worker is never handed a sliver of a burst that is still
   * arriving; at low load the target is 1 and requests go out at once.
   */
  private targetRows(now: number): number {
    const outstanding = Math.max(this.demand.peak(now), this.queuedRows + this.inFlightRows);
    const workers = Math.max(1, this.executor.servingWorkers(this.sessionKey));
    return Math.max(1, Math.min(this.policy.maxBatchSize, Math.ceil(outstanding / workers)));
  }

  private take(batch: Pending[]): void {
    for (const p of batch) {
      this.queue.splice(this.queue.indexOf(p), 1);
      this.queuedRows -= p.rows;
    }
    this.reportQueue();
  }

  /** Picks the next batch: the oldest live request plus later ones with its key, within `maxRows` rows. */
  private candidate(maxRows: number): Pending[] {
    const now = Date.now();
    const batch: Pending[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p.deadline !== undefined && p.deadline <= now) {
        this.queue.splice(i--, 1);
        this.queuedRows -= p.rows;
        p.reject(this.expired());
        continue;
      }
      if (batch.length > 0 && p.batchKey !== batch[0].batchKey) continue;
      if (batch.length > 0 && rows + p.rows > maxRows) break;
      batch.push(p);
      rows += p.rows;
      if (rows >= maxRows || p.batchKey.startsWith('solo:')) break;
    }
    return batch;
  }

  /** The batch's inputs, stacked along dim 0 into one buffer per input (one transfer each). */
  private stack(batch: Pending[], transfer: ArrayBuffer[]): Record<string, EngineTensor> {
    if (batch.length === 1) return toTransferable(batch[0].inputs, transfer, batch[0].transferInputs ?? false);
    const stacked: Record<string, EngineTensor> = {};
    for (const name of Object.keys(batch[0].inputs)) stacked[name] = concatRows(batch.map((p) => p.inputs[name]));
    return toTransferable(stacked, transfer, true);
  }

  private async send(host: WorkerHost, batch: Pending[], rows: number, dispatchedAt: number): Promise<void> {
    this.inFlight++;
    this.inFlightRows += rows;
    const transfer: ArrayBuffer[] = [];
    try {
      const loop = batch[0].loop && packStepLoop(batch[0].loop, transfer);
      const job = { modelId: this.sessionKey, inputs: this.stack(batch, transfer), rows: batch.map((p) => p.rows), deadlines: batch.map((p) => p.deadline), ...(loop && { loop }) };
      const reply = await this.executor.execute(host, job, transfer, this.background);
      this.deliver(batch, reply, dispatchedAt);
    } catch (error) {
      this.fail(batch, error as Error);
    } finally {
      this.inFlight--;
      this.inFlightRows -= rows;
      this.checkIdle();
    }
  }

  /** Splits the batch's outputs back per request (copies, so each answer owns its buffers). */
  private split(outputs: Record<string, EngineTensor>, ran: Pending[]): Array<Record<string, EngineTensor>> {
    if (ran.length === 1) return [Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, inThisRealm(t)]))];
    const parts = ran.map(() => ({}) as Record<string, EngineTensor>);
    const rows = ran.map((p) => p.rows);
    for (const [name, tensor] of Object.entries(outputs)) splitRows(tensor, rows).forEach((t, i) => (parts[i][name] = t));
    return parts;
  }

  private deliver(batch: Pending[], reply: RunReply, dispatchedAt: number): void {
    const labels = { device: this.executor.device.id, model: this.modelId };
    const expired = new Set(reply.expired);
    const ran = batch.filter((_, i) => !expired.has(i));
    const rows = ran.reduce((n, p) => n + p.rows, 0);
    if (ran.length > 0) this.metrics?.batch(labels, ran.length, reply.computeMs);
    batch.filter((_, i) => expired.has(i)).forEach((p) => p.reject(this.expired()));
    const outputs = ran.length > 0 ? this.split(reply.outputs, ran) : [];
    ran.forEach((p, i) => {
      const computeMs = (reply.computeMs * p.rows) / rows;
      const queueMs = dispatchedAt - p.enqueuedAt;
      this.metrics?.request(labels, queueMs, computeMs);
      p.resolve({ outputs: outputs[i], computeMs, queueMs, batchSize: ran.length, device: this.executor.device.id });
    });
  }

  private fail(batch: Pending[], error: Error): void {
    const retry =
      batch.length > 1 && EngineError.is(error) && error.code === 'BAD_USER_INPUT' && batch.every((p) => !p.transferInputs);
    if (!retry) return batch.forEach((p) => p.reject(error));
    // NOTE: one bad request must not fail its batch-mates: each is retried alone.
    this.queue.unshift(...batch.map((p) => ({ ...p, solo: true, batchKey: `solo:${soloSeq++}` })));
    this.queuedRows += batch.reduce((n, p) => n + p.rows, 0);
    this.reportQueue();
    this.requestPump();
  }

  private expired(): EngineError {
    return new EngineError('DEADLINE_EXCEEDED', `request for model ${this.modelId} passed its deadline before it could run`);
  }

  private armTimer(inMs: number): void {
    const at = performance.now() + inMs;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.requestPump();
    }, Math.max(0, Math.ceil(inMs)));
  }

  private reportQueue(): void {
    this.metrics?.queueLength({ device: this.executor.device.id, model: this.modelId }, this.queue.length);
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Stops waiting to fill batches: every queued request is dispatched as soon as a worker has room. */
  flush(): void {
    this.flushing = true;
    this.requestPump();
  }

  /** Resolves once nothing is queued or running; with `flush`, stops waiting to fill batches. */
  idle(flush = false): Promise<void> {
    if (flush) this.flush();
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fails every queued request (running ones finish). */
  failQueued(error: EngineError): void {
    this.queue.splice(0).forEach((p) => p.reject(error));
    this.queuedRows = 0;
    if (this.timer) clearTimeout(this.timer);
    this.reportQueue();
  }
}
