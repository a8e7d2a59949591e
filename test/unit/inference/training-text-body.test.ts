/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { buildDemoModels } from '../../../inference/model-kit/demo-models';
import { defaultTokenizerSpec } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { readTextModelBodyOrThrow } from '../../../inference/model-kit/text-models';
import { SeededRandom } from '../../../inference/model-kit/seeded-random';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';
import { buildTextBodyEval, buildTextBodyStep } from '../../../inference/training/text-body-graphs';
import { tokenizedSet, TextBodyTrainer } from '../../../inference/training/text-body-trainer';
import { supportTickets } from '../../support/fine-tune-fixtures';

describe('text body step graph (embedding table + head, SGD)', () => {
  const runner = new LocalStepRunner();
  afterAll(() => runner.close());

  it('moves only the embedding rows of the batch\'s tokens, by weight x pooled gradient', async () => {
    const spec = defaultTokenizerSpec({ buckets: 16, sequenceLength: 4 });
    const shape = { spec, dim: 2, classes: 2 };
    runner.register('tiny-step', buildTextBodyStep(shape));
    const random = new SeededRandom(1);
    const embedding = random.normalArray(16 * 2, 0.5);
    const weight = random.normalArray(4, 0.5);
    const bias = new Float32Array(2);
    const ids = BigInt64Array.from([3n, 5n, 0n, 0n]);
    const weights = Float32Array.from([0.5, 0.5, 0, 0]);
    const out = await runner.run('tiny-step', {
      token_ids: { type: 'int64', dims: [1, 4], data: ids }, token_weights: { type: 'float32', dims: [1, 4], data: weights },
      labels: { type: 'int64', dims: [1], data: BigInt64Array.from([1n]) },
      embedding: { type: 'float32', dims: [16, 2], data: embedding }, weight: { type: 'float32', dims: [2, 2], data: weight },
      bias: { type: 'float32', dims: [2], data: bias }, learning_rate: { type: 'float32', dims: [], data: Float32Array.of(1) },
    });
    // expected, by hand
    const pooled = [0, 1].map((d) => 0.5 * embedding[3 * 2 + d] + 0.5 * embedding[5 * 2 + d]);
    const logits = [0, 1].map((c) => pooled[0] * weight[c] + pooled[1] * weight[2 + c]);
    const z = Math.exp(logits[0]) + Math.exp(logits[1]);
    const residual = [Math.exp(logits[0]) / z, Math.exp(logits[1]) / z - 1];
    const gradPooled = [0, 1].map((d) => residual[0] * weight[d * 2] + residual[1] * weight[d * 2 + 1]);
    const next = out.embedding_next.data as Float32Array;
    for (let row = 0; row < 16; row++) {
      for (let d = 0; d < 2; d++) {
        const moved = row === 3 || row === 5 ? -0.5 * gradPooled[d] : 0;
        expect(next[row * 2 + d]).toBeCloseTo(embedding[row * 2 + d] + moved, 5);
      }
    }
  });

  it('adapts the demo sentiment body to support tickets it cannot separate frozen', async () => {
    const base = buildDemoModels().find((m) => m.key === 'review-sentiment')!.onnx;
    const body = readTextModelBodyOrThrow(base);
    const labels = ['billing', 'technical', 'shipping'];
    const shape = { spec: body.spec, dim: body.embeddingDim, classes: labels.length };
    runner.register('step', buildTextBodyStep(shape)).register('eval', buildTextBodyEval(shape));
    const rows = supportTickets(40, 11);
    const [train, validation] = [rows.slice(0, 96), rows.slice(96)];
    const set = (part: typeof rows) => tokenizedSet(part.map((r) => r.text), part.map((r) => labels.indexOf(r.label)), body.spec);
    const trainer = new TextBodyTrainer(runner, { step: 'step', evaluate: 'eval' }, shape);
    const reports: number[] = [];
    const initial = { embedding: body.embedding, head: { weight: new SeededRandom(1).normalArray(shape.dim * 3, 0.01), bias: new Float32Array(3) } };
    const weights = await trainer.train(set(train), {
      firstEpoch: 1, lastEpoch: 8, batchSize: 8, learningRate: 4, seed: 1, initial, validation: set(validation),
      onCheckpoint: (_c, report) => void reports.push(report.validationAccuracy!),
    });
    expect(reports).toHaveLength(8);
    expect(reports[7]).toBeGreaterThanOrEqual(0.9);
    expect(weights.embedding).not.toEqual(body.embedding);
  });
});
