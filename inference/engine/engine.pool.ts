import { stat } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { DeviceWorkerGroup } from './device-worker.group';
import { DevicePlacement } from './device.placement';
import { DynamicBatcher, type EnqueueOptions } from './dynamic.batcher';
import { intraOpThreadsFor, resolveEngineConfig, workersFor, type DeviceSpec, type EngineConfig, type ResolvedEngineConfig } from './engine.config';
import { EngineError } from './engine.error';
import { combineMetrics, PromEngineMetrics, type EngineMetricsListener } from './engine.metrics';
import type { DeviceStatus, EngineTensor, InferOptions, InferResult, ModelRef, ModelSignature, RunResult } from './engine.types';
import { isBatchable, validateInputs } from './input.validator';
import { decodeStepLoopOutputs, firstStepFeeds, type StepLoop, type StepLoopResult } from './step-loop';
import type { WorkerFault } from './worker.protocol';

/** A model version known to the pool: placed (or being placed) on one device. */
interface ModelSlot {
  ref: ModelRef;
  /** Key of this placement's sessions in the workers (a reload gets a new one). */
  sessionKey: string;
  deviceId?: string;
  ready: Promise<void>;
  signature?: ModelSignature;
  batcher?: DynamicBatcher;
  /** Requests between validation and answer. */
  active: number;
  evicted: boolean;
}

let placementSeq = 0;

/**
 * The inference engine: worker threads per device, each owning its ORT sessions; models
 * placed on first use, warmed up, evicted LRU under a memory budget; requests batched per
 * model version. Start one per process with `EnginePool.start(engineConfigFromEnv())`.
 */
export class EnginePool {
  private readonly slots = new Map<string, ModelSlot>();
  /** Batchers of unloaded/evicted models that still answer their queued requests. */
  private draining: DynamicBatcher[] = [];
  private readonly groups = new Map<string, DeviceWorkerGroup>();
  private readonly placement: DevicePlacement;
  private readonly logger: Logger;
  private readonly metrics?: EngineMetricsListener;
  private pumpScheduled = false;
  /** Requests accepted and not yet answered (stop() waits for them). */
  private accepted = 0;
  private drainWaiters: Array<() => void> = [];
  private fallbackWarned = false;
  private stopping?: Promise<void>;

  private constructor(private readonly config: ResolvedEngineConfig) {
    this.logger = config.logger ?? pino({ name: 'engine' });
    const listeners = [config.metrics, config.registry && new PromEngineMetrics(config.registry)];
    this.metrics = combineMetrics(listeners.filter((l): l is EngineMetricsListener => !!l));
    this.placement = new DevicePlacement(config.devices.map((d) => ({ id: d.id, budgetBytes: config.deviceMemoryBytes })));
  }

  /** Starts the workers of every device; resolves once each knows its execution provider. */
  static async start(config: EngineConfig = {}): Promise<EnginePool> {
    const pool = new EnginePool(resolveEngineConfig(config));
    try {
      await Promise.all(pool.config.devices.map((d) => pool.startDevice(d)));
    } catch (error) {
      await Promise.all([...pool.groups.values()].map((g) => g.stop()));
      throw new EngineError('WORKER_FAILED', `engine workers could not start: ${(error as Error).message}`);
    }
    pool.logger.info({ devices: pool.status().map((d) => `${d.id}=${d.executionProvider}x${d.workers}`) }, 'engine pool started');
    return pool;
  }

  private async startDevice(device: DeviceSpec): Promise<void> {
    const c = this.config;
    const group = new DeviceWorkerGroup({
      device,
      workers: workersFor(c, device),
      intraOpThreads: intraOpThreadsFor(c, device),
      niceness: c.workerNiceness,
      trainingNiceness: c.trainingWorkerNiceness,
      callsInFlight: c.callsInFlight,
      trainingHoldMaxMs: c.trainingHoldMaxMs,
      hangTimeoutMs: c.hangTimeoutMs,
      loadTimeoutMs: c.loadTimeoutMs,
      faultInjection: c.faultInjection,
      logger: this.logger,
      onFallback: (d, reason) => this.warnFallback(d, reason),
      onCapacity: () => this.schedulePump(),
    });
    this.groups.set(device.id, group);
    await group.start();
  }

  private warnFallback(device: DeviceSpec, reason: string): void {
    if (this.fallbackWarned) return;
    this.fallbackWarned = true;
    this.logger.warn(
      { device: device.id, reason },
      `CUDA execution provider unavailable (${reason}); CUDA devices are served on CPU - see status().executionProvider`,
    );
  }

  /** Runs a request through the model's dynamic batcher. Rejects with an EngineError. */
  async infer(model: ModelRef, inputs: Record<string, EngineTensor>, options: InferOptions = {}): Promise<InferResult> {
    return this.submit(model, inputs, { deadline: options.deadline, transferInputs: options.transferInputs });
  }

