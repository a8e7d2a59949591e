import type { Logger } from 'pino';
import type { DeviceSpec } from './engine.config';
import { EngineError } from './engine.error';
import type { ModelSignature } from './engine.types';
import { WorkerHost, type WorkerReady } from './worker.host';
import type { BatchJob, LoadReply, RunReply, WorkerFault } from './worker.protocol';

/** Settings a device's worker group needs. */
export interface DeviceWorkerGroupOptions {
  device: DeviceSpec;
  workers: number;
  intraOpThreads: number;
  niceness: number;
  /** Nice increment of the device's training worker (see below). */
  trainingNiceness: number;
  /** The API's calls in flight, for the training worker (see EngineConfig.callsInFlight). */
  callsInFlight?: Int32Array;
  trainingHoldMaxMs: number;
  hangTimeoutMs: number;
  loadTimeoutMs: number;
  faultInjection: boolean;
  logger: Logger;
  /** Called when the device falls back from CUDA to CPU (the pool warns once). */
  onFallback(device: DeviceSpec, reason: string): void;
  /** Called whenever a worker may have become free (batchers should try to dispatch). */
  onCapacity(): void;
}

/** Run jobs a worker may hold at once: one running, one waiting in its message queue. */
const PIPELINE_DEPTH = 2;
const RESTART_BACKOFF_MS = [50, 200, 1000, 5000];

/**
 * The worker threads of one device. Every worker holds a session of every model placed on
 * the device (`sessionKey` -> path), so any worker can take any of its batches. A worker
 * that dies is replaced, and the replacement reloads the device's models before it serves.
 */
export class DeviceWorkerGroup {
  executionProvider: 'cuda' | 'cpu' = 'cpu';
  private readonly hosts: WorkerHost[] = [];
  /** The device's training worker, started at the first background load (see loadBackground). */
  private trainingHost?: Promise<WorkerHost | undefined>;
  /** Sessions placed on the device: their file, and whether they are background work (held by one worker). */
  private readonly sessions = new Map<string, { path: string; background: boolean }>();
  private restarts = 0;
  private stopped = false;
  /** [0] is 1 while inference requests wait on the device (shared with the workers: a step loop stops for them). */
  private readonly inferenceWaiting = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  constructor(private readonly options: DeviceWorkerGroupOptions) {}

  get device(): DeviceSpec {
    return this.options.device;
  }

  /** Live inference workers (the training worker is not counted). */
  get aliveWorkers(): number {
    return this.hosts.filter((h) => h.alive && !h.training).length;
  }

  /** Starts every worker; resolves once all report their execution provider. */
  async start(): Promise<void> {
    const starts = Array.from({ length: this.options.workers }, (_, i) => this.startHost(i));
    await Promise.all(starts);
  }

  private async startHost(index: number): Promise<WorkerHost> {
    const { device, intraOpThreads, faultInjection, trainingHoldMaxMs } = this.options;
    const training = index === this.options.workers;
    const niceness = training ? this.options.trainingNiceness : this.options.niceness;
    const callsInFlight = training ? this.options.callsInFlight : undefined;
    const host = new WorkerHost(device, index, { device, intraOpThreads, niceness, faultInjection, inferenceWaiting: this.inferenceWaiting, callsInFlight, trainingHoldMaxMs }, training);
    this.hosts[index] = host;
    const ready: WorkerReady = await host.start((reason) => this.replace(host, reason));
    this.executionProvider = ready.executionProvider;
    if (ready.fallbackReason) this.options.onFallback(device, ready.fallbackReason);
    return host;
  }

  private replace(dead: WorkerHost, reason: string): void {
    this.options.logger.error({ device: this.device.id, worker: dead.index, reason }, 'engine worker failed; replacing it');
    if (this.stopped) return;
    const delay = RESTART_BACKOFF_MS[Math.min(this.restarts++, RESTART_BACKOFF_MS.length - 1)];
    setTimeout(() => void this.restart(dead.index), delay).unref();
  }

  private async restart(index: number): Promise<void> {
    if (this.stopped) return;
    try {
      const host = await this.startHost(index);
      const held = (key: string) => this.hosts.some((h) => h !== host && h.alive && h.models.has(key));
      // NOTE: the training worker holds background sessions only; an inference worker reloads the
      // device's models, and the background ones no live worker holds (where the training worker is gone)
      const reload = [...this.sessions].filter(([key, s]) => (host.training ? s.background : !s.background || !held(key)));
      await Promise.all(reload.map(([key, s]) => this.loadOn(host, key, s.path).catch(() => undefined)));
      this.restarts = 0;
      this.options.logger.info({ device: this.device.id, worker: index }, 'engine worker replaced');
      this.options.onCapacity();
    } catch (error) {
      if (this.stopped) return;
      this.options.logger.error({ device: this.device.id, worker: index, err: error }, 'engine worker restart failed');
    }
  }

  private async loadOn(host: WorkerHost, sessionKey: string, path: string): Promise<LoadReply> {
    try {
      const reply = await host.call<LoadReply>({ kind: 'load', modelId: sessionKey, path }, this.options.loadTimeoutMs);
      if (this.sessions.has(sessionKey) && host.alive) host.models.add(sessionKey);
      return reply;
    } finally {
      this.options.onCapacity();
    }
  }

