import { FineTuneStatus } from '../../schema/fine-tuning/fine-tuning.enums';

const { VALIDATING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED } = FineTuneStatus;

/**
 * NOTE: the job state machine. RUNNING -> RUNNING is a resume (a worker claims a job whose
 * previous worker's lease lapsed); RUNNING -> QUEUED hands a job back (its worker stopped).
 */
const TRANSITIONS: Record<FineTuneStatus, readonly FineTuneStatus[]> = {
  [VALIDATING]: [QUEUED, FAILED],
  [QUEUED]: [RUNNING, CANCELLED, FAILED],
  [RUNNING]: [RUNNING, QUEUED, SUCCEEDED, FAILED, CANCELLED],
  [SUCCEEDED]: [],
  [FAILED]: [],
  [CANCELLED]: [],
};

/** Whether a job may go from `from` to `to`. */
export function canTransition(from: FineTuneStatus, to: FineTuneStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws (a bug, not a user's mistake) when a transition is not in the machine. */
export function assertTransition(from: FineTuneStatus, to: FineTuneStatus): void {
  if (!canTransition(from, to)) throw new Error(`a fine-tune job cannot go from ${from} to ${to}`);
}

/** SUCCEEDED, FAILED and CANCELLED: nothing happens to the job any more. */
export function isFinished(status: FineTuneStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** The statuses a job can be in from which `to` is reachable in one step (for conditional UPDATEs). */
export function statusesLeadingTo(to: FineTuneStatus): FineTuneStatus[] {
  return (Object.keys(TRANSITIONS) as FineTuneStatus[]).filter((from) => canTransition(from, to));
}
