import type { Result } from '../common/result';
import type { InferenceAnswer } from './inference-answer';

interface Tracked {
  hash: string;
  result: Promise<Result<InferenceAnswer>>;
}

/**
 * Calls with a requestId on this replica: those in flight (a concurrent duplicate waits for the
 * first instead of running again) and the last `maxRecent` answered (a quick retry is served
 * from memory). Anything older is found in the database by the UsageRecorder.
 */
export class IdempotencyRegistry {
  private readonly inFlight = new Map<string, Tracked>();
  private readonly recent = new Map<string, Tracked>();

  constructor(private readonly maxRecent: number) {}

  find(organizationId: string, requestId: string): Tracked | undefined {
    const key = `${organizationId}|${requestId}`;
    return this.inFlight.get(key) ?? this.recent.get(key);
  }

  /** Tracks a call from its start; successful answers stay in the recent set afterwards. */
  track(organizationId: string, requestId: string, hash: string, result: Promise<Result<InferenceAnswer>>): void {
    const key = `${organizationId}|${requestId}`;
    const tracked = { hash, result };
    this.inFlight.set(key, tracked);
    result.then(
      (r) => {
        this.inFlight.delete(key);
        if (r.value) this.remember(key, tracked);
      },
      () => this.inFlight.delete(key),
    );
  }

  private remember(key: string, tracked: Tracked): void {
    this.recent.delete(key);
    this.recent.set(key, tracked);
    if (this.recent.size > this.maxRecent) this.recent.delete(this.recent.keys().next().value!);
  }
}
