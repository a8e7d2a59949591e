/** Why a running fine-tune job was stopped (the reason its AbortSignal carries). */
export class JobStop extends Error {
  constructor(readonly kind: 'cancelled' | 'shutdown' | 'lease-lost', message: string) {
    super(message);
  }
}

/** Whether a job's signal was aborted by a cancel (it ends CANCELLED and is never run again). */
export function cancelledBy(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof JobStop && signal.reason.kind === 'cancelled';
}
