/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { buildDemoModels } from '../../../inference/model-kit/demo-models';
import { defaultTokenizerSpec } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { readTextModelBodyOrThrow } from '../../../inference/model-kit/text-models';
import { SeededRandom } from '../../../inference/model-kit/seeded-random';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';
import { buildTextBodyEval, buildTextBodyStep } from '../../../inference/training/text-body-graphs';
import type { StepRunner } from '../../../inference/training/step-runner';
import { compactRows, type EpochCheckpoint, tokenizedSet, TextBodyTrainer } from '../../../inference/training/text-body-trainer';
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
    // tokens 3, 5 and padding (row 0, weight 0): the step sees those three rows of the table only
    const { rows, tokenRows } = compactRows(BigInt64Array.from([3n, 5n, 0n, 0n]));
    expect(rows).toEqual([3, 5, 0]);
    expect([...tokenRows]).toEqual([0n, 1n, 2n, 2n]);
    // rows past the reused position array, and ids too wide for it (a Map then), compact alike
    const wide = compactRows(BigInt64Array.from([70_000n, 3n, 70_000n, 1n << 40n, 3n]));
    expect(wide.rows).toEqual([70_000, 3, 2 ** 40]);
    expect([...wide.tokenRows]).toEqual([0n, 1n, 0n, 2n, 1n]);
    expect(compactRows(BigInt64Array.from([3n, 70_000n])).rows).toEqual([3, 70_000]); // the array is reset after each call
    const gathered = Float32Array.from(rows.flatMap((r) => [embedding[r * 2], embedding[r * 2 + 1]]));
    const weights = Float32Array.from([0.5, 0.5, 0, 0]);
    const out = await runner.run('tiny-step', {
      token_rows: { type: 'int64', dims: [1, 4], data: tokenRows }, token_weights: { type: 'float32', dims: [1, 4], data: weights },
      labels: { type: 'int64', dims: [1], data: BigInt64Array.from([1n]) },
      embedding_rows: { type: 'float32', dims: [3, 2], data: gathered }, weight: { type: 'float32', dims: [2, 2], data: weight },
      bias: { type: 'float32', dims: [2], data: bias }, learning_rate: { type: 'float32', dims: [], data: Float32Array.of(1) },
    });
    // expected, by hand
    const pooled = [0, 1].map((d) => 0.5 * embedding[3 * 2 + d] + 0.5 * embedding[5 * 2 + d]);
    const logits = [0, 1].map((c) => pooled[0] * weight[c] + pooled[1] * weight[2 + c]);
    const z = Math.exp(logits[0]) + Math.exp(logits[1]);
    const residual = [Math.exp(logits[0]) / z, Math.exp(logits[1]) / z - 1];
    const gradPooled = [0, 1].map((d) => residual[0] * weight[d * 2] + residual[1] * weight[d * 2 + 1]);
    const next = out.embedding_rows_next.data as Float32Array;
    expect(out.embedding_rows_next.dims).toEqual([3, 2]);
    rows.forEach((row, i) => {
      for (let d = 0; d < 2; d++) {
        const moved = row === 3 || row === 5 ? -0.5 * gradPooled[d] : 0;
        expect(next[i * 2 + d]).toBeCloseTo(embedding[row * 2 + d] + moved, 5);
      }
    });
    expect(next[2 * 2]).toBe(embedding[0]); // padding: exactly unchanged
  });

  it('trains the table in place, leaves rows no text uses untouched, and resumes from a checkpoint bit for bit', async () => {
    // NOTE: two epochs a request, so epochs 1 (alone), 3 and 4 keep a state (a request's last)
    const spec = defaultTokenizerSpec({ buckets: 256, sequenceLength: 8 });
    const shape = { spec, dim: 4, classes: 3 };
    runner.register('small-step', buildTextBodyStep(shape)).register('small-eval', buildTextBodyEval(shape));
    const rows = supportTickets(8, 3);
    const labels = ['billing', 'technical', 'shipping'];
    const set = tokenizedSet(rows.map((r) => r.text), rows.map((r) => labels.indexOf(r.label)), spec);
    // the requests the trainer sends, by kind and graph
    const requests: string[] = [];
    const counted: StepRunner = {
      run: (graph, feeds) => (requests.push(`run ${graph}`), runner.run(graph, feeds)),
      runSteps: (graph, inputs, loop) => (requests.push(`steps ${graph}`), runner.runSteps(graph, inputs, loop)),
    };
    const trainer = new TextBodyTrainer(counted, { step: 'small-step', evaluate: 'small-eval' }, shape);
    const initial = { embedding: new SeededRandom(2).normalArray(256 * 4, 0.3), head: { weight: new SeededRandom(3).normalArray(12, 0.1), bias: new Float32Array(3) } };
    const base = Float32Array.from(initial.embedding);
    const options = { firstEpoch: 1, lastEpoch: 4, batchSize: 4, learningRate: 2, seed: 5, initial, validation: set, epochsPerRequest: 2 };
    const checkpoints: EpochCheckpoint[] = [];
    const validated: number[] = [];
    const unbroken = await trainer.train(set, { ...options, onCheckpoint: (c, report) => void (checkpoints.push(c), validated.push(report.validationLoss!)) });
    expect(checkpoints.map((c) => [c.epoch, c.step, c.state !== undefined])).toEqual([[1, 6, true], [2, 12, false], [3, 18, true], [4, 24, true]]);
    // one request a round for its steps and one for its epochs' validations (epochs 1, 2-3, 4), not one an epoch
    expect(requests.filter((r) => r === 'steps small-step')).toHaveLength(3);
    expect(requests.filter((r) => r === 'steps small-eval')).toHaveLength(3);
    expect(requests).toHaveLength(6);
    // each epoch validated on its own weights (not the request's last), as one epoch a request validates them
    const perEpoch: number[] = [];
    const oneByOne = await trainer.train(set, { ...options, epochsPerRequest: 1, onCheckpoint: (_c, report) => void perEpoch.push(report.validationLoss!) });
    expect(oneByOne).toEqual(unbroken);
    expect(validated).toEqual(perEpoch);
    expect(new Set(validated).size).toBe(4);
    expect(initial.embedding).toEqual(base); // the caller's table is not written
    const used = new Set(Array.from(set.ids, Number));
    for (let row = 0; row < 256; row++) {
      const same = unbroken.embedding.subarray(row * 4, row * 4 + 4).every((v, d) => v === base[row * 4 + d]);
      if (!used.has(row)) expect(same).toBe(true);
    }
    // a checkpoint holds the rows changed, not the table
    const third = { ...checkpoints[2], state: checkpoints[2].state! };
    expect(third.state.embedding).toBeUndefined();
    expect(third.state.embedding_row_ids.dims[0]).toBeLessThanOrEqual(used.size);
    const resumed = await trainer.train(set, { ...options, resumeFrom: third });
    expect(resumed.embedding).toEqual(unbroken.embedding);
    expect(resumed.head).toEqual(unbroken.head);
    expect(trainer.weightsOf(checkpoints[3].state!, initial.embedding)).toEqual(unbroken);
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
