import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EngineMetricsListener } from './engine.metrics';

/** A parsed device: `cpu` or `cuda:<n>`. */
export interface DeviceSpec {
  id: string;
  kind: 'cpu' | 'cuda';
  /** CUDA device ordinal (0 for cpu). */
  ordinal: number;
}

/** Configuration of an {@link EnginePool}; only `devices` matters for most callers. */
export interface EngineConfig {
  /** Devices to serve on, e.g. `['cuda:0', 'cuda:1']` or `['cpu']` (default `['cpu']`). */
  devices?: string[];
  /** Worker threads per device (default: 1 per cuda device; on cpu min(4, cores)). */
  workersPerDevice?: number;
  /** ORT intra-op threads per worker (default: 1 on cuda; on cpu the cores shared out among the workers). */
  intraOpThreads?: number;
  /**
   * CPU priority of worker threads below the event loop's, as a Linux nice increment 0-19
   * (default 5): under saturation the API thread keeps answering. 0 keeps equal priority.
   */
  workerNiceness?: number;
  /**
   * CPU priority of each device's training worker (the thread that runs background work:
   * training steps, their feature extraction), as a nice increment 0-19 (default 19): on a CPU
   * device, inference threads take the cores whenever they need them and training has the rest.
   */
  trainingWorkerNiceness?: number;
  /**
   * The API's calls in flight, over a SharedArrayBuffer ([0], kept with Atomics by the caller,
   * which notifies index 0 when it drops to 0). Given, a CPU device's training worker waits
   * before each step while it is not 0, at most `trainingHoldMaxMs`: training takes the cores
   * between calls. Without it, training yields only to inference queued on the device.
   */
  callsInFlight?: Int32Array;
  /** Most time a training step waits for the calls in flight (default 20 ms; see callsInFlight). */
  trainingHoldMaxMs?: number;
  /** Default max rows per batch (default 32); a ModelRef may override it. */
  maxBatchSize?: number;
  /** Default max queue delay in ms (default 2); a ModelRef may override it. */
  maxQueueDelayMs?: number;
  /** Requests a model's batcher may hold before answering OVERLOADED (default 256). */
  maxQueueLength?: number;
  /** Memory budget per device in bytes (default 4 GiB). */
  deviceMemoryBytes?: number;
  /** A model's estimated memory per worker = file size x this factor (default 2). */
  memoryFactor?: number;
  /** A worker that does not answer a run within this time is replaced (default 30 s). */
  hangTimeoutMs?: number;
  /** Load + warm-up time allowed per model and worker (default 120 s). */
  loadTimeoutMs?: number;
  /** How long stop() waits for queues to drain before failing what is left (default 30 s). */
  stopTimeoutMs?: number;
  logger?: Logger;
  /** Metrics listener; or give `registry` to get prom-client metrics registered on it. */
  metrics?: EngineMetricsListener;
  registry?: Registry;
  /** TEST ONLY: lets `injectFault` crash or stall workers. Never set in production. */
  faultInjection?: boolean;
}

/** An EngineConfig with every default applied and devices parsed. */
export type ResolvedEngineConfig = Required<
  Omit<EngineConfig, 'devices' | 'logger' | 'metrics' | 'registry' | 'workersPerDevice' | 'intraOpThreads' | 'callsInFlight'>
> & {
  callsInFlight?: Int32Array;
  devices: DeviceSpec[];
  workersPerDevice?: number;
  intraOpThreads?: number;
  logger?: Logger;
  metrics?: EngineMetricsListener;
  registry?: Registry;
};

const DEFAULTS = {
  workerNiceness: 5,
  trainingWorkerNiceness: 19,
  trainingHoldMaxMs: 20,
  maxBatchSize: 32,
  maxQueueDelayMs: 2,
  maxQueueLength: 256,
  deviceMemoryBytes: 4 * 1024 ** 3,
  memoryFactor: 2,
  hangTimeoutMs: 30_000,
  loadTimeoutMs: 120_000,
  stopTimeoutMs: 30_000,
  faultInjection: false,
};