  /**
   * Runs one session call, unbatched (training-step graphs, tools). `model` may be a path;
   * the session stays cached (LRU) for the next call.
   */
  async run(model: ModelRef | string, feeds: Record<string, EngineTensor>): Promise<RunResult> {
    const { outputs, computeMs, device } = await this.submit(model, feeds, { solo: true });
    return { outputs, computeMs, device };
  }

  /**
   * Runs training steps back to back in one worker (see {@link StepLoop}): `inputs` are the
   * constant and initial carried inputs. As background work it takes a worker only between
   * inference batches, and stops after its current step once inference waits on the device,
   * its budget is spent, or its stop flag is raised: the answer says how many steps it did.
   */
  async runSteps(model: ModelRef | string, inputs: Record<string, EngineTensor>, loop: StepLoop): Promise<StepLoopResult & { computeMs: number; device: string }> {
    if (loop.steps.length === 0) throw new EngineError('BAD_USER_INPUT', 'a step loop needs at least one step');
    // NOTE: the inputs (head, optimizer state) are copied, as a caller may still hold them (a checkpoint being written); the table is handed over
    const { outputs, computeMs, device } = await this.submit(model, inputs, { solo: true, loop });
    return { ...decodeStepLoopOutputs(outputs, loop), computeMs, device };
  }

  /** The model's inputs and outputs, as its loaded session reports them (loads it if needed). */
  async signature(model: ModelRef | string): Promise<ModelSignature> {
    const slot = await this.slotFor(refOf(model));
    return slot.signature!;
  }

