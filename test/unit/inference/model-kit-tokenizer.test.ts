import { imul32 } from '../../../inference/model-kit/seeded-random';
import { defaultTokenizerSpec, fnv1a32, textNgrams, tokenFeatures, tokenIds, tokenize, TokenizerSpec } from '../../../inference/model-kit/hashed-ngram-tokenizer';

describe('hashed n-gram tokenizer', () => {
  const spec: TokenizerSpec = defaultTokenizerSpec({ buckets: 1000, sequenceLength: 8 });

  it('hashes with FNV-1a 32-bit (reference vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('lower-cases and emits unigrams and bigrams in reading order', () => {
    expect(textNgrams('I LOVE it!', [1, 2])).toEqual(['i', 'love', 'i love', 'it', 'love it']);
    expect(textNgrams("Don't buy", [1])).toEqual(["don't", 'buy']);
    expect(textNgrams('a b c', [2, 3])).toEqual(['a b', 'b c', 'a b c']);
  });

  it('gives fixed-shape ids and weights, padding with id 0 and weight 0', () => {
    const { inputs, tokenCounts, truncated } = tokenize(['I love it', 'Great'], spec);
    expect(inputs.token_ids.dims).toEqual([2, 8]);
    expect(inputs.token_weights.dims).toEqual([2, 8]);
    expect(tokenCounts).toEqual([5, 1]);
    expect(truncated).toEqual([false, false]);
    const ids = Array.from(inputs.token_ids.data as BigInt64Array, Number);
    const weights = Array.from(inputs.token_weights.data as Float32Array);
    expect(ids.slice(0, 5).every((id) => id >= 1 && id < 1000)).toBe(true);
    expect(ids.slice(5, 8)).toEqual([0, 0, 0]);
    expect(weights.slice(0, 5).reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    expect(weights.slice(9, 16)).toEqual(new Array(7).fill(0));
  });

  it('is case-insensitive and deterministic', () => {
    const a = tokenize(['Hello World'], spec).inputs.token_ids.data;
    const b = tokenize(['hello world'], spec).inputs.token_ids.data;
    expect(Array.from(a as BigInt64Array)).toEqual(Array.from(b as BigInt64Array));
  });

  it('truncates long texts to sequenceLength and reports it', () => {
    const { tokenCounts, truncated, inputs } = tokenize(['one two three four five six'], spec);
    expect(tokenCounts).toEqual([8]);
    expect(truncated).toEqual([true]);
    expect(Array.from(inputs.token_weights.data as Float32Array).every((w) => Math.abs(w - 1 / 8) < 1e-7)).toBe(true);
  });

  it('gives zero tokens for empty or punctuation-only text', () => {
    const { tokenCounts, inputs } = tokenize(['', '?!'], spec);
    expect(tokenCounts).toEqual([0, 0]);
    expect(Array.from(inputs.token_weights.data as Float32Array).every((w) => w === 0)).toBe(true);
  });

  it('rejects an invalid spec', () => {
    expect(() => tokenize(['x'], { ...spec, buckets: 1 })).toThrow(/invalid tokenizer spec/);
    expect(() => tokenize(['x'], { ...spec, ngramOrders: [] })).toThrow(/invalid tokenizer spec/);
  });

  it('round-trips the spec through JSON', () => {
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });
  it('multiplies 32-bit integers exactly as Math.imul (the hash and the seeded random use imul32)', () => {
    const edge = [0, 1, -1, 0x7fffffff, -0x80000000, 0xffffffff, 0x811c9dc5, 0x01000193, 0x6d2b79f5, 61];
    for (const a of edge) for (const b of edge) expect(imul32(a, b)).toBe(Math.imul(a, b));
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 4294967296;
      const y = (x * 69069 + 1) % 4294967296;
      expect(imul32(x, y)).toBe(Math.imul(x, y));
    }
  });

  it('hashes non-ASCII text over its UTF-8 bytes', () => {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from('naïve ☕', 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    expect(fnv1a32('naïve ☕')).toBe(hash);
  });
});