/** Parses one device name (`cpu`, `cuda`, `cuda:1`), or throws saying what is wrong. */
export function parseDevice(raw: string): DeviceSpec {
  const name = raw.trim().toLowerCase();
  if (name === 'cpu') return { id: 'cpu', kind: 'cpu', ordinal: 0 };
  const match = /^cuda(?::(\d+))?$/.exec(name);
  if (!match) {
    throw new Error(`"${raw}" is not a device; expected "cpu" or "cuda:<n>" (e.g. "cuda:0,cuda:1")`);
  }
  const ordinal = Number(match[1] ?? 0);
  return { id: `cuda:${ordinal}`, kind: 'cuda', ordinal };
}

/** Parses a device list such as `cuda:0,cuda:1`; rejects empty entries and duplicates. */
export function parseDevices(list: string | string[]): DeviceSpec[] {
  const entries = Array.isArray(list) ? list : list.split(',');
  if (entries.length === 0 || entries.every((e) => e.trim() === '')) throw new Error('no device given');
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (entry.trim() === '') throw new Error(`empty device in "${entries.join(',')}"`);
    const spec = parseDevice(entry);
    if (seen.has(spec.id)) throw new Error(`device "${spec.id}" is listed twice`);
    seen.add(spec.id);
    return spec;
  });
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  const ok = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
  if (!ok) throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  return value;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = positive(name, value, fallback);
  if (!Number.isInteger(v)) throw new Error(`${name} must be a whole number, got ${v}`);
  return v;
}

function niceness(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 19) throw new Error(`${name} must be a whole number 0-19, got ${value}`);
  return value;
}

/** Applies defaults and checks every value; throws an Error naming the bad setting. */
export function resolveEngineConfig(config: EngineConfig = {}): ResolvedEngineConfig {
  let devices: DeviceSpec[];
  try {
    devices = parseDevices(config.devices ?? ['cpu']);
  } catch (error) {
    throw new Error(`engine devices: ${(error as Error).message}`);
  }
  const { workersPerDevice: workers, intraOpThreads: threads } = config;
  return {
    ...config,
    devices,
    workersPerDevice: workers === undefined ? undefined : positiveInt('workersPerDevice', workers, 1),
    intraOpThreads: threads === undefined ? undefined : positiveInt('intraOpThreads', threads, 1),
    workerNiceness: niceness('workerNiceness', config.workerNiceness ?? DEFAULTS.workerNiceness),
    trainingWorkerNiceness: niceness('trainingWorkerNiceness', config.trainingWorkerNiceness ?? DEFAULTS.trainingWorkerNiceness),
    trainingHoldMaxMs: positive('trainingHoldMaxMs', config.trainingHoldMaxMs, DEFAULTS.trainingHoldMaxMs, true),
    maxBatchSize: positiveInt('maxBatchSize', config.maxBatchSize, DEFAULTS.maxBatchSize),
    maxQueueDelayMs: positive('maxQueueDelayMs', config.maxQueueDelayMs, DEFAULTS.maxQueueDelayMs, true),
    maxQueueLength: positiveInt('maxQueueLength', config.maxQueueLength, DEFAULTS.maxQueueLength),
    deviceMemoryBytes: positive('deviceMemoryBytes', config.deviceMemoryBytes, DEFAULTS.deviceMemoryBytes),
    memoryFactor: positive('memoryFactor', config.memoryFactor, DEFAULTS.memoryFactor),
    hangTimeoutMs: positive('hangTimeoutMs', config.hangTimeoutMs, DEFAULTS.hangTimeoutMs),
    loadTimeoutMs: positive('loadTimeoutMs', config.loadTimeoutMs, DEFAULTS.loadTimeoutMs),
    stopTimeoutMs: positive('stopTimeoutMs', config.stopTimeoutMs, DEFAULTS.stopTimeoutMs, true),
    faultInjection: config.faultInjection ?? DEFAULTS.faultInjection,
  };
}

/**
 * Worker threads for a device: the configured count, else 1 per cuda device and
 * min(4, cores) on cpu. NOTE: measured on 2 cores (bench/engine.bench.ts), 2 workers x 1
 * thread beat 1 x 2: independent workers keep going when a core is slow, while a 2-thread
 * run waits for its slowest thread.
 */
