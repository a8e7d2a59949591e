/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { SeededRandom } from '../../../inference/model-kit/seeded-random';
import { floatTensor, int64Tensor } from '../../../inference/model-kit/tensor-values';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';
import {
  buildSoftmaxHeadEval, buildSoftmaxHeadStep, HeadOptimizer, initialOptimizerState,
} from '../../../inference/training/softmax-head-graphs';
import { EpochReport, HeadTrainingSet, SoftmaxHeadTrainer } from '../../../inference/training/softmax-head-trainer';

const shape = { dim: 8, classes: 3 };

const centreSource = new SeededRandom(100);
const centres = [0, 1, 2].map(() => centreSource.normalArray(shape.dim, 2.5));

/** Samples from three well-separated Gaussian clusters in 8 dimensions (fixed centres). */
function clusters(rows: number, seed: number): HeadTrainingSet {
  const random = new SeededRandom(seed);
  const features = new Float32Array(rows * shape.dim);
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const label = random.int(3);
    labels.push(label);
    for (let d = 0; d < shape.dim; d++) features[r * shape.dim + d] = centres[label][d] + random.normal() * 0.6;
  }
  return { features, labels };
}

const optimizers: Array<[string, HeadOptimizer, number]> = [
  ['sgd-momentum', { kind: 'sgd-momentum', momentum: 0.9 }, 0.1],
  ['adam', { kind: 'adam' }, 0.05],
];

