import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import {
  buildFineTunedTextClassifier, buildSoftmaxHeadEval, buildSoftmaxHeadStep, buildTextFeatureExtractor, EnginePool, EngineTensor,
  extractTextFeatures, floatDataOrThrow, HeadTrainingCheckpoint, HeadTrainingSet, PoolStepRunner, readTextModelBodyOrThrow,
  SoftmaxHeadTrainer, stepsPerEpoch, TextModelBody, tokenize,
} from '../../inference';
import { FilePurpose, ModelTask, ModelVisibility } from '../../schema/catalogue/catalogue.enums';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { toGlobalId } from '../../schema/common/global-id';
import { Dataset, DatasetRow } from '../../schema/fine-tuning/dataset.entity';
import { FineTuneCheckpoint, StoredTensor } from '../../schema/fine-tuning/fine-tune-checkpoint.entity';
import { FineTuneBaseline, FineTuneJob } from '../../schema/fine-tuning/fine-tune-job.entity';
import { Meter } from '../../schema/metering/meter.enum';
import { RequestContext } from '../context';
import type { FileStore } from '../catalogue/file-store.service';
import type { ModelVersionService } from '../catalogue/model-version.service';
import type { UsageSink } from '../metering/usage-recorder';
import { logMessage, logMetrics } from './fine-tune-events';

const OPTIMIZER = { kind: 'adam' as const };
const FEATURE_BATCH = 256;

/** What training needs from the server. */
export interface FineTuneTrainingDeps {
  dataSource: DataSource;
  engine: EnginePool;
  files: FileStore;
  modelVersions: ModelVersionService;
  usage: UsageSink;
  /** Where a run writes its graphs (one folder per attempt, removed afterwards). */
  workDir: string;
  /** A context acting as the job's organisation (to publish the tuned version as its owner). */
  contextFor(job: FineTuneJob): RequestContext;
}

/** The tuned model's version, once published. */
export interface TrainingOutcome {
  model: Model;
  version: ModelVersion;
  validationAccuracy: number;
}

