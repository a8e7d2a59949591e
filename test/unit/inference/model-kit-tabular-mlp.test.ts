/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildTabularMlp } from '../../../inference/model-kit/tabular-mlp';

async function score(bytes: Uint8Array, rows: number[][]): Promise<Tensor> {
  const session = await InferenceSession.create(Buffer.from(bytes));
  const flat = Float32Array.from(rows.flat());
  const out = await session.run({ features: new Tensor('float32', flat, [rows.length, rows[0].length]) });
  await session.release();
  return out.scores;
}

describe('buildTabularMlp', () => {
  const options = { inputSize: 4, hiddenSizes: [8, 6], outputSize: 3, seed: 7 };

  it('loads in onnxruntime with features -> scores and a dynamic batch', async () => {
    const session = await InferenceSession.create(Buffer.from(buildTabularMlp(options)));
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['scores']);
    await session.release();
    for (const batch of [1, 5, 32]) {
      const rows = Array.from({ length: batch }, (_, i) => [i, 0.5, -1, 2]);
      const scores = await score(buildTabularMlp(options), rows);
      expect(scores.dims).toEqual([batch, 3]);
      expect(Array.from(scores.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    expect(Buffer.from(buildTabularMlp(options)).equals(Buffer.from(buildTabularMlp(options)))).toBe(true);
    const rows = [[1, 2, 3, 4], [0.1, -0.2, 0.3, -0.4]];
    const a = await score(buildTabularMlp(options), rows);
    const b = await score(buildTabularMlp(options), rows);
    const c = await score(buildTabularMlp({ ...options, seed: 8 }), rows);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    expect(Array.from(a.data as Float32Array)).not.toEqual(Array.from(c.data as Float32Array));
  });

  it('scores a row the same alone and inside a batch', async () => {
    const bytes = buildTabularMlp(options);
    const alone = await score(bytes, [[1, 2, 3, 4]]);
    const batched = await score(bytes, [[9, 9, 9, 9], [1, 2, 3, 4]]);
    const row = Array.from(batched.data as Float32Array).slice(3, 6);
    Array.from(alone.data as Float32Array).forEach((v, i) => expect(row[i]).toBeCloseTo(v, 5));
  });

  it('supports a fixed batch and a probabilities output', async () => {
    const bytes = buildTabularMlp({ ...options, batch: 2, withProbabilities: true });
    const session = await InferenceSession.create(Buffer.from(bytes));
    const out = await session.run({ features: new Tensor('float32', new Float32Array(8), [2, 4]) });
    const p = out.probabilities.data as Float32Array;
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 5);
    await expect(session.run({ features: new Tensor('float32', new Float32Array(12), [3, 4]) })).rejects.toThrow();
    await session.release();
  });
});
