/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { buildReviewCorpus, LabelledText } from '../../../inference/model-kit/corpus/review-corpus';
import { buildDemoModels } from '../../../inference/model-kit/demo-models';
import { tokenize } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { buildFineTunedTextClassifier, buildTextFeatureExtractor, readTextModelBodyOrThrow } from '../../../inference/model-kit/text-models';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';
import { buildSoftmaxHeadEval, buildSoftmaxHeadStep } from '../../../inference/training/softmax-head-graphs';
import { SoftmaxHeadTrainer } from '../../../inference/training/softmax-head-trainer';
import { extractTextFeatures } from '../../../inference/training/text-feature-extraction';

const NEW_LABELS = ['complaint', 'praise'];
const relabel = (items: LabelledText[]): LabelledText[] => items.filter((x) => x.label !== 'neutral');
const classOf = (x: LabelledText): number => (x.label === 'negative' ? 0 : 1);

describe('fine-tuning a new head on a base text model body', () => {
  const runner = new LocalStepRunner();
  afterAll(() => runner.close());

  it('extracts features with the base body, trains a head through step graphs, and ships a new classifier', async () => {
    const base = buildDemoModels().find((m) => m.key === 'review-sentiment')!.onnx;
    const body = readTextModelBodyOrThrow(base);
    const shape = { dim: body.embeddingDim, classes: NEW_LABELS.length };
    const optimizer = { kind: 'adam' as const };
    runner
      .register('extractor', buildTextFeatureExtractor(body))
      .register('step', buildSoftmaxHeadStep(shape, optimizer))
      .register('eval', buildSoftmaxHeadEval(shape));
    const corpus = buildReviewCorpus();
    const [train, heldOut] = [relabel(corpus.train), relabel(corpus.heldOut)];
    const trainSet = { ...(await extractTextFeatures(runner, 'extractor', train.map((x) => x.text), body.spec, { batchSize: 100 })), labels: train.map(classOf) };
    const heldOutSet = { ...(await extractTextFeatures(runner, 'extractor', heldOut.map((x) => x.text), body.spec)), labels: heldOut.map(classOf) };
    expect(trainSet.features.length).toBe(train.length * shape.dim);

    const trainer = new SoftmaxHeadTrainer(runner, { step: 'step', evaluate: 'eval' }, shape, optimizer);
    const { head, history } = await trainer.train(trainSet, { epochs: 8, batchSize: 32, learningRate: 0.05, seed: 1, validation: heldOutSet });
    expect(history[history.length - 1].loss).toBeLessThan(history[0].loss);
    expect(history[history.length - 1].validationAccuracy).toBeGreaterThanOrEqual(0.9);

    runner.register('tuned', buildFineTunedTextClassifier(base, head, NEW_LABELS));
    const texts = ['I love this product', 'This is terrible, it broke after a day'];
    const out = await runner.run('tuned', tokenize(texts, body.spec).inputs);
    const p = out.probabilities.data as Float32Array;
    expect(out.probabilities.dims).toEqual([2, 2]);
    expect(p[1]).toBeGreaterThan(p[0]);
    expect(p[2]).toBeGreaterThan(p[3]);
  });
});