  /**
   * Loads and warms up a model on every live worker (background work: on one worker, see
   * below). Resolves with its signature once at least one worker serves it; rejects with
   * MODEL_LOAD_FAILED (with the loader's reason).
   */
  async load(sessionKey: string, path: string, options: { background?: boolean } = {}): Promise<ModelSignature> {
    const background = options.background === true;
    this.sessions.set(sessionKey, { path, background });
    const alive = this.hosts.filter((h) => h.alive && !h.training);
    if (background) return this.loadBackground(sessionKey, path, alive);
    const results = await Promise.allSettled(alive.map((h) => this.loadOn(h, sessionKey, path)));
    const loaded = results.find((r): r is PromiseFulfilledResult<LoadReply> => r.status === 'fulfilled');
    if (loaded) return loaded.value.signature;
    await this.unload(sessionKey);
    const reason = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : '')).find(Boolean);
    throw new EngineError('MODEL_LOAD_FAILED', `model could not be loaded on ${this.device.id}: ${reason ?? 'no worker is running'}`);
  }

  /**
   * NOTE: background work (training steps, their feature extractor) is held by ONE worker: the
   * device's training worker, a thread of its own started at the first background load, at the
   * lowest CPU priority (trainingNiceness), so on a CPU device training takes the cores only
   * when inference leaves them, and loading or running it never stalls an inference worker.
   * Where it cannot start, the last live inference worker takes it (inference takes the first
   * idle worker, so it meets training least there), then any other.
   */
  private async loadBackground(sessionKey: string, path: string, alive: WorkerHost[]): Promise<ModelSignature> {
    let reason = 'no worker is running';
    const training = await this.trainingWorker();
    const candidates = [...(training ? [training] : []), ...alive.filter((h) => !h.training).reverse()];
    for (const host of candidates) {
      try {
        return (await this.loadOn(host, sessionKey, path)).signature;
      } catch (error) {
        reason = (error as Error).message;
      }
    }
    await this.unload(sessionKey);
    throw new EngineError('MODEL_LOAD_FAILED', `model could not be loaded on ${this.device.id}: ${reason}`);
  }

  /** The training worker, started once (undefined where it could not start: background work then goes to an inference worker). */
  private async trainingWorker(): Promise<WorkerHost | undefined> {
    this.trainingHost ??= this.startHost(this.options.workers).catch((error) => {
      this.options.logger.warn({ device: this.device.id, err: error }, 'the training worker could not start; background work runs on an inference worker');
      this.trainingHost = undefined;
      return undefined;
    });
    await this.trainingHost;
    // NOTE: the one started then, or its replacement (a dead one is being replaced, see replace)
    const host = this.hosts[this.options.workers];
    return host?.alive ? host : undefined;
  }

  /** Releases a model's sessions on every worker. */
  async unload(sessionKey: string): Promise<void> {
    this.sessions.delete(sessionKey);
    const hosts = this.hosts.filter((h) => h.alive);
    hosts.forEach((h) => h.models.delete(sessionKey));
    await Promise.allSettled(hosts.map((h) => h.call({ kind: 'unload', modelId: sessionKey }, this.options.loadTimeoutMs)));
  }

  /** Tells the device's workers whether inference requests wait (a step loop running there then stops after its step). */
  setInferenceWaiting(waiting: boolean): void {
    Atomics.store(this.inferenceWaiting, 0, waiting ? 1 : 0);
  }

  /**
   * A worker for a batch of `sessionKey`: an idle one, or (with `busyOk`) the least busy
   * one that still has pipeline room. Undefined when none fits. NOTE: a worker running
   * background work (a step loop) has no room: a batch queued behind it would wait for the
   * loop, while waiting here it makes the loop stop after its current step. The training
   * worker is the exception for background work (`background`): it serves no inference, so
   * its next request (a step loop, an epoch's validation) waits in its pipeline slot and
   * starts the moment the one before ends, not a round trip through this thread later.
   */
  acquire(sessionKey: string, busyOk: boolean, background = false): WorkerHost | undefined {
    let best: WorkerHost | undefined;
    for (const host of this.hosts) {
      if (!host.alive || !host.models.has(sessionKey)) continue;
      if (host.runsInFlight === 0) return host;
      if (background && host.training && host.runsInFlight < PIPELINE_DEPTH) {
        best ??= host;
        continue;
      }
      if (host.backgroundInFlight > 0) continue;
      if (busyOk && host.runsInFlight < PIPELINE_DEPTH && (!best || host.runsInFlight < best.runsInFlight)) best = host;
    }
    return best;
  }

  /** Live workers holding `sessionKey`. */
  servingWorkers(sessionKey: string): number {
    return this.hosts.filter((h) => h.alive && h.models.has(sessionKey)).length;
  }

  /** Runs a batch on `host`; a hang or crash rejects with WORKER_FAILED. */
  async execute(host: WorkerHost, job: BatchJob, transferList: ArrayBuffer[], background = false): Promise<RunReply> {
    try {
      return await host.call<RunReply>({ kind: 'run', ...job }, this.options.hangTimeoutMs, transferList, background);
    } finally {
      this.options.onCapacity();
    }
  }

  /** TEST ONLY: sends a fault to one worker (the worker ignores it unless fault injection is on). */
  fault(index: number, fault: WorkerFault): Promise<unknown> {
    const host = this.hosts[index];
    if (!host) throw new Error(`no worker ${index} on ${this.device.id}`);
    return host.call({ kind: 'fault', fault }, fault.mode === 'block' ? fault.ms + this.options.hangTimeoutMs : this.options.hangTimeoutMs);
  }

  /** Terminates every worker; jobs in flight fail with SHUTTING_DOWN. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.hosts.map((h) => h.terminate()));
  }
}
