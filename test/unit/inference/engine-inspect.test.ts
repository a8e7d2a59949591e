import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModelFile, startModelInspector, stopModelInspector } from '../../../inference/engine/model-file.inspector';
import { buildTabularMlp } from '../../../inference/model-kit/tabular-mlp';

const dir = mkdtempSync(join(tmpdir(), 'engine-inspect-'));
const bytes = buildTabularMlp({ inputSize: 5, hiddenSizes: [7], outputSize: 2, withProbabilities: true });
function file(name: string, content: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('inspectModelFile', () => {
  it('reads the signature of a valid model and runs it once', async () => {
    const result = await inspectModelFile(file('ok.onnx', bytes), { timeoutMs: 20_000 });
    expect(result).toMatchObject({
      ok: true,
      signature: {
        inputs: [{ name: 'features', type: 'float32', shape: ['batch', 5] }],
        outputs: [
          { name: 'scores', type: 'float32', shape: ['batch', 2] },
          { name: 'probabilities', type: 'float32', shape: ['batch', 2] },
        ],
      },
    });
    expect(result.ok && result.warmupMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['garbage', Buffer.from('this is not a protobuf at all \u0000\u00ff')],
    ['truncated', bytes.slice(0, Math.floor(bytes.length / 2))],
  ])('returns ok:false with the loader reason for a %s file', async (name, content) => {
    const result = await inspectModelFile(file(`${name}.onnx`, content), { timeoutMs: 20_000 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/cannot load: .*(Protobuf parsing failed|protobuf)/i);
  });

  it('returns ok:false for a missing file and for a time-out, without throwing', async () => {
    const missing = await inspectModelFile(join(dir, 'nope.onnx'), { timeoutMs: 20_000 });
    expect(missing).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot load/) });
    const slow = await inspectModelFile(file('slow.onnx', bytes), { timeoutMs: 1 });
    expect(slow).toEqual({ ok: false, reason: 'inspection timed out after 1 ms (the file stalls the loader)' });
  });
});

describe('inspectModelFile through the launcher (inspections forked from a small process, not from the server)', () => {
  beforeAll(() => startModelInspector());
  afterAll(() => stopModelInspector());

  it('gives the same verdicts: a valid model, a garbage file, a time-out, several at once', async () => {
    const [ok, garbage, slow] = await Promise.all([
      inspectModelFile(file('ok-2.onnx', bytes), { timeoutMs: 20_000 }),
      inspectModelFile(file('garbage-2.onnx', Buffer.from('not a model')), { timeoutMs: 20_000 }),
      inspectModelFile(file('slow-2.onnx', bytes), { timeoutMs: 1 }),
    ]);
    expect(ok).toMatchObject({ ok: true, signature: { inputs: [{ name: 'features' }] } });
    expect(garbage).toMatchObject({ ok: false, reason: expect.stringMatching(/cannot load/) });
    expect(slow).toEqual({ ok: false, reason: 'inspection timed out after 1 ms (the file stalls the loader)' });
  });

  it('forks nothing from this process while the launcher runs', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const childProcess = require('node:child_process') as typeof import('node:child_process');
    const fork = jest.spyOn(childProcess, 'fork');
    try {
      const result = await inspectModelFile(file('ok-3.onnx', bytes), { timeoutMs: 20_000 });
      expect(result.ok).toBe(true);
      expect(fork).not.toHaveBeenCalled();
    } finally {
      fork.mockRestore();
    }
  });
});