  private async submit(
    model: ModelRef | string,
    inputs: Record<string, EngineTensor>,
    options: Omit<EnqueueOptions, 'rows' | 'batchKey'>,
  ): Promise<InferResult> {
    this.assertRunning();
    this.accepted++;
    try {
      const ref = refOf(model);
      let slot = await this.slotFor(ref);
      while (slot.evicted) slot = await this.slotFor(ref); // evicted between load and here
      // NOTE: an unbatched run is never stacked, so its inputs' dim 0 need not agree (a body step's rows and texts differ)
      const checked = validateInputs(slot.ref.id, slot.signature!, options.loop ? firstStepFeeds(inputs, options.loop) : inputs, isBatchable(slot.signature!) && !options.solo);
      slot.active++;
      this.placement.touch(slot.ref.id);
      try {
        return await slot.batcher!.enqueue(inputs, { ...options, ...checked });
      } finally {
        slot.active--;
      }
    } finally {
      if (--this.accepted === 0) this.drainWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  private assertRunning(): void {
    if (this.stopping) throw new EngineError('SHUTTING_DOWN', 'the engine is shutting down');
  }

  /** The model's slot once loaded; concurrent first requests share one load. */
  private async slotFor(ref: ModelRef): Promise<ModelSlot> {
    if (!ref || typeof ref.id !== 'string' || typeof ref.path !== 'string') {
      throw new EngineError('BAD_USER_INPUT', 'a model reference needs an id and a path');
    }
    for (;;) {
      let slot = this.slots.get(ref.id);
      if (!slot) {
        slot = { ref, sessionKey: `${ref.id}#${++placementSeq}`, ready: Promise.resolve(), active: 0, evicted: false };
        slot.ready = this.load(slot);
        this.slots.set(ref.id, slot);
      }
      await slot.ready;
      if (!slot.evicted) return slot;
    }
  }

  private async load(slot: ModelSlot): Promise<void> {
    const { ref } = slot;
    try {
      const size = await fileSize(ref.path);
      const bytesOn = (deviceId: string) => size * this.config.memoryFactor * this.workersOn(deviceId);
      const decision = this.placement.place(ref.id, bytesOn, ref.pinnedDevice, (d) => this.pendingOn(d), (id) => this.isBusy(id));
      slot.deviceId = decision.deviceId;
      await Promise.all(decision.evict.map((id) => this.evict(id)));
      const group = this.groups.get(decision.deviceId)!;
      const t0 = Date.now();
      slot.signature = await group.load(slot.sessionKey, ref.path, { background: ref.background === true });
      slot.batcher = this.createBatcher(slot, group);
      this.logger.info({ model: ref.id, device: group.device.id, ms: Date.now() - t0, evicted: decision.evict }, 'model loaded');
    } catch (error) {
      this.placement.remove(ref.id);
      if (this.slots.get(ref.id) === slot) this.slots.delete(ref.id);
      slot.evicted = true;
      if (EngineError.is(error) && error.code === 'MODEL_LOAD_FAILED') throw error;
      throw new EngineError('MODEL_LOAD_FAILED', `model ${ref.id} could not be loaded: ${(error as Error).message}`);
    }
  }

  private createBatcher(slot: ModelSlot, group: DeviceWorkerGroup): DynamicBatcher {
    const { ref } = slot;
    const policy = {
      batchable: isBatchable(slot.signature!),
      maxBatchSize: ref.maxBatchSize ?? this.config.maxBatchSize,
      maxQueueDelayMs: ref.maxQueueDelayMs ?? this.config.maxQueueDelayMs,
      maxQueueLength: this.config.maxQueueLength,
      background: ref.background === true,
    };
    const yieldTo = () => this.inferenceQueuedOn(group.device.id);
    const batcher = new DynamicBatcher(ref.id, slot.sessionKey, group, policy, () => this.schedulePump(), this.metrics, yieldTo);
    if (this.stopping) batcher.flush();
    return batcher;
  }

  private workersOn(deviceId: string): number {
    return workersFor(this.config, this.config.devices.find((d) => d.id === deviceId)!);
  }

  /** Whether inference (not background) requests wait in a batcher of the device. */
  private inferenceQueuedOn(deviceId: string): boolean {
    for (const s of this.slots.values()) {
      if (s.deviceId === deviceId && s.batcher && !s.batcher.background && s.batcher.length > 0) return true;
    }
    return false;
  }

  private pendingOn(deviceId: string): number {
    let n = 0;
    for (const s of this.slots.values()) if (s.deviceId === deviceId) n += s.active;
    return n;
  }

  private isBusy(modelId: string): boolean {
    const slot = this.slots.get(modelId);
    return !!slot && (slot.active > 0 || !slot.batcher || slot.batcher.busy);
  }

  private async evict(modelId: string): Promise<void> {
    const slot = this.slots.get(modelId);
    if (!slot) return;
    this.logger.info({ model: modelId, device: slot.deviceId }, 'model evicted (least recently used)');
    await this.release(slot);
  }

  private async release(slot: ModelSlot): Promise<void> {
    slot.evicted = true;
    if (this.slots.get(slot.ref.id) === slot) this.slots.delete(slot.ref.id);
    this.placement.remove(slot.ref.id);
    await slot.ready.catch(() => undefined);
    if (slot.batcher) this.draining.push(slot.batcher);
    await slot.batcher?.idle(true);
    if (slot.deviceId) await this.groups.get(slot.deviceId)?.unload(slot.sessionKey);
  }

  /** Unloads a model version from its device (after its queued requests are answered). */
  async unload(modelId: string): Promise<boolean> {
    const slot = this.slots.get(modelId);
    if (!slot) return false;
    await this.release(slot);
    return true;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Lets every batcher start batches while workers have room (round-robin across models). */
  private pump(): void {
    this.draining = this.draining.filter((b) => b.busy);
    const batchers = [...[...this.slots.values()].flatMap((s) => (s.batcher ? [s.batcher] : [])), ...this.draining];
    // NOTE: inference batchers first; background work (training steps) only takes what is left.
    const all = [...batchers.filter((b) => !b.background), ...batchers.filter((b) => b.background)];
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const b of all) if (b.tryDispatch()) progressed = true;
    }
    // NOTE: inference still queued now found no free worker: a step loop running on the device stops after its step
    for (const [deviceId, group] of this.groups) group.setInferenceWaiting(this.inferenceQueuedOn(deviceId));
  }

  /** Per device: what was asked for, what it runs on, workers, queue and loaded models. */
  status(): DeviceStatus[] {
    return this.config.devices.map((d) => {
      const group = this.groups.get(d.id)!;
      const slots = [...this.slots.values()].filter((s) => s.deviceId === d.id);
      return {
        id: d.id,
        kind: d.kind,
        requested: d.id,
        executionProvider: group.executionProvider,
        workers: group.aliveWorkers,
        queued: slots.reduce((n, s) => n + (s.batcher?.length ?? 0), 0),
        loadedModels: slots.filter((s) => s.batcher).map((s) => s.ref.id),
      };
    });
  }

  /** Graceful stop: refuses new work, answers queued requests, then terminates the workers. */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndStop();
    return this.stopping;
  }

  private async drainAndStop(): Promise<void> {
    // NOTE: requests accepted before stop() are answered; batchers stop waiting to fill.
    for (const slot of this.slots.values()) slot.batcher?.flush();
    const drained = new Promise<void>((resolve) => (this.accepted === 0 ? resolve() : this.drainWaiters.push(resolve)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.stopTimeoutMs)));
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    const left = new EngineError('SHUTTING_DOWN', 'the engine stopped before this request could run');
    for (const slot of this.slots.values()) slot.batcher?.failQueued(left);
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
    this.logger.info('engine pool stopped');
  }

  /** TEST ONLY: crash (`exit`), hang or block a worker. Throws unless `faultInjection` is set. */
  injectFault(deviceId: string, workerIndex: number, fault: WorkerFault): Promise<unknown> {
    if (!this.config.faultInjection) throw new Error('fault injection is disabled (set faultInjection: true in tests only)');
    const group = this.groups.get(deviceId);
    if (!group) throw new Error(`no device ${deviceId}`);
    return group.fault(workerIndex, fault);
  }
}

function refOf(model: ModelRef | string): ModelRef {
  return typeof model === 'string' ? { id: model, path: model } : model;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw new EngineError('MODEL_LOAD_FAILED', `cannot read model file ${path}: ${(error as Error).message}`);
  }
}
