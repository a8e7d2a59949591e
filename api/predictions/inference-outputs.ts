import type { EngineTensor } from '../../inference';
import { ModelTask } from '../../schema/catalogue/catalogue.enums';
import type { Prediction } from '../../schema/predictions/predictions.payloads';
import type { ServingVersion } from './serving-model.cache';
import { ApiError, ErrorCode } from '../common/errors';

/** What a call answers besides usage: raw outputs as JSON, predictions, embeddings. */
export interface ShapedOutputs {
  outputs: Record<string, { type: string; dims: number[]; data: Array<number | string> }>;
  predictions: Prediction[] | null;
  embeddings: number[][] | null;
}

function rowsOf(tensor: EngineTensor): number[][] {
  const width = tensor.dims.length > 1 ? tensor.dims.slice(1).reduce((a, b) => a * b, 1) : 1;
  const rows = tensor.dims[0] ?? 1;
  const data = tensor.data as ArrayLike<number>;
  return Array.from({ length: rows }, (_, r) => Array.from({ length: width }, (_, c) => Number(data[r * width + c])));
}

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Per row: the labels by probability; reads `probabilities`, else softmaxes the first output that fits. */
function predictionsOf(labels: string[], outputs: Record<string, EngineTensor>): Prediction[] | null {
  const fits = (t: EngineTensor | undefined) => !!t && t.type !== 'string' && t.dims.at(-1) === labels.length;
  const probabilities = fits(outputs.probabilities) ? outputs.probabilities : undefined;
  const logits = probabilities ?? Object.values(outputs).find(fits);
  if (!logits) return null;
  return rowsOf(logits).map((row) => {
    const p = probabilities ? row : softmax(row);
    const scores = labels.map((label, i) => ({ label, score: p[i] })).sort((a, b) => b.score - a.score);
    return { label: scores[0].label, score: scores[0].score, scores };
  });
}

/**
 * Raw outputs as JSON tensors, plus predictions (labelled models) and embeddings (TEXT_EMBEDDING).
 * Throws INVALID_MODEL_OUTPUT naming the output when a model answered NaN or Infinity (JSON has
 * no such numbers; they would reach the client as null): the caller records no usage.
 */
export function shapeOutputs(serving: ServingVersion, outputs: Record<string, EngineTensor>): ShapedOutputs {
  const json: ShapedOutputs['outputs'] = {};
  for (const [name, t] of Object.entries(outputs)) {
    const data = t.type === 'string' ? (t.data as string[]) : Array.from(t.data as ArrayLike<number | bigint>, Number);
    if (t.type !== 'string') {
      const bad = (data as number[]).findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        throw new ApiError(ErrorCode.INVALID_MODEL_OUTPUT, `${serving.model.slug} answered ${data[bad]} at index ${bad} of its output "${name}"; ` +
          'nothing was billed. The model cannot compute on these inputs; tell its vendor', { output: name, index: bad });
      }
    }
    json[name] = { type: t.type, dims: t.dims, data };
  }
  const labels = serving.version.labels;
  const predictions = labels?.length ? predictionsOf(labels, outputs) : null;
  let embeddings: number[][] | null = null;
  if (serving.model.task === ModelTask.TEXT_EMBEDDING) {
    const tensor = outputs.embedding ?? Object.values(outputs)[0];
    embeddings = tensor ? rowsOf(tensor) : null;
  }
  return { outputs: json, predictions, embeddings };
}
