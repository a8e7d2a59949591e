import { tokenize, TokenizerSpec } from '../model-kit/hashed-ngram-tokenizer';
import { floatDataOrThrow } from '../model-kit/tensor-values';
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
