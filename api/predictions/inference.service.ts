import { performance } from 'node:perf_hooks';
import { EngineError, EnginePool } from '../../inference';
import { Meter } from '../../schema/metering/meter.enum';
import { SubscriptionStatus } from '../../schema/subscriptions/subscription.entity';
import { toGlobalId } from '../../schema/common/global-id';
import { RunInferenceInput } from '../../schema/predictions/predictions.inputs';
import { RequestContext } from '../context';
import { ApiError, ErrorCode } from '../common/errors';
import { Result, success } from '../common/result';
import { generatedIdempotencyKey, MeteredCall, RecordOutcome, UsageLine, UsageSink } from '../metering/usage-recorder';
import { subscriptionPeriodAt } from '../subscriptions/billing-period';
import type { Entitlement, EntitlementCache } from '../subscriptions/entitlement.cache';
import type { QuotaGuard, QuotaReservation } from '../subscriptions/quota-guard';
import type { RateLimiter } from '../subscriptions/rate-limiter';
import { ComputeMeter } from './compute-meter';
import { InferenceAnswer, toStoredJson } from './inference-answer';
import { prepareInputs, PreparedInputs } from './inference-inputs';
import { shapeOutputs } from './inference-outputs';
import { IdempotencyRegistry } from './idempotency.registry';
import { requestFingerprint } from './request-fingerprint';
import type { ServingModelCache, ServingVersion } from './serving-model.cache';

export interface InferenceOptions {
  maxTextsPerRequest: number;
  /** How long a call may wait in the engine's queue. */
  deadlineMs: number;
}

interface Call {
  ctx: RequestContext;
  input: RunInferenceInput;
  serving: ServingVersion;
  entitlement: Entitlement;
  /** Fingerprint of the input, for calls with a requestId. */
  hash: string | null;
  at: ReadonlyArray<string | number>;
}

/**
 * runInference: model version (cached) -> entitlement (cached) -> idempotency (IdempotencyRegistry:
 * a retry is answered from memory or the stored answer here, before any limit) -> inputs ->
 * rate limit (leased tokens) and quota (in memory) -> EnginePool -> usage committed by the UsageRecorder ->
 * answer. Error policy: refusals travel in errors[] with their codes (NOT_FOUND, FORBIDDEN,
 * BAD_USER_INPUT, RATE_LIMITED, QUOTA_EXCEEDED, OVERLOADED, DEADLINE_EXCEEDED); the one
 * userError is IDEMPOTENCY_CONFLICT. A refused or failed call records no usage.
 */
export class InferenceService {
  private readonly idempotency: IdempotencyRegistry;
  private readonly compute = new ComputeMeter();

  constructor(
    private readonly engine: EnginePool,
    private readonly models: ServingModelCache,
    private readonly entitlements: EntitlementCache,
    private readonly rateLimiter: RateLimiter,
    private readonly quotas: QuotaGuard,
    private readonly recorder: UsageSink,
    private readonly options: InferenceOptions,
  ) {
    this.idempotency = new IdempotencyRegistry((org, requestId) => recorder.findStored(org, requestId), 10_000);
  }

  /** `at`: the call's response path, where a held answer's commit failure is reported (see UsageCommitHold). */
  async run(ctx: RequestContext, input: RunInferenceInput, at: ReadonlyArray<string | number> = ['runInference']): Promise<Result<InferenceAnswer>> {
    const serving = await this.models.resolveOrThrow(ctx, input.modelId, input.version);
    const entitlement = await this.entitlementOrThrow(ctx, serving);
    if (!input.requestId) return this.execute({ ctx, input, serving, entitlement, hash: null, at });
    const hash = requestFingerprint(serving.model.id, input.version, input.texts, input.inputs);
    return this.idempotency.answer(ctx.principal!.organizationId, input.requestId, hash, () => this.execute({ ctx, input, serving, entitlement, hash, at }));
  }

  private async entitlementOrThrow(ctx: RequestContext, serving: ServingVersion): Promise<Entitlement> {
    // NOTE: a private fine-tune is called under the subscription to the model it was tuned from.
    const entitlement = await this.entitlements.find(ctx.principal!.organizationId, serving.model.baseModelId ?? serving.model.id, ctx.now());
    if (!entitlement) {
      throw new ApiError(ErrorCode.FORBIDDEN, `Your organisation has no active subscription to the model "${serving.model.slug}"; subscribe to one of its plans first`, {
        modelId: serving.model.globalId,
      });
    }
    if (entitlement.subscription.status === SubscriptionStatus.PAST_DUE) {
      const invoice = entitlement.unpaidInvoice;
      throw new ApiError(ErrorCode.FORBIDDEN, `Your subscription to the model "${serving.model.slug}" is past due: invoice ${invoice?.number ?? 'of a past period'} is unpaid; pay it to resume`, {
        modelId: serving.model.globalId, ...(invoice ? { invoiceId: toGlobalId('Invoice', invoice.id), invoiceNumber: invoice.number } : {}),
      });
    }
    return entitlement;
  }

