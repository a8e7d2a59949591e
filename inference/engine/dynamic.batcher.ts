import { performance } from 'node:perf_hooks';
import { EngineError } from './engine.error';
import type { EngineMetricsListener } from './engine.metrics';
import type { EngineTensor } from './engine.types';
import { toTransferable } from './tensor.codec';
import type { WorkerHost } from './worker.host';
import type { RunReply } from './worker.protocol';

/** The device side a batcher dispatches to (a DeviceWorkerGroup). */
export interface BatchExecutor {
  readonly device: { id: string };
  acquire(sessionKey: string, busyOk: boolean): WorkerHost | undefined;
  execute(
    host: WorkerHost,
    sessionKey: string,
    requests: Array<Record<string, EngineTensor>>,
    deadlines: Array<number | undefined>,
    transferList: ArrayBuffer[],
  ): Promise<RunReply>;
}

/** Batching settings of one model version. */
export interface BatchPolicy {
  /** Whether requests may be stacked along dim 0 (the batch dimension is dynamic). */
  batchable: boolean;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  maxQueueLength: number;
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
}

interface Pending extends EnqueueOptions {
  inputs: Record<string, EngineTensor>;
  enqueuedAt: number;
  resolve(result: BatchedResult): void;
  reject(error: Error): void;
}

let soloSeq = 0;

/**
 * Triton-style dynamic batcher for one model version on one device. Requests whose
 * non-batch dims agree are stacked along dim 0 up to `maxBatchSize` rows. A batch starts at
 * once when a worker is idle; while all workers are busy the batcher keeps filling and
 * dispatches into a worker's pipeline slot when the batch is full or its oldest request has
 * waited `maxQueueDelayMs`. Expired requests fail with DEADLINE_EXCEEDED without running.
 */
export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
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
  ) {}

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
      this.queue.push({ ...options, batchKey, inputs, enqueuedAt: performance.now(), resolve, reject });
      this.reportQueue();
      this.requestPump();
    });
  }

  /** Tries to start one batch; true when it did (the caller may call again). */
  tryDispatch(): boolean {
    const now = performance.now();
    const batch = this.candidate();
    if (batch.length === 0) return false;
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    const full = rows >= this.policy.maxBatchSize || batch[0].batchKey.startsWith('solo:');
    const due = this.flushing || now - batch[0].enqueuedAt >= this.policy.maxQueueDelayMs;
    let host = this.executor.acquire(this.sessionKey, false);
    if (!host && (full || due)) host = this.executor.acquire(this.sessionKey, true);
    if (!host) {
      if (!due) this.armTimer(batch[0].enqueuedAt + this.policy.maxQueueDelayMs - now);
      return false;
    }
    for (const p of batch) this.queue.splice(this.queue.indexOf(p), 1);
    this.reportQueue();
    void this.send(host, batch, now);
    return true;
  }

  /** Picks the next batch: the oldest live request plus later ones with its key, within maxBatchSize rows. */
  private candidate(): Pending[] {
    const now = Date.now();
    const batch: Pending[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length; i++) {
      const p = this.queue[i];
      if (p.deadline !== undefined && p.deadline <= now) {
        this.queue.splice(i--, 1);
        p.reject(this.expired());
        continue;
      }
      if (batch.length > 0 && p.batchKey !== batch[0].batchKey) continue;
      if (batch.length > 0 && rows + p.rows > this.policy.maxBatchSize) break;
      batch.push(p);
      rows += p.rows;
      if (rows >= this.policy.maxBatchSize || p.batchKey.startsWith('solo:')) break;
    }
    return batch;
  }

  private async send(host: WorkerHost, batch: Pending[], dispatchedAt: number): Promise<void> {
    this.inFlight++;
    const transfer: ArrayBuffer[] = [];
    const requests = batch.map((p) => toTransferable(p.inputs, transfer, p.transferInputs ?? false));
    try {
      const reply = await this.executor.execute(host, this.sessionKey, requests, batch.map((p) => p.deadline), transfer);
      this.deliver(batch, reply, dispatchedAt);
    } catch (error) {
      this.fail(batch, error as Error);
    } finally {
      this.inFlight--;
      this.checkIdle();
    }
  }

  private deliver(batch: Pending[], reply: RunReply, dispatchedAt: number): void {
    const labels = { device: this.executor.device.id, model: this.modelId };
    const ran = batch.filter((_, i) => reply.outputs[i] !== null);
    const rows = ran.reduce((n, p) => n + p.rows, 0);
    if (ran.length > 0) this.metrics?.batch(labels, ran.length, reply.computeMs);
    batch.forEach((p, i) => {
      const outputs = reply.outputs[i];
      if (!outputs) return p.reject(this.expired());
      const computeMs = (reply.computeMs * p.rows) / rows;
      const queueMs = dispatchedAt - p.enqueuedAt;
      this.metrics?.request(labels, queueMs, computeMs);
      p.resolve({ outputs, computeMs, queueMs, batchSize: ran.length, device: this.executor.device.id });
    });
  }

  private fail(batch: Pending[], error: Error): void {
    const retry =
      batch.length > 1 && EngineError.is(error) && error.code === 'BAD_USER_INPUT' && batch.every((p) => !p.transferInputs);
    if (!retry) return batch.forEach((p) => p.reject(error));
    // NOTE: one bad request must not fail its batch-mates: each is retried alone.
    this.queue.unshift(...batch.map((p) => ({ ...p, solo: true, batchKey: `solo:${soloSeq++}` })));
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
    if (this.timer) clearTimeout(this.timer);
    this.reportQueue();
  }
}
