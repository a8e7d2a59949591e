import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EnginePool } from '../../../inference/engine/engine.pool';
import type { EngineTensor, ModelRef } from '../../../inference/engine/engine.types';
import { buildTabularMlp } from '../../../inference/model-kit/tabular-mlp';

const dir = mkdtempSync(join(tmpdir(), 'engine-background-'));
const file = join(dir, 'mlp.onnx');
writeFileSync(file, buildTabularMlp({ inputSize: 6, hiddenSizes: [64], outputSize: 3, seed: 5 }));
const serving: ModelRef = { id: 'serving', path: file };
const training: ModelRef = { id: 'training-step', path: file, background: true };
const rows = (n: number): EngineTensor => ({ type: 'float32', dims: [n, 6], data: Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i)) });

describe('background work (training steps) on the engine pool', () => {
  let pool: EnginePool;
  beforeAll(async () => {
    pool = await EnginePool.start({ workersPerDevice: 1, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => pool.stop());

  it('runs on the training worker: a call arriving behind 40 queued steps does not wait for them', async () => {
    await pool.run(training, { features: rows(1) });
    await pool.infer(serving, { features: rows(1) });
    const order: string[] = [];
    const steps = Array.from({ length: 40 }, (_, i) => pool.run(training, { features: rows(256) }).then(() => void order.push(`step${i}`)));
    await new Promise((resolve) => setImmediate(resolve));
    const call = pool.infer(serving, { features: rows(1) }).then(() => void order.push('inference'));
    await Promise.all([...steps, call]);
    // NOTE: the steps run on the device's training worker, the call on its inference worker, side by side:
    // it is answered while most of the queued steps still wait (queued ahead of it on one worker, it came last)
    expect(order.indexOf('inference')).toBeLessThan(20);
    expect(order.filter((o) => o.startsWith('step'))).toHaveLength(40);
  });
});