export function workersFor(config: ResolvedEngineConfig, device: DeviceSpec): number {
  return config.workersPerDevice ?? (device.kind === 'cpu' ? Math.min(4, availableParallelism()) : 1);
}

/** ORT intra-op threads per worker: the configured count, else 1 on cuda and the cpu cores shared out. */
export function intraOpThreadsFor(config: ResolvedEngineConfig, device: DeviceSpec): number {
  if (config.intraOpThreads !== undefined) return config.intraOpThreads;
  if (device.kind === 'cuda') return 1;
  return Math.max(1, Math.floor(availableParallelism() / workersFor(config, device)));
}

const ENV_NUMBERS: Array<[string, keyof EngineConfig, 'int' | 'number']> = [
  ['ENGINE_WORKERS_PER_DEVICE', 'workersPerDevice', 'int'],
  ['ENGINE_INTRA_OP_THREADS', 'intraOpThreads', 'int'],
  ['ENGINE_MAX_BATCH_SIZE', 'maxBatchSize', 'int'],
  ['ENGINE_MAX_QUEUE_DELAY_MS', 'maxQueueDelayMs', 'number'],
  ['ENGINE_MAX_QUEUE_LENGTH', 'maxQueueLength', 'int'],
  ['ENGINE_HANG_TIMEOUT_MS', 'hangTimeoutMs', 'number'],
  ['ENGINE_LOAD_TIMEOUT_MS', 'loadTimeoutMs', 'number'],
  ['ENGINE_MEMORY_FACTOR', 'memoryFactor', 'number'],
  ['ENGINE_WORKER_NICENESS', 'workerNiceness', 'number'],
  ['ENGINE_TRAINING_WORKER_NICENESS', 'trainingWorkerNiceness', 'number'],
  ['ENGINE_TRAINING_HOLD_MAX_MS', 'trainingHoldMaxMs', 'number'],
];

function envNumber(env: Record<string, string | undefined>, key: string, kind: 'int' | 'number'): number | undefined {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  const ok = kind === 'int' ? Number.isInteger(value) && value > 0 : Number.isFinite(value) && value >= 0;
  if (!ok) throw new Error(`${key}="${raw}" is not ${kind === 'int' ? 'a positive whole number' : 'a non-negative number'}`);
  return value;
}

/**
 * Reads the engine settings from the environment: `ENGINE_DEVICES` (default `cpu`),
 * `ENGINE_WORKERS_PER_DEVICE`, `ENGINE_INTRA_OP_THREADS`, `ENGINE_MAX_BATCH_SIZE`,
 * `ENGINE_MAX_QUEUE_DELAY_MS`, `ENGINE_MAX_QUEUE_LENGTH`, `ENGINE_DEVICE_MEMORY_MB`,
 * `ENGINE_MEMORY_FACTOR`, `ENGINE_HANG_TIMEOUT_MS`, `ENGINE_LOAD_TIMEOUT_MS`, `ENGINE_WORKER_NICENESS`,
 * `ENGINE_TRAINING_WORKER_NICENESS`, `ENGINE_TRAINING_HOLD_MAX_MS`.
 * Throws an Error naming the variable for a malformed value.
 */
export function engineConfigFromEnv(env: Record<string, string | undefined> = process.env): EngineConfig {
  const config: EngineConfig = {};
  const devices = env.ENGINE_DEVICES?.trim();
  try {
    config.devices = parseDevices(devices ? devices : 'cpu').map((d) => d.id);
  } catch (error) {
    throw new Error(`ENGINE_DEVICES="${env.ENGINE_DEVICES}": ${(error as Error).message}`);
  }
  for (const [key, field, kind] of ENV_NUMBERS) {
    const value = envNumber(env, key, kind);
    if (value !== undefined) (config as Record<string, unknown>)[field] = value;
  }
  const memoryMb = envNumber(env, 'ENGINE_DEVICE_MEMORY_MB', 'int');
  if (memoryMb !== undefined) config.deviceMemoryBytes = memoryMb * 1024 * 1024;
  return config;
}
