import { In, IsNull, Not } from 'typeorm';
import { readFile } from 'node:fs/promises';
import { readTextModelBodyOrThrow } from '../../inference';
import { ModelTask, ModelVersionStatus } from '../../schema/catalogue/catalogue.enums';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { Page } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { FineTuneCheckpoint } from '../../schema/fine-tuning/fine-tune-checkpoint.entity';
import { FineTuneEpochMetrics } from '../../schema/fine-tuning/fine-tune-epoch-metrics.type';
import { FineTuneJob } from '../../schema/fine-tuning/fine-tune-job.entity';
import { FineTuneEventLevel, FineTuneStatus } from '../../schema/fine-tuning/fine-tuning.enums';
import { CancelFineTuneInput, StartFineTuneInput } from '../../schema/fine-tuning/fine-tuning.inputs';
import { RequestContext } from '../context';
import { paginate } from '../common/pagination';
import { failure, Result, success, transactionalResult } from '../common/result';
import type { FileStore } from '../catalogue/file-store.service';
import type { ModelService } from '../catalogue/model.service';
import type { EntitlementCache } from '../subscriptions/entitlement.cache';
import type { DatasetService } from './dataset.service';
import { logMessage } from './fine-tune-events';
import { assertTransition, isFinished, statusesLeadingTo } from './fine-tune-state';
import { chooseHyperparameters, hyperparameterProblem } from './hyperparameter-rules';

/** What runs queued jobs: told when one is queued or a cancel is asked for. */
export interface FineTuneRunner {
  /** Queues a started job for a worker (pg-boss), on any replica. */
  enqueue(jobId: string): Promise<void>;
  /** Stops a job this replica runs, within one step; resolves once it has stopped (false: not running here). */
  cancelLocal(jobId: string): Promise<boolean>;
}

/** The latest PUBLISHED version of a model. */
export async function latestPublishedVersion(ctx: RequestContext, modelId: string): Promise<ModelVersion | null> {
  return ctx.db.findOne(ModelVersion, { where: { modelId, status: ModelVersionStatus.PUBLISHED }, order: { publishedAt: 'DESC' } });
}

/** Fine-tune jobs: start (validate, queue), cancel, list, look up. The worker runs them. */
export class FineTuneJobService {
  private runner?: FineTuneRunner;

  constructor(
    private readonly models: ModelService,
    private readonly datasets: DatasetService,
    private readonly entitlements: EntitlementCache,
    private readonly files: FileStore,
  ) {}

  /** Connects the worker that runs queued jobs. */
  attachRunner(runner: FineTuneRunner): void {
    this.runner = runner;
  }

  /**
   * Validates the request (base model a text classifier the organisation subscribes to, its
   * dataset, hyperparameters in range) and queues the job: VALIDATING -> QUEUED, one
   * transaction. Any refusal is a userError and writes nothing.
   */
  async start(ctx: RequestContext, input: StartFineTuneInput): Promise<Result<FineTuneJob>> {
    const at = (field: string) => ['input', field];
    const model = await this.models.findVisible(ctx, input.modelId);
    if (!model) return failure(UserErrorCode.NOT_FOUND, 'Model not found', at('modelId'));
    if (model.task !== ModelTask.TEXT_CLASSIFICATION) {
      return failure(UserErrorCode.INVALID, `${model.slug} is a ${model.task} model; only TEXT_CLASSIFICATION models can be fine-tuned`, at('modelId'));
    }
    const version = await latestPublishedVersion(ctx, model.id);
    if (!version) return failure(UserErrorCode.INVALID_STATE, `${model.slug} has no published version to tune`, at('modelId'));
    if (!(await this.hasTextBody(version))) {
      return failure(UserErrorCode.INVALID_MODEL, `${model.slug} ${version.version} is not a hashed-ngram text classifier with an embedding body; it cannot be fine-tuned`, at('modelId'));
    }
    const dataset = await this.datasets.findOwned(ctx, input.datasetId);
    if (!dataset) return failure(UserErrorCode.NOT_FOUND, 'Dataset not found', at('datasetId'));
    const entitlement = await this.entitlements.find(ctx.principal!.organizationId, model.id, ctx.now());
    if (!entitlement) {
      return failure(UserErrorCode.FORBIDDEN, `Your organisation has no active subscription to the model "${model.slug}"; subscribe to one of its plans first`, at('modelId'));
    }
    const problem = hyperparameterProblem(input.hyperparameters);
    if (problem) return failure(UserErrorCode.INVALID, problem.message, ['input', 'hyperparameters', problem.field]);
    const hyperparameters = chooseHyperparameters(input.hyperparameters, dataset.trainRows);
    const result = await transactionalResult(ctx, async (tx) => {
      const job = await tx.db.save(tx.db.create(FineTuneJob, {
        organizationId: ctx.principal!.organizationId, baseModelId: model.id, baseVersionId: version.id, datasetId: dataset.id,
        subscriptionId: entitlement.subscription.id, apiKeyId: ctx.principal!.apiKeyId, status: FineTuneStatus.VALIDATING,
        hyperparameters, suffix: input.suffix ?? null, trainedSteps: 0, totalSteps: 0, baseline: null, error: null,
        resultModelId: null, resultVersionId: null, cancelRequestedAt: null, leaseOwner: null, leaseExpiresAt: null, attempts: 0,
        startedAt: null, finishedAt: null,
      }));
      await logMessage(tx.db, job.id, `Validating: ${model.slug} ${version.version} on a dataset of ${dataset.trainRows} training and ${dataset.validationRows} validation rows`, FineTuneEventLevel.INFO, tx.now());
      assertTransition(job.status, FineTuneStatus.QUEUED);
      job.status = FineTuneStatus.QUEUED;
      await tx.db.update(FineTuneJob, { id: job.id }, { status: job.status });
      await logMessage(tx.db, job.id, `Queued with epochs=${hyperparameters.epochs}, batchSize=${hyperparameters.batchSize}, learningRate=${hyperparameters.learningRate}, seed=${hyperparameters.seed}`, FineTuneEventLevel.INFO, tx.now());
      return success(job);
    });
    if (result.value) await this.runner?.enqueue(result.value.id);
    return result;
  }

