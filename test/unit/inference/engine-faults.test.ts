import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EnginePool } from '../../../inference/engine/engine.pool';
import type { EngineTensor, ModelRef } from '../../../inference/engine/engine.types';
import { buildTabularMlp } from '../../../inference/model-kit/tabular-mlp';

const dir = mkdtempSync(join(tmpdir(), 'engine-faults-'));
const path = join(dir, 'mlp.onnx');
writeFileSync(path, buildTabularMlp({ inputSize: 4, hiddenSizes: [8], outputSize: 2, seed: 3 }));
const model: ModelRef = { id: 'mlp-v1', path, maxQueueDelayMs: 1 };
const x = (): Record<string, EngineTensor> => ({ features: { type: 'float32', dims: [1, 4], data: Float32Array.of(1, 2, 3, 4) } });

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('EnginePool faults', () => {
  it('replaces a crashed worker: its in-flight requests fail with WORKER_FAILED, the other worker goes on', async () => {
    const { logger, lines } = captureLogs();
    const pool = await EnginePool.start({ workersPerDevice: 2, faultInjection: true, logger });
    try {
      await pool.infer(model, x());
      const crash = pool.injectFault('cpu', 0, { mode: 'block', ms: 400, thenExit: true }).catch((e) => e);
      const busy = pool.injectFault('cpu', 1, { mode: 'block', ms: 100 }).catch((e) => e);
      const doomed = pool.infer(model, x()).catch((e) => e); // pipelined behind worker 0's fault
      await new Promise((r) => setTimeout(r, 20));
      const survivor = pool.infer(model, x()); // worker 0 is full, so worker 1 takes it
      expect((await survivor).outputs.scores.dims).toEqual([1, 2]);
      const error = await doomed;
      expect(error).toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/worker cpu#0 exited with code 3.*in flight failed/) });
      expect(await crash).toMatchObject({ code: 'WORKER_FAILED' });
      expect(await busy).toBe(true);
      await until(() => lines.some((l) => l.msg === 'engine worker replaced'));
      expect(pool.status()[0].workers).toBe(2);
      const after = await Promise.all(Array.from({ length: 20 }, () => pool.infer(model, x())));
      expect(after.every((r) => r.outputs.scores.dims[0] === 1)).toBe(true);
      await pool.injectFault('cpu', 0, { mode: 'block', ms: 1 }); // the replacement answers
    } finally {
      await pool.stop();
    }
  });

  it('replaces a hung worker after the hang timeout', async () => {
    const { logger, lines } = captureLogs();
    const pool = await EnginePool.start({ workersPerDevice: 1, hangTimeoutMs: 500, faultInjection: true, logger });
    try {
      await pool.infer(model, x());
      const hang = pool.injectFault('cpu', 0, { mode: 'hang' }).catch((e) => e);
      const stuck = pool.infer(model, x()).catch((e) => e);
      expect(await stuck).toMatchObject({ code: 'WORKER_FAILED', message: expect.stringMatching(/did not answer .* within 500 ms \(hung\)/) });
      expect(await hang).toMatchObject({ code: 'WORKER_FAILED' });
      await until(() => lines.some((l) => l.msg === 'engine worker replaced'));
      expect((await pool.infer(model, x())).outputs.scores.dims).toEqual([1, 2]);
    } finally {
      await pool.stop();
    }
  });

  it('keeps fault injection inert unless enabled', async () => {
    const pool = await EnginePool.start({ workersPerDevice: 1, logger: pino({ level: 'silent' }) });
    try {
      expect(() => pool.injectFault('cpu', 0, { mode: 'exit' })).toThrow(/fault injection is disabled/);
    } finally {
      await pool.stop();
    }
  });

  it('ENGINE_DEVICES=cuda:0 without CUDA: warns once, serves on CPU, and says so in status()', async () => {
    const { logger, lines } = captureLogs();
    const pool = await EnginePool.start({ devices: ['cuda:0', 'cuda:1'], workersPerDevice: 2, logger });
    try {
      const warnings = lines.filter((l) => l.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].msg).toMatch(/CUDA execution provider unavailable .*served on CPU/);
      expect(pool.status()).toEqual([
        { id: 'cuda:0', kind: 'cuda', requested: 'cuda:0', executionProvider: 'cpu', workers: 2, queued: 0, loadedModels: [] },
        { id: 'cuda:1', kind: 'cuda', requested: 'cuda:1', executionProvider: 'cpu', workers: 2, queued: 0, loadedModels: [] },
      ]);
      const result = await pool.infer({ ...model, pinnedDevice: 'cuda:1' }, x());
      expect(result.device).toBe('cuda:1');
      expect(result.outputs.scores.dims).toEqual([1, 2]);
      expect(pool.status()[1].loadedModels).toEqual(['mlp-v1']);
      expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    } finally {
      await pool.stop();
    }
  });
});
