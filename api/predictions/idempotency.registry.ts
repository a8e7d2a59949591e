import { UserErrorCode } from '../../schema/common/user-error.type';
import { ApiError, ErrorCode } from '../common/errors';
import { failure, Result, success } from '../common/result';
import type { StoredAnswer } from '../metering/usage-recorder';
import { fromStoredJson, InferenceAnswer } from './inference-answer';

interface Tracked {
  hash: string;
  result: Promise<Result<InferenceAnswer>>;
}

/** Where answers to earlier calls are kept (the UsageRecorder's stored responses, in the same commit as their usage). */
export type StoredAnswerFinder = (organizationId: string, requestId: string) => Promise<StoredAnswer | null>;

const conflict = (requestId: string) => failure<InferenceAnswer>(UserErrorCode.IDEMPOTENCY_CONFLICT,
  `requestId "${requestId}" was already used with a different input; use a new requestId for a new call`, ['input', 'requestId']);

/**
 * The one owner of runInference's idempotency (Stripe's idempotent requests): a call with a
 * requestId is answered, in this order, by the same call in flight on this replica (a concurrent
 * duplicate waits for it), by one of the last `maxRecent` answers of this replica, or by the
 * answer stored in the database (any replica, any restart, 35 days); only when none exists does
 * `compute` run, with its rate limit, quota and engine. A different input under a used requestId
 * is IDEMPOTENCY_CONFLICT. NOTE: two replicas may both start a first call; the usage write's
 * unique key lets one commit, and the other answers with what it stored (`replay`).
 */
export class IdempotencyRegistry {
  private readonly inFlight = new Map<string, Tracked>();
  private readonly recent = new Map<string, Tracked>();

  constructor(private readonly findStored: StoredAnswerFinder, private readonly maxRecent: number) {}

  /** Answers a call with a requestId: from memory, from the stored answer, or by `compute`. */
  async answer(organizationId: string, requestId: string, hash: string, compute: () => Promise<Result<InferenceAnswer>>): Promise<Result<InferenceAnswer>> {
    const key = `${organizationId}|${requestId}`;
    const prior = this.inFlight.get(key) ?? this.recent.get(key);
    if (prior) {
      if (prior.hash !== hash) return conflict(requestId);
      const result = await prior.result;
      return result.value ? success({ ...result.value, replayed: true }) : result;
    }
    const result = (async () => {
      let stored: StoredAnswer | null;
      try {
        stored = await this.findStored(organizationId, requestId);
      } catch {
        throw new ApiError(ErrorCode.INTERNAL, 'Earlier answers to this requestId could not be looked up, so the call did not run and nothing was billed; ' +
          'retry shortly with the same requestId', { retryAfterSeconds: 1 });
      }
      return stored ? this.replay(requestId, hash, stored) : compute();
    })();
    this.track(key, { hash, result });
    return result;
  }

  /** The stored answer to a requestId as a replay; IDEMPOTENCY_CONFLICT when its input differed (or none was kept). */
  replay(requestId: string, hash: string, stored: StoredAnswer | null): Result<InferenceAnswer> {
    if (!stored || stored.requestHash !== hash) return conflict(requestId);
    return success(fromStoredJson(stored.response));
  }

  /** Tracks a call from its start; successful answers stay in the recent set afterwards. */
  private track(key: string, tracked: Tracked): void {
    this.inFlight.set(key, tracked);
    tracked.result.then(
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
