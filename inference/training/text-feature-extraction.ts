import { tokenize, TokenizerSpec } from '../model-kit/hashed-ngram-tokenizer';
import type { TextModelBody } from '../model-kit/text-models';
import { compactRows } from './text-body-trainer';
import { floatDataOrThrow } from '../model-kit/tensor-values';
import type { EngineTensor } from '../engine/engine.types';
import { StepRunner } from './step-runner';

/** Options for {@link extractTextFeatures}. */
export interface TextFeatureExtractionOptions {
  /** Texts per run (default 256). */
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * Turns texts into head features by running a feature-extractor graph
 * ({@link buildTextFeatureExtractor}) through a runner in batches. Returns row-major
 * [texts.length, dim] features: what {@link SoftmaxHeadTrainer} trains on when fine-tuning.
 */
export async function extractTextFeatures(
  runner: StepRunner,
  extractorGraph: string,
  texts: string[],
  spec: TokenizerSpec,
  options: TextFeatureExtractionOptions = {},
): Promise<{ features: Float32Array; dim: number }> {
  const batchSize = options.batchSize ?? 256;
  const parts: Float32Array[] = [];
  let dim = 0;
  for (let start = 0; start < texts.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const out = await runner.run(extractorGraph, tokenize(texts.slice(start, start + batchSize), spec).inputs);
    parts.push(floatDataOrThrow(out.features, 'features'));
    dim = out.features.dims[1];
  }
  const features = new Float32Array(texts.length * dim);
  parts.reduce((offset, part) => (features.set(part, offset), offset + part.length), 0);
  return { features, dim };
}

/**
 * Like {@link extractTextFeatures}, through the rows-pooling graph ({@link buildTextRowsPooling}):
 * each batch sends the body's rows its texts use, so no session holds the whole table. The
 * same features as the body's extractor graph.
 */
export async function poolTextFeatures(
  runner: StepRunner,
  poolingGraph: string,
  texts: string[],
  body: TextModelBody,
  options: TextFeatureExtractionOptions = {},
): Promise<{ features: Float32Array; dim: number }> {
  return poolTokenizedFeatures(runner, poolingGraph, tokenize(texts, body.spec).inputs, body, options);
}

/** {@link poolTextFeatures} of texts tokenized already (`token_ids`, `token_weights`, [texts, sequenceLength]). */
export async function poolTokenizedFeatures(
  runner: StepRunner,
  poolingGraph: string,
  tokens: Record<'token_ids' | 'token_weights', EngineTensor>,
  body: TextModelBody,
  options: TextFeatureExtractionOptions = {},
): Promise<{ features: Float32Array; dim: number }> {
  const batchSize = options.batchSize ?? 256;
  const dim = body.embeddingDim;
  const length = body.spec.sequenceLength;
  const count = tokens.token_ids.dims[0];
  const features = new Float32Array(count * dim);
  for (let start = 0; start < count; start += batchSize) {
    options.signal?.throwIfAborted();
    const n = Math.min(batchSize, count - start);
    const ids = (tokens.token_ids.data as BigInt64Array).subarray(start * length, (start + n) * length);
    const { rows, tokenRows } = compactRows(ids);
    const gathered = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => gathered.set(body.embedding.subarray(row * dim, (row + 1) * dim), i * dim));
    const out = await runner.run(poolingGraph, {
      token_rows: { type: 'int64', dims: [n, length], data: tokenRows },
      token_weights: { type: 'float32', dims: [n, length], data: (tokens.token_weights.data as Float32Array).slice(start * length, (start + n) * length) },
      embedding_rows: { type: 'float32', dims: [rows.length, dim], data: gathered },
    });
    features.set(floatDataOrThrow(out.features, 'features'), start * dim);
  }
  return { features, dim };
}
