import type { Worker } from 'node:worker_threads';
import type { DeviceSpec } from './engine.config';
import { EngineError } from './engine.error';
import { startWorker } from './worker.entry';
import type { WorkerReply, WorkerRequest, WorkerStartData } from './worker.protocol';

/** Distributes a request without its jobId (the host numbers jobs). */
type Job = WorkerRequest extends infer R ? (R extends { jobId: number } ? Omit<R, 'jobId'> : never) : never;

interface PendingJob {
  kind: WorkerRequest['kind'];
  background: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Jobs that keep a worker busy (a TEST ONLY fault blocks it like a run). NOTE: a load too: its
 * warm-up run goes before any run sent after it, so a loading worker is not an idle one.
 */
function occupies(kind: WorkerRequest['kind']): boolean {
  return kind === 'run' || kind === 'fault' || kind === 'load';
}

/** What a started worker reports about its execution provider. */
export interface WorkerReady {
  executionProvider: 'cuda' | 'cpu';
  fallbackReason?: string;
}

/**
 * The pool's handle on one worker thread: numbers jobs, times them out, and turns a crash,
 * an exit or a hang into WORKER_FAILED for every job in flight. Once dead it stays dead;
 * the device's worker group starts a replacement.
 */
export class WorkerHost {
  /** Models whose sessions this worker holds (loaded and warmed up). */
  readonly models = new Set<string>();
  private readonly pending = new Map<number, PendingJob>();
  private worker?: Worker;
  private nextJobId = 1;
  private runs = 0;
  private backgroundRuns = 0;
  private dead = false;
  private onDeath?: (reason: string) => void;

  constructor(
    readonly device: DeviceSpec,
    readonly index: number,
    private readonly startData: WorkerStartData,
    /** The device's training worker: holds background sessions only. */
    readonly training = false,
  ) {}

  /** Starts the thread; resolves once it knows its execution provider. */
  start(onDeath: (reason: string) => void): Promise<WorkerReady> {
    this.onDeath = onDeath;
    const worker = startWorker('engine.worker', { workerData: this.startData });
    this.worker = worker;
    return new Promise<WorkerReady>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        if (reply.kind === 'ready') resolve({ executionProvider: reply.executionProvider, fallbackReason: reply.fallbackReason });
        else this.settle(reply);
      });
      worker.on('error', (error) => {
        reject(error);
        this.die(`worker ${this.name} crashed: ${error.message}`);
      });
      worker.on('exit', (code) => {
        reject(new Error(`worker exited with code ${code} during start`));
        this.die(`worker ${this.name} exited with code ${code}`);
      });
    });
  }

  /** `cpu#0`, `cuda:1#2`, `cpu#training`: device and worker, for logs and errors. */
  get name(): string {
    return `${this.device.id}#${this.training ? 'training' : this.index}`;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Run (and load, fault) jobs in flight on this worker. */
  get runsInFlight(): number {
    return this.runs;
  }

  /** Background jobs (training steps) in flight on this worker. */
  get backgroundInFlight(): number {
    return this.backgroundRuns;
  }

  /** Sends a job; rejects with WORKER_FAILED if the worker dies or does not answer in `timeoutMs`. */
  call<T>(job: Job, timeoutMs: number, transferList: ArrayBuffer[] = [], background = false): Promise<T> {
    if (this.dead || !this.worker) {
      return Promise.reject(new EngineError('WORKER_FAILED', `worker ${this.name} is not running`));
    }
    const jobId = this.nextJobId++;
    if (occupies(job.kind)) this.runs++;
    if (background) this.backgroundRuns++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => this.die(`worker ${this.name} did not answer a ${job.kind} job within ${timeoutMs} ms (hung)`),
        timeoutMs,
      );
      this.pending.set(jobId, { kind: job.kind, background, resolve: resolve as (v: unknown) => void, reject, timer });
      this.worker!.postMessage({ ...job, jobId }, transferList);
    });
  }

  /** Stops the thread; jobs still in flight fail with `reason`. */
  async terminate(reason = 'engine stopped'): Promise<void> {
    this.onDeath = undefined;
    this.failAll(new EngineError('SHUTTING_DOWN', reason));
    this.dead = true;
    await this.worker?.terminate();
  }

  private settle(reply: Extract<WorkerReply, { kind: 'done' }>): void {
    const job = this.pending.get(reply.jobId);
    if (!job) return;
    this.pending.delete(reply.jobId);
    clearTimeout(job.timer);
    if (occupies(job.kind)) this.runs--;
    if (job.background) this.backgroundRuns--;
    if (reply.ok) job.resolve(reply.value);
    else job.reject(new EngineError(reply.code, reply.message));
  }

  private failAll(error: EngineError): void {
    for (const job of this.pending.values()) {
      clearTimeout(job.timer);
      job.reject(error);
    }
    this.pending.clear();
    this.runs = 0;
    this.backgroundRuns = 0;
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.models.clear();
    this.failAll(new EngineError('WORKER_FAILED', `${reason}; its requests in flight failed`));
    void this.worker?.terminate();
    const onDeath = this.onDeath;
    this.onDeath = undefined;
    onDeath?.(reason);
  }
}
