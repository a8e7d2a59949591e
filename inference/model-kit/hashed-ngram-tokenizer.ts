import type { EngineTensor } from '../engine/engine.types';

/**
 * How text becomes model inputs; serialised as JSON next to each text model version.
 * Bucket 0 is reserved for padding, so real tokens hash into 1..buckets-1.
 */
export interface TokenizerSpec {
  kind: 'hashed-ngrams';
  /** Rows of the embedding table, including the padding row 0. */
  buckets: number;
  /** Word n-gram orders, e.g. [1, 2] for unigrams and bigrams. */
  ngramOrders: number[];
  lowercase: true;
  /** Fixed number of token slots per text; longer texts are truncated. */
  sequenceLength: number;
}

/** Model inputs for a batch of texts plus per-text token counts for metering. */
export interface TokenizedBatch {
  /** `token_ids` int64 [batch, sequenceLength] and `token_weights` float32 [batch, sequenceLength]. */
  inputs: { token_ids: EngineTensor; token_weights: EngineTensor };
  /** Tokens fed to the model per text (after truncation); what INPUT_TOKENS meters. */
  tokenCounts: number[];
  /** Whether a text had more tokens than `sequenceLength` and was cut. */
  truncated: boolean[];
}

/** The padding token id. */
export const PAD_TOKEN_ID = 0;

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** A spec with the project's defaults (8192 buckets, unigrams + bigrams, 64 slots). */
export function defaultTokenizerSpec(overrides: Partial<Omit<TokenizerSpec, 'kind' | 'lowercase'>> = {}): TokenizerSpec {
  return { kind: 'hashed-ngrams', buckets: 8192, ngramOrders: [1, 2], lowercase: true, sequenceLength: 64, ...overrides };
}

/** FNV-1a 32-bit over the UTF-8 bytes of `text`; stable across platforms and releases. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Lower-cased words of a text (letters and digits, keeping contractions such as "don't"). */
export function splitWords(text: string): string[] {
  return (text.toLowerCase().replace(/’/g, "'").match(WORD) ?? []);
}

/**
 * The n-grams of a text in reading order: at each word, the grams ending there, lowest order first.
 * Untruncated; {@link tokenize} keeps the first `sequenceLength`.
 */
export function textNgrams(text: string, ngramOrders: number[]): string[] {
  const words = splitWords(text);
  const orders = [...ngramOrders].sort((a, b) => a - b);
  const grams: string[] = [];
  for (let i = 0; i < words.length; i++) {
    for (const n of orders) {
      if (i - n + 1 >= 0) grams.push(words.slice(i - n + 1, i + 1).join(' '));
    }
  }
  return grams;
}

/** Token ids (1..buckets-1) of a text, untruncated. */
export function tokenIds(text: string, spec: TokenizerSpec): number[] {
  return textNgrams(text, spec.ngramOrders).map((gram) => 1 + (fnv1a32(gram) % (spec.buckets - 1)));
}

/** Throws when a spec cannot be used (unknown kind, too few buckets, bad orders or length). */
export function assertTokenizerSpec(spec: TokenizerSpec): void {
  const ok =
    spec.kind === 'hashed-ngrams' &&
    Number.isInteger(spec.buckets) && spec.buckets >= 2 &&
    Number.isInteger(spec.sequenceLength) && spec.sequenceLength >= 1 &&
    spec.ngramOrders.length > 0 && spec.ngramOrders.every((n) => Number.isInteger(n) && n >= 1);
  if (!ok) throw new Error(`invalid tokenizer spec: ${JSON.stringify(spec)}`);
}

/**
 * Tokenizes a batch of texts into fixed-shape model inputs. Each text yields its n-gram ids
 * (hashed into buckets), truncated to `sequenceLength` (texts longer than that lose their tail),
 * padded with id 0 and weight 0; real tokens weigh 1/count so a weighted sum is a mean pool.
 * An empty text gives zero tokens (all padding). Every request has the same shape
 * [batch, sequenceLength], so the engine can concatenate requests along dim 0.
 */
export function tokenize(texts: string[], spec: TokenizerSpec): TokenizedBatch {
  assertTokenizerSpec(spec);
  const length = spec.sequenceLength;
  const ids = new BigInt64Array(texts.length * length);
  const weights = new Float32Array(texts.length * length);
  const tokenCounts: number[] = [];
  const truncated: boolean[] = [];
  texts.forEach((text, row) => {
    const all = tokenIds(text, spec);
    const kept = all.slice(0, length);
    kept.forEach((id, col) => {
      ids[row * length + col] = BigInt(id);
      weights[row * length + col] = 1 / kept.length;
    });
    tokenCounts.push(kept.length);
    truncated.push(all.length > length);
  });
  const dims = [texts.length, length];
  return {
    inputs: { token_ids: { type: 'int64', dims, data: ids }, token_weights: { type: 'float32', dims, data: weights } },
    tokenCounts,
    truncated,
  };
}
