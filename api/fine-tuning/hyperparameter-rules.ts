import { HYPERPARAMETER_RANGES } from '../../schema/fine-tuning/fine-tuning.inputs';
import type { FineTuneHyperparametersInput } from '../../schema/fine-tuning/fine-tuning.inputs';
import type { FineTuneHyperparameters } from '../../schema/fine-tuning/fine-tune-job.entity';

type Name = keyof typeof HYPERPARAMETER_RANGES;

/** The first hyperparameter out of its range, with a message naming it; null when all fit. */
export function hyperparameterProblem(input: FineTuneHyperparametersInput | null | undefined): { field: Name; message: string } | null {
  for (const name of Object.keys(HYPERPARAMETER_RANGES) as Name[]) {
    const value = input?.[name];
    if (value === null || value === undefined) continue;
    const range: { min: number; max: number; integer: boolean; exclusiveMin?: boolean } = HYPERPARAMETER_RANGES[name];
    const low = range.exclusiveMin ? value <= range.min : value < range.min;
    if (!Number.isFinite(value) || low || value > range.max || (range.integer && !Number.isInteger(value))) {
      const lower = range.exclusiveMin ? `greater than ${range.min}` : `at least ${range.min}`;
      return { field: name, message: `hyperparameters.${name} must be ${range.integer ? 'an integer ' : ''}${lower} and at most ${range.max}, got ${value}` };
    }
  }
  return null;
}

/**
 * NOTE: hyperparameters left out are chosen from the training rows: batches of 8 up to 200
 * rows, 16 up to 2,000, else 32; about 3,000 rows' worth of passes (5 to 30 epochs); Adam at
 * learning rate 0.05; seed 42.
 */
export function chooseHyperparameters(input: FineTuneHyperparametersInput | null | undefined, trainRows: number): FineTuneHyperparameters {
  const batchSize = input?.batchSize ?? (trainRows <= 200 ? 8 : trainRows <= 2000 ? 16 : 32);
  const epochs = input?.epochs ?? Math.min(30, Math.max(5, Math.round(3000 / Math.max(1, trainRows))));
  return { epochs, batchSize, learningRate: input?.learningRate ?? 0.05, seed: input?.seed ?? 42 };
}