  private async execute(call: Call): Promise<Result<InferenceAnswer>> {
    const prepared = prepareInputs(call.serving, call.input.texts, call.input.inputs, this.options.maxTextsPerRequest);
    const reservation: QuotaReservation = await this.admitOrThrow(call, prepared);
    let committed: UsageLine[] = [];
    let settledLater = false;
    try {
      const answer = await this.infer(call, prepared);
      const metered: MeteredCall = {
        organizationId: call.ctx.principal!.organizationId, subscriptionId: call.entitlement.subscription.id,
        apiKeyId: call.ctx.principal!.apiKeyId, modelId: call.serving.model.baseModelId ?? call.serving.model.id, modelVersionId: call.serving.version.id,
        occurredAt: call.ctx.now(), idempotencyKey: call.input.requestId ?? generatedIdempotencyKey(), usage: answer.usage,
        stored: call.hash ? { requestHash: call.hash, response: toStoredJson(answer) } : undefined,
      };
      const hold = call.ctx.usageCommits;
      if (!call.hash && hold) {
        // NOTE: without a requestId the commit decides nothing in the answer (it is ours or an
        // error), so the answer is completed while it commits, and held until it has (UsageCommitHold).
        const commit = this.timedRecord(call.ctx, metered);
        settledLater = true;
        commit.then(() => this.quotas.settle(reservation, answer.usage), () => this.quotas.settle(reservation, []));
        hold.hold(commit, call.at, usageNotRecorded);
        return success(answer);
      }
      let outcome: RecordOutcome;
      try {
        outcome = await this.timedRecord(call.ctx, metered);
      } catch {
        throw usageNotRecorded();
      }
      if (!outcome.recorded) {
        // NOTE: another replica committed this requestId first, between our lookup and our write.
        return this.idempotency.replay(call.input.requestId!, call.hash!, outcome.existing);
      }
      committed = answer.usage;
      return success(answer);
    } finally {
      if (!settledLater) this.quotas.settle(reservation, committed);
    }
  }

  /** Commits the call's usage (resolves once committed), timed for Server-Timing. */
  private timedRecord(ctx: RequestContext, call: MeteredCall): Promise<RecordOutcome> {
    const started = performance.now();
    const commit = this.recorder.record(call);
    const timed = () => ctx.serverTiming?.add('usage', performance.now() - started, 'usage commit');
    void commit.then(timed, timed);
    return commit;
  }

  /** Rate limit (per subscription per minute), then monthly caps; throws RATE_LIMITED or QUOTA_EXCEEDED. */
  private async admitOrThrow(call: Call, prepared: PreparedInputs): Promise<QuotaReservation> {
    const { subscription, plan } = call.entitlement;
    const now = call.ctx.now();
    const perMinute = plan.limits.requestsPerMinute;
    const refusal = perMinute ? await this.rateLimiter.take(subscription.id, perMinute, now.getTime()) : null;
    if (refusal) {
      throw new ApiError(ErrorCode.RATE_LIMITED, `The plan "${plan.name}" allows ${perMinute} requests per minute; retry in ${refusal.retryAfterSeconds} s`, {
        retryAfterSeconds: refusal.retryAfterSeconds, limit: perMinute,
      });
    }
    const planned: UsageLine[] = [{ meter: Meter.REQUESTS, quantity: 1n }, { meter: Meter.INPUT_TOKENS, quantity: BigInt(prepared.inputTokens) }];
    return this.quotas.admit(subscription, plan, subscriptionPeriodAt(subscription.startedAt, now), planned, now);
  }

  private async infer(call: Call, prepared: PreparedInputs): Promise<InferenceAnswer> {
    const { serving } = call;
    let result;
    const started = performance.now();
    try {
      result = await this.engine.infer(serving.ref, prepared.tensors, { deadline: Date.now() + this.options.deadlineMs, transferInputs: true });
    } catch (error) {
      throw engineFailure(error, serving);
    } finally {
      call.ctx.serverTiming?.add('engine', performance.now() - started, 'model queue and compute');
    }
    const usage: UsageLine[] = [{ meter: Meter.REQUESTS, quantity: 1n }];
    if (serving.tokenizer) usage.push({ meter: Meter.INPUT_TOKENS, quantity: BigInt(prepared.inputTokens) });
    usage.push({ meter: Meter.COMPUTE_MS, quantity: this.compute.bill(call.entitlement.subscription.id, result.computeMs) });
    return { ...shapeOutputs(serving, result.outputs), usage, modelVersionId: serving.version.id, modelVersion: serving.version, requestId: call.input.requestId ?? null, replayed: false };
  }

}

/**
 * An answer whose usage could not be written is withheld (never served unbilled); the caller
 * gets a retryable error saying nothing was billed.
 */
function usageNotRecorded(): ApiError {
  return new ApiError(ErrorCode.INTERNAL, 'The usage of this call could not be recorded, so its answer is withheld and nothing was billed; ' +
    'retry shortly (with the same requestId, if you sent one)', { retryAfterSeconds: 1 });
}

/** Engine failures as API errors: the caller's fault, retryable overload, or internal. */
function engineFailure(error: unknown, serving: ServingVersion): ApiError {
  if (!EngineError.is(error)) return new ApiError(ErrorCode.INTERNAL, `Inference on ${serving.model.slug} failed`);
  const message = error.message.replace(`model ${serving.version.id}`, `model ${serving.model.slug}`);
  switch (error.code) {
    case 'BAD_USER_INPUT': return new ApiError(ErrorCode.BAD_USER_INPUT, message, { field: 'input.inputs' });
    case 'OVERLOADED':
    case 'SHUTTING_DOWN': return new ApiError(ErrorCode.OVERLOADED, `${serving.model.slug} is overloaded; retry shortly (${message})`, { retryAfterSeconds: 1 });
    case 'DEADLINE_EXCEEDED': return new ApiError(ErrorCode.DEADLINE_EXCEEDED, `${serving.model.slug} could not answer in time; retry (${message})`);
    default: return new ApiError(ErrorCode.INTERNAL, `Inference on ${serving.model.slug} failed: ${message}`);
  }
}
