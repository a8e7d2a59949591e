/**
 * @jest-environment ./test/unit/inference/model-kit-ort.environment.ts
 */
import { predictBagOfNgrams } from '../../../inference/model-kit/bag-of-ngrams-trainer';
import { defaultTokenizerSpec, tokenize } from '../../../inference/model-kit/hashed-ngram-tokenizer';
import { SeededRandom } from '../../../inference/model-kit/seeded-random';
import {
  buildFineTunedTextClassifier, buildTextClassifier, buildTextEmbedder, buildTextFeatureExtractor,
  readTextModelBodyOrThrow, TextModelBody, withRandomFeatures,
} from '../../../inference/model-kit/text-models';
import { LocalStepRunner } from '../../../inference/training/local-step-runner';

const spec = defaultTokenizerSpec({ buckets: 512, sequenceLength: 16 });
const dim = 6;
const labels = ['a', 'b', 'c'];
const random = new SeededRandom(3);
const body: TextModelBody = { spec, embeddingDim: dim, embedding: random.normalArray(512 * dim, 0.5).fill(0, 0, dim) };
const head = { weight: random.normalArray(dim * 3, 1), bias: Float32Array.from([0.1, -0.2, 0.05]) };
const texts = ['I love this product', 'terrible, it broke after a day', 'ok', ''];

describe('text model builders', () => {
  const runner = new LocalStepRunner()
    .register('classifier', buildTextClassifier({ spec, embeddingDim: dim, labels, weights: { embedding: body.embedding, head } }))
    .register('embedder', buildTextEmbedder(body))
    .register('features', buildTextFeatureExtractor(body));
  afterAll(() => runner.close());

  it('classifier probabilities match the TypeScript reference for a batch', async () => {
    const out = await runner.run('classifier', tokenize(texts, spec).inputs);
    expect(out.probabilities.dims).toEqual([4, 3]);
    expect(out.logits.dims).toEqual([4, 3]);
    const probs = out.probabilities.data as Float32Array;
    texts.forEach((text, row) => {
      const expected = predictBagOfNgrams({ body, head }, text);
      expected.forEach((p, c) => expect(probs[row * 3 + c]).toBeCloseTo(p, 5));
    });
  });

  it('scores a text the same alone and in a batch (dynamic batch)', async () => {
    const alone = await runner.run('classifier', tokenize([texts[1]], spec).inputs);
    const batched = await runner.run('classifier', tokenize(texts, spec).inputs);
    const row = (batched.probabilities.data as Float32Array).slice(3, 6);
    Array.from(alone.probabilities.data as Float32Array).forEach((p, c) => expect(row[c]).toBeCloseTo(p, 6));
  });

  it('embedder outputs unit vectors, and zeros for an empty text', async () => {
    const out = await runner.run('embedder', tokenize(texts, spec).inputs);
    expect(out.embedding.dims).toEqual([4, dim]);
    const e = out.embedding.data as Float32Array;
    for (let row = 0; row < 3; row++) {
      expect(Math.hypot(...e.slice(row * dim, (row + 1) * dim))).toBeCloseTo(1, 5);
    }
    expect(Array.from(e.slice(3 * dim))).toEqual(new Array(dim).fill(0));
  });

  it('feature extractor outputs the mean-pooled embedding', async () => {
    const out = await runner.run('features', tokenize(['great value'], spec).inputs);
    const { inputs } = tokenize(['great value'], spec);
    const ids = Array.from(inputs.token_ids.data as BigInt64Array, Number).filter((id) => id > 0);
    const mean = new Array(dim).fill(0);
    ids.forEach((id) => mean.forEach((_, d) => (mean[d] += body.embedding[id * dim + d] / ids.length)));
    Array.from(out.features.data as Float32Array).forEach((v, d) => expect(v).toBeCloseTo(mean[d], 5));
  });

  it('reads the body back and builds a fine-tuned classifier with new labels', async () => {
    const base = buildTextClassifier({ spec, embeddingDim: dim, labels, weights: { embedding: body.embedding, head } });
    const read = readTextModelBodyOrThrow(base);
    expect(read.spec).toEqual(spec);
    expect(Array.from(read.embedding)).toEqual(Array.from(body.embedding));
    const newHead = { weight: random.normalArray(dim * 2, 1), bias: new Float32Array(2) };
    runner.register('tuned', buildFineTunedTextClassifier(base, newHead, ['yes', 'no']));
    const out = await runner.run('tuned', tokenize(texts, spec).inputs);
    expect(out.probabilities.dims).toEqual([4, 2]);
    const expected = predictBagOfNgrams({ body, head: newHead }, texts[0]);
    expect((out.probabilities.data as Float32Array)[0]).toBeCloseTo(expected[0], 5);
  });

  it('widens a body with fixed random features without changing the classifier\'s outputs', async () => {
    const wide = withRandomFeatures({ body, head }, 10, 5);
    expect(wide.body.embeddingDim).toBe(dim + 10);
    expect(withRandomFeatures({ body, head }, 10, 5)).toEqual(wide);
    expect(Array.from(wide.body.embedding.subarray(0, dim + 10))).toEqual(new Array(dim + 10).fill(0));
    expect(Array.from(wide.body.embedding.subarray(dim + 10, dim + 10 + dim))).toEqual(Array.from(body.embedding.subarray(dim, 2 * dim)));
    const bytes = buildTextClassifier({ spec, embeddingDim: dim + 10, labels, weights: { embedding: wide.body.embedding, head: wide.head } });
    runner.register('wide', bytes);
    const narrow = await runner.run('classifier', tokenize(texts, spec).inputs);
    const widened = await runner.run('wide', tokenize(texts, spec).inputs);
    Array.from(widened.probabilities.data as Float32Array).forEach((p, i) => expect(p).toBeCloseTo((narrow.probabilities.data as Float32Array)[i], 5));
    expect(readTextModelBodyOrThrow(bytes).embeddingDim).toBe(dim + 10);
  });

  it('rejects weights of the wrong size and bytes that are not a text model', () => {
    expect(() => buildTextClassifier({ spec, embeddingDim: dim, labels, weights: { embedding: new Float32Array(3), head } })).toThrow(/embedding/);
    expect(() => readTextModelBodyOrThrow(buildTextEmbedder(body).subarray(0, 0))).toThrow(/tokenizer spec/);
  });
});
