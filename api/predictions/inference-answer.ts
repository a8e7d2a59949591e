import type { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { Meter } from '../../schema/metering/meter.enum';
import type { Prediction } from '../../schema/predictions/predictions.payloads';
import type { UsageLine } from '../metering/usage-recorder';
import type { ShapedOutputs } from './inference-outputs';

/** What runInference answers (and stores, for calls with a requestId). */
export interface InferenceAnswer {
  outputs: ShapedOutputs['outputs'];
  predictions: Prediction[] | null;
  embeddings: number[][] | null;
  usage: UsageLine[];
  modelVersionId: string;
  /** The served version (not stored; a replay from the database loads it by id). */
  modelVersion?: ModelVersion;
  requestId: string | null;
  replayed: boolean;
}

/** The JSON kept in `stored_response` (bigints as strings). */
export function toStoredJson(answer: InferenceAnswer): Record<string, unknown> {
  return { ...answer, modelVersion: undefined, replayed: undefined, usage: answer.usage.map((l) => ({ meter: l.meter, quantity: l.quantity.toString() })) };
}

/** A stored answer, handed out again as a replay. */
export function fromStoredJson(json: Record<string, unknown>): InferenceAnswer {
  const usage = (json.usage as Array<{ meter: Meter; quantity: string }>).map((l) => ({ meter: l.meter, quantity: BigInt(l.quantity) }));
  return { ...(json as unknown as InferenceAnswer), usage, replayed: true };
}