describe('negation scope and contrast weighting', () => {
  const spec: TokenizerSpec = defaultTokenizerSpec({ buckets: 1000, sequenceLength: 8 });
  const scoped = { negation: 'scope' as const };

  it('leaves specs without them exactly as before: plain n-grams, uniform weights', () => {
    expect(textNgrams('This is not good, but fine', [1, 2])).toEqual(['this', 'is', 'this is', 'not', 'is not', 'good', 'not good', 'but', 'good but', 'fine', 'but fine']);
    const { weights } = tokenFeatures('not good but fine', spec);
    expect(weights).toEqual([1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7, 1 / 7].slice(0, weights.length));
  });

  it('marks the unigrams after a negator as not_<word> until punctuation, "but" or three words; bigrams stay plain', () => {
    expect(textNgrams('This is not good, but fine', [1], scoped)).toEqual(['this', 'is', 'not', 'not_good', 'but', 'fine']);
    expect(textNgrams('not good', [1, 2], scoped)).toEqual(['not', 'not_good', 'not good']);
    expect(textNgrams("I didn't like it but I love the rest", [1], scoped)).toEqual(['i', "didn't", 'not_like', 'not_it', 'but', 'i', 'love', 'the', 'rest']);
    expect(textNgrams('never had one problem with it', [1], scoped)).toEqual(['never', 'not_had', 'not_one', 'not_problem', 'with', 'it']);
    expect(textNgrams('Not bad at all', [1], scoped)).toEqual(['not', 'not_bad', 'not_at', 'not_all']);
  });

  it('does not negate after "without a doubt" or "not only"', () => {
    expect(textNgrams('without a doubt the best', [1], scoped)).toEqual(['without', 'a', 'doubt', 'the', 'best']);
    expect(textNgrams('not only cheap', [1], scoped)).toEqual(['not', 'only', 'cheap']);
  });

  it('weighs the tokens from "but" to the end of the sentence contrastWeight times, normalised to 1', () => {
    const contrast: TokenizerSpec = { ...spec, ngramOrders: [1], contrastWeight: 3 };
    expect(tokenFeatures('good but bad. fine', contrast).weights).toEqual([1 / 8, 3 / 8, 3 / 8, 1 / 8]);
    const { inputs } = tokenize(['good but bad. fine'], contrast);
    expect(Array.from(inputs.token_weights.data as Float32Array).slice(0, 4)).toEqual([1 / 8, 3 / 8, 3 / 8, 1 / 8].map(Math.fround));
    expect(tokenFeatures('good but bad. fine', contrast).ids).toEqual(tokenIds('good but bad. fine', contrast));
  });

  it('tokenize feeds what tokenFeatures computes, truncated to sequenceLength', () => {
    const full: TokenizerSpec = { ...spec, negation: 'scope', contrastWeight: 2 };
    const text = 'I wanted to love it but it is not good';
    const features = tokenFeatures(text, full);
    const { inputs, tokenCounts, truncated } = tokenize([text], full);
    expect(tokenCounts).toEqual([features.ids.length]);
    expect(features.ids).toHaveLength(8);
    expect(truncated).toEqual([features.total > 8]);
    expect(Array.from(inputs.token_ids.data as BigInt64Array, Number)).toEqual(features.ids);
    expect(Array.from(inputs.token_weights.data as Float32Array)).toEqual(features.weights.map(Math.fround));
  });

  it('rejects an unknown negation mode or a contrast weight that is not positive', () => {
    expect(() => tokenize(['x'], { ...spec, negation: 'all' as never })).toThrow(/invalid tokenizer spec/);
    expect(() => tokenize(['x'], { ...spec, contrastWeight: 0 })).toThrow(/invalid tokenizer spec/);
    expect(() => tokenize(['x'], { ...spec, contrastWeight: Number.NaN })).toThrow(/invalid tokenizer spec/);
  });
});