describe('softmax head training graphs', () => {
  const runner = new LocalStepRunner();
  afterAll(() => runner.close());

  it('computes the cross-entropy gradient step analytically (momentum 0 = plain SGD)', async () => {
    runner.register('sgd0', buildSoftmaxHeadStep({ dim: 2, classes: 2 }, { kind: 'sgd-momentum', momentum: 0 }));
    const x = [1, 2, -1, 0.5];
    const out = await runner.run('sgd0', {
      features: floatTensor(Float32Array.from(x), [2, 2]),
      labels: int64Tensor([0, 1], [2]),
      weight: floatTensor(Float32Array.from([0.1, -0.2, 0.3, 0.4]), [2, 2]),
      bias: floatTensor(Float32Array.from([0, 0.1]), [2]),
      learning_rate: floatTensor(Float32Array.of(0.5), []),
      ...initialOptimizerState({ dim: 2, classes: 2 }, { kind: 'sgd-momentum' }),
    });
    // Reference in plain arithmetic: logits, softmax, residual (p - y) / n, gradients.
    const logits = [[1 * 0.1 + 2 * 0.3, 1 * -0.2 + 2 * 0.4 + 0.1], [-1 * 0.1 + 0.5 * 0.3, -1 * -0.2 + 0.5 * 0.4 + 0.1]];
    const p = logits.map((l) => l.map((v) => Math.exp(v) / (Math.exp(l[0]) + Math.exp(l[1]))));
    const loss = -(Math.log(p[0][0]) + Math.log(p[1][1])) / 2;
    const r = [[(p[0][0] - 1) / 2, p[0][1] / 2], [p[1][0] / 2, (p[1][1] - 1) / 2]];
    const gradW = [x[0] * r[0][0] + x[2] * r[1][0], x[0] * r[0][1] + x[2] * r[1][1], x[1] * r[0][0] + x[3] * r[1][0], x[1] * r[0][1] + x[3] * r[1][1]];
    expect((out.loss.data as Float32Array)[0]).toBeCloseTo(loss, 5);
    const w = [0.1, -0.2, 0.3, 0.4].map((v, i) => v - 0.5 * gradW[i]);
    Array.from(out.weight_next.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(w[i], 5));
    const b = [0 - 0.5 * (r[0][0] + r[1][0]), 0.1 - 0.5 * (r[0][1] + r[1][1])];
    Array.from(out.bias_next.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    Array.from(out.velocity_weight_next.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(gradW[i], 5));
  });

  it('takes a first Adam step of about learning_rate per parameter and counts steps', async () => {
    runner.register('adam', buildSoftmaxHeadStep(shape, { kind: 'adam' }));
    const data = clusters(16, 1);
    const out = await runner.run('adam', {
      features: floatTensor(data.features, [16, shape.dim]), labels: int64Tensor(data.labels, [16]),
      weight: floatTensor(new Float32Array(24), [8, 3]), bias: floatTensor(new Float32Array(3), [3]),
      learning_rate: floatTensor(Float32Array.of(0.01), []), ...initialOptimizerState(shape, { kind: 'adam' }),
    });
    expect(Array.from(out.adam_step_next.data as Float32Array)).toEqual([1]);
    Array.from(out.bias_next.data as Float32Array).forEach((v) => expect(Math.abs(v)).toBeCloseTo(0.01, 4));
  });

  describe.each(optimizers)('SoftmaxHeadTrainer with %s', (name, optimizer, learningRate) => {
    it('drives the loss down and reaches >= 95% accuracy on a separable set', async () => {
      runner.register(`${name}-step`, buildSoftmaxHeadStep(shape, optimizer)).register('eval', buildSoftmaxHeadEval(shape));
      const trainer = new SoftmaxHeadTrainer(runner, { step: `${name}-step`, evaluate: 'eval' }, shape, optimizer);
      const reports: EpochReport[] = [];
      const result = await trainer.train(clusters(400, 2), {
        epochs: 6, batchSize: 32, learningRate, seed: 3, validation: clusters(200, 4), onEpoch: (r) => void reports.push(r),
      });
      expect(reports).toEqual(result.history);
      expect(reports.map((r) => r.steps)).toEqual(new Array(6).fill(13));
      expect(reports[5].loss).toBeLessThan(reports[0].loss * 0.5);
      expect(reports[5].accuracy).toBeGreaterThanOrEqual(0.95);
      expect(reports[5].validationAccuracy).toBeGreaterThanOrEqual(0.95);
      const evaluation = await trainer.evaluate(result.head, clusters(200, 4));
      expect(evaluation.accuracy).toBeCloseTo(reports[5].validationAccuracy!, 6);
    });
  });

  it('is deterministic for a seed', async () => {
    runner.register('det', buildSoftmaxHeadStep(shape, optimizers[0][1]));
    const trainer = new SoftmaxHeadTrainer(runner, { step: 'det' }, shape, optimizers[0][1]);
    const options = { epochs: 2, batchSize: 50, learningRate: 0.1, seed: 9 };
    const a = await trainer.train(clusters(100, 5), options);
    const b = await trainer.train(clusters(100, 5), options);
    expect(Array.from(a.head.weight)).toEqual(Array.from(b.head.weight));
    expect(a.history).toEqual(b.history);
  });

  it('stops when the signal aborts', async () => {
    runner.register('abort', buildSoftmaxHeadStep(shape, optimizers[0][1]));
    const trainer = new SoftmaxHeadTrainer(runner, { step: 'abort' }, shape, optimizers[0][1]);
    const controller = new AbortController();
    const epochs: number[] = [];
    const run = trainer.train(clusters(100, 6), {
      epochs: 50, batchSize: 10, learningRate: 0.1, signal: controller.signal,
      onEpoch: (r) => { epochs.push(r.epoch); if (r.epoch === 2) controller.abort(); },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(epochs).toEqual([1, 2]);
  });

  it('rejects labels outside the head and misshapen features', async () => {
    const trainer = new SoftmaxHeadTrainer(runner, { step: 'det' }, shape, optimizers[0][1]);
    const options = { epochs: 1, batchSize: 8, learningRate: 0.1 };
    await expect(trainer.train({ features: new Float32Array(8), labels: [3] }, options)).rejects.toThrow(/outside/);
    await expect(trainer.train({ features: new Float32Array(7), labels: [0] }, options)).rejects.toThrow(/features must be/);
  });
});
