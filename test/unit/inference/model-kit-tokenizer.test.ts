import { defaultTokenizerSpec, fnv1a32, textNgrams, tokenize, TokenizerSpec } from '../../../inference/model-kit/hashed-ngram-tokenizer';

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
});
