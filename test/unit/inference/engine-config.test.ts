import { engineConfigFromEnv, parseDevices, resolveEngineConfig } from '../../../inference/engine/engine.config';

describe('engineConfigFromEnv', () => {
  it('defaults to the cpu device', () => {
    expect(engineConfigFromEnv({})).toEqual({ devices: ['cpu'] });
    expect(engineConfigFromEnv({ ENGINE_DEVICES: '  ' }).devices).toEqual(['cpu']);
  });

  it('reads devices, worker/thread counts and batching settings', () => {
    const config = engineConfigFromEnv({
      ENGINE_DEVICES: 'cuda:0, cuda:1',
      ENGINE_WORKERS_PER_DEVICE: '2',
      ENGINE_INTRA_OP_THREADS: '4',
      ENGINE_MAX_BATCH_SIZE: '64',
      ENGINE_MAX_QUEUE_DELAY_MS: '1.5',
      ENGINE_MAX_QUEUE_LENGTH: '100',
      ENGINE_DEVICE_MEMORY_MB: '512',
    });
    expect(config).toEqual({
      devices: ['cuda:0', 'cuda:1'],
      workersPerDevice: 2,
      intraOpThreads: 4,
      maxBatchSize: 64,
      maxQueueDelayMs: 1.5,
      maxQueueLength: 100,
      deviceMemoryBytes: 512 * 1024 * 1024,
    });
  });

  it('accepts "cuda" as cuda:0 and is case-insensitive', () => {
    expect(parseDevices('CPU,cuda').map((d) => d.id)).toEqual(['cpu', 'cuda:0']);
  });

  it.each([
    ['ENGINE_DEVICES', 'gpu:0', /ENGINE_DEVICES="gpu:0".*"gpu:0" is not a device/],
    ['ENGINE_DEVICES', 'cuda:x', /not a device; expected "cpu" or "cuda:<n>"/],
    ['ENGINE_DEVICES', 'cuda:0,,cpu', /empty device/],
    ['ENGINE_DEVICES', 'cuda:1,cuda:1', /"cuda:1" is listed twice/],
    ['ENGINE_WORKERS_PER_DEVICE', '0', /ENGINE_WORKERS_PER_DEVICE="0" is not a positive whole number/],
    ['ENGINE_INTRA_OP_THREADS', 'two', /ENGINE_INTRA_OP_THREADS="two"/],
    ['ENGINE_MAX_BATCH_SIZE', '2.5', /ENGINE_MAX_BATCH_SIZE="2.5"/],
    ['ENGINE_MAX_QUEUE_DELAY_MS', '-1', /ENGINE_MAX_QUEUE_DELAY_MS="-1" is not a non-negative number/],
  ])('rejects %s=%s with a clear error', (key, value, message) => {
    expect(() => engineConfigFromEnv({ [key]: value })).toThrow(message);
  });

  it('resolveEngineConfig checks programmatic values too', () => {
    expect(() => resolveEngineConfig({ devices: ['tpu'] })).toThrow(/engine devices: "tpu" is not a device/);
    expect(() => resolveEngineConfig({ maxBatchSize: 0 })).toThrow(/maxBatchSize must be a positive number/);
    expect(resolveEngineConfig({}).devices).toEqual([{ id: 'cpu', kind: 'cpu', ordinal: 0 }]);
  });

  it('gives the training worker the lowest CPU priority by default, settable 0-19', () => {
    expect(resolveEngineConfig({}).trainingWorkerNiceness).toBe(19);
    expect(engineConfigFromEnv({ ENGINE_TRAINING_WORKER_NICENESS: '10' }).trainingWorkerNiceness).toBe(10);
    expect(() => resolveEngineConfig({ trainingWorkerNiceness: 20 })).toThrow('trainingWorkerNiceness must be a whole number 0-19, got 20');
    expect(() => resolveEngineConfig({ workerNiceness: -1 })).toThrow('workerNiceness must be a whole number 0-19, got -1');
  });
});