  /** Whether a version's file is a text model of the model kit (an embedding body to tune on). */
  private async hasTextBody(version: ModelVersion): Promise<boolean> {
    try {
      readTextModelBodyOrThrow(await readFile(this.files.blobPath(version.sha256)));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Cancels a queued job at once, or a running one within one step (on this replica: waited
   * for; on another: at its next lease renewal). A finished job is a userError.
   */
  async cancel(ctx: RequestContext, input: CancelFineTuneInput): Promise<Result<FineTuneJob>> {
    const job = await this.findOwned(ctx, input.jobId);
    if (!job) return failure(UserErrorCode.NOT_FOUND, 'Fine-tune job not found', ['input', 'jobId']);
    if (isFinished(job.status)) {
      return failure(UserErrorCode.INVALID_STATE, `The job has already finished (${job.status}); only a queued or running job can be cancelled`, ['input', 'jobId']);
    }
    const now = ctx.now();
    const queued = await ctx.db.update(FineTuneJob, { id: job.id, status: In([FineTuneStatus.QUEUED, FineTuneStatus.VALIDATING]) },
      { status: FineTuneStatus.CANCELLED, cancelRequestedAt: now, finishedAt: now });
    if (queued.affected) {
      await logMessage(ctx.db, job.id, 'Cancelled before it started', FineTuneEventLevel.INFO, now);
    } else {
      await ctx.db.update(FineTuneJob, { id: job.id, status: In(statusesLeadingTo(FineTuneStatus.CANCELLED)) }, { cancelRequestedAt: now });
      await this.runner?.cancelLocal(job.id);
    }
    return success((await ctx.db.findOneBy(FineTuneJob, { id: job.id }))!);
  }

  /** A job of the caller's organisation, by global id (another organisation's: null). */
  async findOwned(ctx: RequestContext, globalId: string): Promise<FineTuneJob | null> {
    const id = rowIdOf(globalId, 'FineTuneJob');
    return id ? this.findOwnedById(ctx, id) : null;
  }

  async findOwnedById(ctx: RequestContext, id: string): Promise<FineTuneJob | null> {
    const job = await ctx.db.findOneBy(FineTuneJob, { id });
    return job && job.organizationId === ctx.principal?.organizationId ? job : null;
  }

  /** The caller's organisation's jobs, oldest first. */
  async list(ctx: RequestContext, args: PaginationArgs): Promise<Page<FineTuneJob>> {
    const query = ctx.db.getRepository(FineTuneJob).createQueryBuilder('job').where('job.organizationId = :org', { org: ctx.principal!.organizationId });
    return paginate(query, args);
  }

  /** A job's checkpoints (the epochs whose training state was kept), by epoch. */
  checkpoints(ctx: RequestContext, job: FineTuneJob): Promise<FineTuneCheckpoint[]> {
    return ctx.db.find(FineTuneCheckpoint, { where: { jobId: job.id, state: Not(IsNull()) }, order: { epoch: 'ASC' } });
  }

  /** A job's loss and accuracy per epoch, oldest first: one point per epoch ended (each writes its row once, with or without a state). */
  async epochMetrics(ctx: RequestContext, job: FineTuneJob): Promise<FineTuneEpochMetrics[]> {
    return (await ctx.db.find(FineTuneCheckpoint, { where: { jobId: job.id }, order: { epoch: 'ASC' } })).map(epochMetricsOf);
  }

  /** The tuned version of a SUCCEEDED job. */
  async resultVersion(ctx: RequestContext, job: FineTuneJob): Promise<ModelVersion | null> {
    return job.resultVersionId ? ctx.db.findOneBy(ModelVersion, { id: job.resultVersionId }) : null;
  }

  /** The base model a job tunes. */
  baseModel(ctx: RequestContext, job: FineTuneJob): Promise<Model | null> {
    return ctx.loaders.modelById.load(job.baseModelId);
  }
}

/** A figure of a checkpoint's metrics, or null when absent or not finite (NaN is stored as JSON null). */
function figure(metrics: Record<string, unknown>, name: string): number | null {
  const value = metrics[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The typed figures of a checkpoint's metrics (train_loss, train_accuracy, valid_loss, valid_accuracy, body_trained). */
export function epochMetricsOf(checkpoint: FineTuneCheckpoint): FineTuneEpochMetrics {
  const m = checkpoint.metrics ?? {};
  return {
    epoch: checkpoint.epoch, step: checkpoint.step, bodyTrained: m.body_trained === 1, at: checkpoint.createdAt,
    trainLoss: figure(m, 'train_loss'), trainAccuracy: figure(m, 'train_accuracy'),
    validationLoss: figure(m, 'valid_loss'), validationAccuracy: figure(m, 'valid_accuracy'),
  };
}
