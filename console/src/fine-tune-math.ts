/** Fine-tune jobs in the console: progress, curves and how their figures read. */

export type FineTuneStatus = 'VALIDATING' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** One epoch's figures as the API gives them (FineTuneJob.epochMetrics). */
export interface EpochMetrics {
  epoch: number;
  step: number;
  bodyTrained: boolean;
  trainLoss: number | null;
  trainAccuracy: number | null;
  validationLoss: number | null;
  validationAccuracy: number | null;
  at: string;
}

/** True while a job may still change (the detail page polls it). */
export function isActive(status: FineTuneStatus): boolean {
  return status === 'VALIDATING' || status === 'QUEUED' || status === 'RUNNING';
}

/** Thousandths of the job's steps done (0 before the step count is known), and the words for it. */
export function progressOf(job: { trainedSteps: number; totalSteps: number; status: FineTuneStatus }): { permille: number; text: string } {
  if (job.totalSteps <= 0) return { permille: job.status === 'SUCCEEDED' ? 1000 : 0, text: job.status === 'SUCCEEDED' ? 'done' : 'not started' };
  const permille = Math.min(1000, Math.floor((job.trainedSteps * 1000) / job.totalSteps));
  return { permille, text: `${job.trainedSteps.toLocaleString('en-US')} of ${job.totalSteps.toLocaleString('en-US')} steps (${Math.floor(permille / 10)}%)` };
}

/** A share (0..1) as a percentage with one decimal, "—" when there is none. */
export function formatShare(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A loss with four decimals, "—" when there is none. */
export function formatLoss(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(4);
}

/** The series of the two charts, one point per epoch (null: a gap), and the baseline as a flat line. */
export interface Curves {
  epochs: number[];
  trainLoss: Array<number | null>;
  validationLoss: Array<number | null>;
  trainAccuracy: Array<number | null>;
  validationAccuracy: Array<number | null>;
  baseline: Array<number | null> | null;
}

export function curvesOf(metrics: EpochMetrics[], baselineAccuracy: number | null | undefined): Curves {
  const sorted = [...metrics].sort((a, b) => a.epoch - b.epoch);
  const hasBaseline = baselineAccuracy !== null && baselineAccuracy !== undefined && Number.isFinite(baselineAccuracy);
  return {
    epochs: sorted.map((m) => m.epoch),
    trainLoss: sorted.map((m) => m.trainLoss),
    validationLoss: sorted.map((m) => m.validationLoss),
    trainAccuracy: sorted.map((m) => m.trainAccuracy),
    validationAccuracy: sorted.map((m) => m.validationAccuracy),
    baseline: hasBaseline ? sorted.map(() => baselineAccuracy) : null,
  };
}

/** The best validation accuracy and its epoch, for the chart's summary; null when no epoch has one. */
export function bestAccuracy(metrics: EpochMetrics[]): { epoch: number; accuracy: number } | null {
  let best: { epoch: number; accuracy: number } | null = null;
  for (const m of metrics) {
    if (m.validationAccuracy !== null && (best === null || m.validationAccuracy > best.accuracy)) best = { epoch: m.epoch, accuracy: m.validationAccuracy };
  }
  return best;
}