function storeTensors(state: Record<string, EngineTensor>): Record<string, StoredTensor> {
  return Object.fromEntries(Object.entries(state).map(([name, t]) => {
    const data = floatDataOrThrow(t, name);
    return [name, { dims: t.dims, base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') }];
  }));
}

function loadTensors(stored: Record<string, StoredTensor>): Record<string, EngineTensor> {
  return Object.fromEntries(Object.entries(stored).map(([name, t]) => {
    const bytes = Buffer.from(t.base64, 'base64');
    const data = new Float32Array(Uint8Array.from(bytes).buffer);
    return [name, { type: 'float32', dims: t.dims, data }];
  }));
}

/**
 * Runs one claimed job on the engine pool: the base body turns the dataset's rows into
 * features, the softmax-head step graphs fit a head (Adam), each epoch is checkpointed after
 * its steps are billed; then the tuned classifier (base body + head) is validated like an
 * upload and published as a PRIVATE model of the partner. Resumes from the last checkpoint.
 */
export class FineTuneTraining {
  constructor(private readonly deps: FineTuneTrainingDeps) {}

  async run(job: FineTuneJob, signal: AbortSignal): Promise<TrainingOutcome> {
    const { dataSource } = this.deps;
    const dataset = await dataSource.getRepository(Dataset).createQueryBuilder('d').addSelect('d.rows').where('d.id = :id', { id: job.datasetId }).getOneOrFail();
    const baseVersion = await dataSource.getRepository(ModelVersion).findOneByOrFail({ id: job.baseVersionId });
    const basePath = this.deps.files.blobPath(baseVersion.sha256);
    const baseBytes = await readFile(basePath);
    const body = readTextModelBodyOrThrow(baseBytes);
    const labels = dataset.labels.map((l) => l.label);
    const shape = { dim: body.embeddingDim, classes: labels.length };
    const runner = new PoolStepRunner(this.deps.engine, path.join(this.deps.workDir, `${job.id}-${job.attempts}`), `fine-tune:${job.id}:${job.attempts}`);
    try {
      await runner.register('extractor', buildTextFeatureExtractor(body));
      await runner.register('step', buildSoftmaxHeadStep(shape, OPTIMIZER));
      await runner.register('eval', buildSoftmaxHeadEval(shape));
      runner.registerFile('base', basePath);
      const rows = dataset.rows!;
      const train = await this.features(runner, body, rows.train, labels, signal);
      const validation = await this.features(runner, body, rows.validation, labels, signal);
      const baseline = job.baseline ?? (await this.measureBaseline(job, runner, body, rows.validation, baseVersion.labels ?? []));
      const head = await this.train(job, runner, shape, train, validation, signal);
      const evaluation = await new SoftmaxHeadTrainer(runner, { step: 'step', evaluate: 'eval' }, shape, OPTIMIZER).evaluate(head, validation);
      const published = await this.publish(job, buildFineTunedTextClassifier(baseBytes, head, labels), labels, baseVersion);
      await logMetrics(dataSource.manager, job.id, `Tuned validation accuracy ${pct(evaluation.accuracy)} (base model: ${pct(baseline.validationAccuracy)})`, {
        valid_accuracy: evaluation.accuracy, valid_loss: evaluation.loss, base_valid_accuracy: baseline.validationAccuracy,
      });
      return { ...published, validationAccuracy: evaluation.accuracy };
    } finally {
      await runner.close();
    }
  }

  private async features(runner: PoolStepRunner, body: TextModelBody, rows: DatasetRow[], labels: string[], signal: AbortSignal): Promise<HeadTrainingSet> {
    const { features } = await extractTextFeatures(runner, 'extractor', rows.map((r) => r.text), body.spec, { batchSize: FEATURE_BATCH, signal });
    return { features, labels: rows.map((r) => labels.indexOf(r.label)) };
  }

  /** NOTE: the base model's accuracy on the job's validation rows, its labels matched to the dataset's by name (case-insensitive). */
  private async measureBaseline(job: FineTuneJob, runner: PoolStepRunner, body: TextModelBody, rows: DatasetRow[], baseLabels: string[]): Promise<FineTuneBaseline> {
    let right = 0;
    for (let start = 0; start < rows.length; start += FEATURE_BATCH) {
      const part = rows.slice(start, start + FEATURE_BATCH);
      const out = await runner.run('base', tokenize(part.map((r) => r.text), body.spec).inputs);
      const scores = floatDataOrThrow(out.probabilities ?? out.logits, 'probabilities');
      const classes = scores.length / part.length;
      part.forEach((row, i) => {
        let best = 0;
        for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
        if ((baseLabels[best] ?? '').toLowerCase() === row.label.toLowerCase()) right++;
      });
    }
    const known = new Set(baseLabels.map((l) => l.toLowerCase()));
    const baseline: FineTuneBaseline = {
      validationAccuracy: right / rows.length,
      sharedLabels: [...new Set(rows.map((r) => r.label))].filter((l) => known.has(l.toLowerCase())),
    };
    await this.deps.dataSource.getRepository(FineTuneJob).update({ id: job.id }, { baseline });
    await logMetrics(this.deps.dataSource.manager, job.id, `Base model accuracy on the ${rows.length} validation rows: ${pct(baseline.validationAccuracy)}`, { base_valid_accuracy: baseline.validationAccuracy });
    return baseline;
  }

  private async train(job: FineTuneJob, runner: PoolStepRunner, shape: { dim: number; classes: number }, train: HeadTrainingSet, validation: HeadTrainingSet, signal: AbortSignal) {
    const { epochs, batchSize, learningRate, seed } = job.hyperparameters;
    const db = this.deps.dataSource.manager;
    const totalSteps = epochs * stepsPerEpoch(train.labels.length, batchSize);
    await db.update(FineTuneJob, { id: job.id }, { totalSteps });
    const resumeFrom = await this.lastCheckpoint(job);
    if (resumeFrom) await logMessage(db, job.id, `Resuming from the checkpoint of epoch ${resumeFrom.epoch} (step ${resumeFrom.step} of ${totalSteps})`);
    const billing: Array<Promise<unknown>> = [];
    let carriedMs = 0;
    const trainer = new SoftmaxHeadTrainer(runner, { step: 'step', evaluate: 'eval' }, shape, OPTIMIZER);
    const { head } = await trainer.train(train, {
      epochs, batchSize, learningRate, seed, signal, validation, resumeFrom,
      onStep: ({ step }) => {
        carriedMs += runner.takeComputeMs();
        const wholeMs = Math.floor(carriedMs);
        carriedMs -= wholeMs;
        billing.push(this.bill(job, step, wholeMs));
      },
      onCheckpoint: async (checkpoint, report) => {
        // NOTE: steps are billed before their checkpoint is written, so a resumed job never re-bills (same keys) nor skips one.
        await Promise.all(billing.splice(0));
        const metrics = { epoch: report.epoch, step: checkpoint.step, train_loss: report.loss, train_accuracy: report.accuracy, valid_loss: report.validationLoss ?? NaN, valid_accuracy: report.validationAccuracy ?? NaN };
        await db.transaction(async (tx) => {
          await tx.save(tx.create(FineTuneCheckpoint, { jobId: job.id, epoch: checkpoint.epoch, step: checkpoint.step, metrics, state: storeTensors(checkpoint.state) }));
          await tx.update(FineTuneJob, { id: job.id }, { trainedSteps: checkpoint.step });
          await logMetrics(tx, job.id, `Epoch ${report.epoch}/${epochs}: train loss ${report.loss.toFixed(4)}, validation loss ${(report.validationLoss ?? NaN).toFixed(4)}, validation accuracy ${pct(report.validationAccuracy ?? NaN)}`, metrics);
        });
      },
    }).finally(() => Promise.allSettled(billing));
    return head;
  }

  /** TRAINING_STEPS 1 and the step's COMPUTE_MS, keyed by (job, step): a step redone after a resume is not billed again. */
  private bill(job: FineTuneJob, step: number, computeMs: number): Promise<unknown> {
    return this.deps.usage.record({
      organizationId: job.organizationId, subscriptionId: job.subscriptionId, apiKeyId: job.apiKeyId,
      modelId: job.baseModelId, modelVersionId: job.baseVersionId, occurredAt: new Date(),
      idempotencyKey: `fine-tune:${job.id}:step:${step}`,
      usage: [{ meter: Meter.TRAINING_STEPS, quantity: 1n }, { meter: Meter.COMPUTE_MS, quantity: BigInt(computeMs) }],
    });
  }

  private async lastCheckpoint(job: FineTuneJob): Promise<HeadTrainingCheckpoint | undefined> {
    const found = await this.deps.dataSource.getRepository(FineTuneCheckpoint).createQueryBuilder('c').addSelect('c.state')
      .where('c.jobId = :id', { id: job.id }).orderBy('c.epoch', 'DESC').getOne();
    return found ? { epoch: found.epoch, step: found.step, state: loadTensors(found.state!) } : undefined;
  }

  /**
   * Saves the tuned ONNX file and publishes it (inspected like an upload) as version 1 of a
   * PRIVATE model of the partner. Idempotent: a resumed job finds the model by its slug.
   */
  private async publish(job: FineTuneJob, bytes: Uint8Array, labels: string[], baseVersion: ModelVersion): Promise<{ model: Model; version: ModelVersion }> {
    const ctx = this.deps.contextFor(job);
    const base = await ctx.db.findOneByOrFail(Model, { id: job.baseModelId });
    const slug = `${base.slug}-${job.suffix ?? 'ft'}-${job.id.slice(0, 8)}`;
    const model = (await ctx.db.findOneBy(Model, { slug })) ?? (await ctx.db.save(ctx.db.create(Model, {
      organizationId: job.organizationId, slug, name: `${base.name} (${job.suffix ?? 'fine-tuned'})`, task: ModelTask.TEXT_CLASSIFICATION,
      description: `Fine-tuned from ${base.slug} on a dataset of the organisation; labels: ${labels.join(', ')}.`,
      tags: [...base.tags, 'fine-tuned'], visibility: ModelVisibility.PRIVATE, baseModelId: base.id,
    })));
    const existing = await ctx.db.findOneBy(ModelVersion, { modelId: model.id, version: '1' });
    if (existing) return { model, version: existing };
    const file = await this.deps.files.save(Readable.from(Buffer.from(bytes)), job.organizationId, FilePurpose.MODEL);
    const result = await this.deps.modelVersions.publish(ctx, {
      modelId: model.globalId, fileId: toGlobalId('File', file.id), version: '1', labels, preprocessing: baseVersion.preprocessing ?? undefined,
    });
    if (!result.value) {
      await ctx.db.delete(Model, { id: model.id });
      throw new Error(`the tuned model did not pass validation: ${result.userErrors.map((e) => e.message).join('; ')}`);
    }
    return { model, version: result.value };
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
