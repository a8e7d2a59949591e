/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { buildReviewCorpus } from '../../../inference/model-kit/corpus/review-corpus';
import { UNSEEN_DOMAIN_REVIEWS } from '../../../inference/model-kit/corpus/unseen-domain-reviews';
import { demoModelDigest, readCachedDemoModels } from '../../../inference/model-kit/demo-model-cache';
import { buildDemoModels, DemoModel, trainDemoModels } from '../../../inference/model-kit/demo-models';
import { tokenize, TokenizerSpec } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { floatTensor } from '../../../inference/model-kit/tensor-values';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';

const runner = new LocalStepRunner();
let models: Record<string, DemoModel>;

let trained: DemoModel[];

beforeAll(() => {
  // NOTE: the quality checks below judge a fresh training, not the disk cache the seed reads.
  trained = trainDemoModels();
  models = Object.fromEntries(trained.map((m) => [m.key, m]));
  Object.values(models).forEach((m) => runner.register(m.key, m.onnx));
}, 240_000);
afterAll(() => runner.close());

async function classify(texts: string[]): Promise<string[]> {
  const model = models['review-sentiment'];
  const out = await runner.run(model.key, tokenize(texts, model.preprocessing as TokenizerSpec).inputs);
  const probs = out.probabilities.data as Float32Array;
  const k = model.labels!.length;
  return texts.map((_, row) => {
    const p = Array.from(probs.slice(row * k, (row + 1) * k));
    return model.labels![p.indexOf(Math.max(...p))];
  });
}

describe('review corpus', () => {
  it('ships hundreds of labelled reviews in all three classes, with a disjoint held-out split', () => {
    const corpus = buildReviewCorpus();
    expect(corpus.train.length + corpus.heldOut.length).toBeGreaterThanOrEqual(1000);
    expect(corpus.heldOut.length).toBeGreaterThanOrEqual(200);
    for (const label of corpus.labels) expect(corpus.train.filter((x) => x.label === label).length).toBeGreaterThan(200);
    const trainTexts = new Set(corpus.train.map((x) => x.text));
    expect(corpus.heldOut.some((x) => trainTexts.has(x.text))).toBe(false);
    expect(buildReviewCorpus()).toEqual(corpus);
  });
});

describe('demo models', () => {
  it('describes three publishable models', () => {
    expect(Object.keys(models).sort()).toEqual(['credit-risk', 'review-embedder', 'review-sentiment']);
    expect(models['review-sentiment'].labels).toEqual(['negative', 'neutral', 'positive']);
    expect(models['credit-risk'].preprocessing).toEqual({ kind: 'tabular-features', featureNames: expect.any(Array) });
    expect(buildDemoModels()).toBe(buildDemoModels());
  });

  it('trains to the same bytes every time, so the disk cache the demo seed reads is exact', () => {
    const served = buildDemoModels();
    const cachedOnDisk = readCachedDemoModels(demoModelDigest());
    for (const copy of [served, cachedOnDisk!]) {
      expect(copy.map((m) => m.key)).toEqual(trained.map((m) => m.key));
      copy.forEach((m, i) => {
        expect(Buffer.from(m.onnx).equals(Buffer.from(trained[i].onnx))).toBe(true);
        expect({ ...m, onnx: null }).toEqual({ ...trained[i], onnx: null });
      });
    }
  });

  it('sentiment classifier gets the obvious cases right', async () => {
    expect(await classify(['I love this product', 'This is terrible, it broke after a day', 'It is okay, nothing special.']))
      .toEqual(['positive', 'negative', 'neutral']);
  });

  it('sentiment classifier reaches >= 85% on the held-out split through ONNX', async () => {
    const { heldOut } = buildReviewCorpus();
    const predicted = await classify(heldOut.map((x) => x.text));
    const accuracy = predicted.filter((p, i) => p === heldOut[i].label).length / heldOut.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.85);
    expect(accuracy).toBeCloseTo(models['review-sentiment'].metrics.heldOutAccuracy, 2);
  });

  it('sentiment classifier reaches >= 0.85 on reviews from domains it never trained on, through ONNX', async () => {
    const predicted = await classify(UNSEEN_DOMAIN_REVIEWS.map((x) => x.text));
    const accuracy = predicted.filter((p, i) => p === UNSEEN_DOMAIN_REVIEWS[i].label).length / UNSEEN_DOMAIN_REVIEWS.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.85);
    expect(accuracy).toBeCloseTo(models['review-sentiment'].metrics.unseenDomainAccuracy, 5);
    expect(models['review-sentiment'].metrics.unseenDomainExamples).toBe(UNSEEN_DOMAIN_REVIEWS.length);
  });

  it('reads the issue\'s three reviews, negation and contrast right', async () => {
    expect(await classify([
      'The hotel room was spotless and the staff went out of their way to help us',
      'Overpriced, noisy and slow, I returned it',
      'Five stars, it does exactly what it promises',
      'This is not good.',
      'Not bad at all.',
      'The battery is not great.',
      'I wanted to love it, but it broke after a week.',
      'It broke after a week, but the seller replaced it and now I love it.',
    ])).toEqual(['positive', 'negative', 'positive', 'negative', 'positive', 'negative', 'negative', 'positive']);
  });

  it('serves the trained body widened by fixed random features its head ignores; the embedder keeps the trained 16 dims', async () => {
    const model = models['review-sentiment'];
    expect(model.preprocessing).toMatchObject({ kind: 'hashed-ngrams', negation: 'scope', contrastWeight: 3 });
    expect(models['review-embedder'].outputs[0].dims).toEqual(['batch', 16]);
    expect(models['review-embedder'].preprocessing).toEqual(model.preprocessing);
  });

  it('embedder places same-sentiment reviews closer together', async () => {
    const model = models['review-embedder'];
    const texts = ['I love this blender, works perfectly', 'Fantastic kettle, highly recommended', 'It broke after a week, total waste'];
    const out = await runner.run(model.key, tokenize(texts, model.preprocessing as TokenizerSpec).inputs);
    const e = out.embedding.data as Float32Array;
    const dim = out.embedding.dims[1];
    const cos = (a: number, b: number): number => e.slice(a * dim, (a + 1) * dim).reduce((s, v, d) => s + v * e[b * dim + d], 0);
    expect(cos(0, 1)).toBeGreaterThan(cos(0, 2));
  });

  it('credit-risk MLP scores applicants from raw features', async () => {
    const model = models['credit-risk'];
    expect(model.metrics.heldOutAccuracy).toBeGreaterThanOrEqual(0.85);
    const rows = [[150, 0.1, 55, 0, 30], [18, 0.85, 24, 8, 1]];
    const out = await runner.run(model.key, { features: floatTensor(Float32Array.from(rows.flat()), [2, 5]) });
    const p = out.probabilities.data as Float32Array;
    expect(p.indexOf(Math.max(...p.slice(0, 3)))).toBe(0);
    expect(Array.from(p.slice(3, 6)).indexOf(Math.max(...p.slice(3, 6)))).toBe(2);
  });
});
