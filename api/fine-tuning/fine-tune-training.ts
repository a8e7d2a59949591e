import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import {
  buildFineTunedTextClassifier, buildSoftmaxHeadEval, buildSoftmaxHeadStep, buildTextBodyEval, buildTextBodyStep, buildTextClassifier,
  buildTextRowsPooling, EnginePool, EngineTensor, EpochCheckpoint, EpochReport, floatDataOrThrow, HeadTrainingCheckpoint,
  HeadTrainingSet, int64DataOrThrow, LinearHead, PoolStepRunner, poolTokenizedFeatures, readTextModelBodyOrThrow, SoftmaxHeadTrainer, stepsPerEpoch, StepReport, TextBodyTrainer,
  TextModelBody, tokenize, TokenizedSet, tokenizeYielding,
} from '../../inference';
import { FilePurpose, ModelTask, ModelVisibility } from '../../schema/catalogue/catalogue.enums';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { toGlobalId } from '../../schema/common/global-id';
import { Dataset, DatasetRow } from '../../schema/fine-tuning/dataset.entity';
import { FineTuneCheckpoint } from '../../schema/fine-tuning/fine-tune-checkpoint.entity';
import { FineTuneBaseline, FineTuneJob } from '../../schema/fine-tuning/fine-tune-job.entity';
import { FineTuneEventLevel, FineTuneEventType } from '../../schema/fine-tuning/fine-tuning.enums';
import { Meter } from '../../schema/metering/meter.enum';
import { RequestContext } from '../context';
import type { FileStore } from '../catalogue/file-store.service';
import type { ModelVersionService } from '../catalogue/model-version.service';
import type { MeteredCall, UsageSink } from '../metering/usage-recorder';
import { logMessage, logMetrics } from './fine-tune-events';
import { cancelledBy } from './job-stop';

const OPTIMIZER = { kind: 'adam' as const };
const FEATURE_BATCH = 256;
/** Base models kept read and parsed (about 8 MB each for the demo classifier). */
const BASES_KEPT = 2;
/**
 * NOTE: the quality bar of the frozen body: when the head alone reaches this validation
 * accuracy the job stops there; otherwise as many epochs again adapt the body's embedding table too.
 */
export const FROZEN_BODY_QUALITY_BAR = 0.9;

/** What training produced: a head, and the adapted embedding table when the body was trained too. */
interface Trained {
  head: LinearHead;
  embedding?: Float32Array;
  validationAccuracy: number;
  validationLoss: number;
}

/** What training needs from the server. */
export interface FineTuneTrainingDeps {
  dataSource: DataSource;
  engine: EnginePool;
  files: FileStore;
  modelVersions: ModelVersionService;
  usage: UsageSink;
  /** Where runs keep their training graphs (by content, shared by the runs that build the same graph; see PoolStepRunner). */
  workDir: string;
  /** A context acting as the job's organisation (to publish the tuned version as its owner). */
  contextFor(job: FineTuneJob): RequestContext;
  /** Least time between two checkpoints of a job's state (FineTuningConfig.checkpointEveryMs). */
  checkpointEveryMs: number;
}

/** The tuned model's version, once published. */
export interface TrainingOutcome {
  model: Model;
  version: ModelVersion;
  validationAccuracy: number;
}

/**
 * Packs float32 and int64 tensors into one buffer: a 4-byte header length, a JSON header of
 * names, types and dims, then the data.
 */
export function packTensors(state: Record<string, EngineTensor>): Buffer {
  const entries = Object.entries(state).map(([name, t]) => {
    const data = t.type === 'int64' ? int64DataOrThrow(t, name) : floatDataOrThrow(t, name);
    return { name, type: t.type, dims: t.dims, data };
  });
  const header = Buffer.from(JSON.stringify(entries.map(({ name, type, dims, data }) => ({ name, type, dims, length: data.length }))));
  const parts = entries.map(({ data }) => Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  return Buffer.concat([size, header, ...parts]);
}

/** NOTE: PGlite returns bytea as a Uint8Array, pg as a Buffer; entries without a type (older checkpoints) are float32. */
export function unpackTensors(bytes: Uint8Array): Record<string, EngineTensor> {
  const packed = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = packed.readUInt32LE(0);
  const header = JSON.parse(packed.subarray(4, 4 + headerLength).toString('utf8')) as Array<{ name: string; type?: 'float32' | 'int64'; dims: number[]; length: number }>;
  let offset = 4 + headerLength;
  const state: Record<string, EngineTensor> = {};
  for (const { name, type = 'float32', dims, length } of header) {
    const data = type === 'int64' ? new BigInt64Array(length) : new Float32Array(length);
    Buffer.from(data.buffer).set(packed.subarray(offset, offset + data.byteLength));
    offset += data.byteLength;
    state[name] = type === 'int64' ? { type, dims, data: data as BigInt64Array } : { type: 'float32', dims, data: data as Float32Array };
  }
  return state;
}

/**
 * Runs one claimed job on the engine pool: the base body turns the dataset's rows into
 * features, the softmax-head step graphs fit a head (Adam), each epoch is checkpointed after
 * its steps are billed; then the tuned classifier (base body + head) is validated like an
 * upload and published as a PRIVATE model of the partner. Resumes from the last checkpoint.
 */
export class FineTuneTraining {
  /** The last base models read (file bytes and parsed body), by content: jobs on one base model read and parse it once. */
  private readonly bases = new Map<string, Promise<{ bytes: Buffer; body: TextModelBody }>>();

  constructor(private readonly deps: FineTuneTrainingDeps) {}

  /** NOTE: read only: the trainers copy the table they change. A failed read is not kept. */
  private base(sha256: string, file: string): Promise<{ bytes: Buffer; body: TextModelBody }> {
    let found = this.bases.get(sha256);
    if (!found) {
      found = readFile(file).then((bytes) => ({ bytes, body: readTextModelBodyOrThrow(bytes) }));
      found.catch(() => this.bases.delete(sha256));
      this.bases.set(sha256, found);
      if (this.bases.size > BASES_KEPT) this.bases.delete(this.bases.keys().next().value!);
    }
    return found;
  }

  async run(job: FineTuneJob, signal: AbortSignal): Promise<TrainingOutcome> {
    const { dataSource } = this.deps;
    const dataset = await dataSource.getRepository(Dataset).createQueryBuilder('d').addSelect('d.rows').where('d.id = :id', { id: job.datasetId }).getOneOrFail();
    const baseVersion = await dataSource.getRepository(ModelVersion).findOneByOrFail({ id: job.baseVersionId });
    const basePath = this.deps.files.blobPath(baseVersion.sha256);
    const { bytes: baseBytes, body } = await this.base(baseVersion.sha256, basePath);
    const labels = dataset.labels.map((l) => l.label);
    const shape = { dim: body.embeddingDim, classes: labels.length };
    const runner = new PoolStepRunner(this.deps.engine, path.join(this.deps.workDir, 'graphs'));
    try {
      const spec = JSON.stringify(body.spec);
      await runner.registerBuilt('pooling', `text-rows-pooling:${spec}:${body.embeddingDim}`, () => buildTextRowsPooling({ spec: body.spec, dim: body.embeddingDim }));
      await runner.registerBuilt('step', `softmax-head-step:${shape.dim}x${shape.classes}:${JSON.stringify(OPTIMIZER)}`, () => buildSoftmaxHeadStep(shape, OPTIMIZER));
      await runner.registerBuilt('eval', `softmax-head-eval:${shape.dim}x${shape.classes}`, () => buildSoftmaxHeadEval(shape));
      // NOTE: the base model runs on its serving sessions (the pool's ref of a served version), not a copy of its own
      runner.registerShared('base', { id: baseVersion.id, path: basePath });
      const rows = dataset.rows!;
      const baseline = job.baseline ?? (await this.measureBaseline(job, runner, body, rows.validation, baseVersion.labels ?? []));
      const trained = await this.train(job, runner, body, labels, rows.train, rows.validation, signal);
      const bytes = trained.embedding
        ? buildTextClassifier({ spec: body.spec, embeddingDim: body.embeddingDim, labels, weights: { embedding: trained.embedding, head: trained.head } })
        : buildFineTunedTextClassifier(baseBytes, trained.head, labels);
      const published = await this.publish(job, bytes, labels, baseVersion);
      await logMetrics(dataSource.manager, job.id, `Tuned validation accuracy ${pct(trained.validationAccuracy)} (base model: ${pct(baseline.validationAccuracy)})`, {
        valid_accuracy: trained.validationAccuracy, valid_loss: trained.validationLoss, base_valid_accuracy: baseline.validationAccuracy,
      });
      return { ...published, validationAccuracy: trained.validationAccuracy };
    } finally {
      await runner.close();
    }
  }

  /** NOTE: the rows' tokens, made once a job for both stages, in short tasks (the API serves meanwhile). */
  private async tokens(body: TextModelBody, rows: DatasetRow[], labels: string[]): Promise<TokenizedSet> {
    const { inputs } = await tokenizeYielding(rows.map((r) => r.text), body.spec);
    return { ids: inputs.token_ids.data as BigInt64Array, weights: inputs.token_weights.data as Float32Array, labels: rows.map((r) => labels.indexOf(r.label)) };
  }

  private async features(runner: PoolStepRunner, body: TextModelBody, tokens: TokenizedSet, signal: AbortSignal): Promise<HeadTrainingSet> {
    const dims = [tokens.labels.length, body.spec.sequenceLength];
    const { features } = await poolTokenizedFeatures(runner, 'pooling', {
      token_ids: { type: 'int64', dims, data: tokens.ids }, token_weights: { type: 'float32', dims, data: tokens.weights },
    }, body, { batchSize: FEATURE_BATCH, signal });
    return { features, labels: tokens.labels };
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

  /**
   * Stage 1 fits a head on the frozen body's features (Adam, epochs 1..E); below the quality
   * bar, stage 2 (epochs E+1..2E) trains embedding table and head together (SGD). Each epoch
   * is checkpointed once its steps are billed; a resumed job picks its stage from the checkpoint.
   */
  private async train(job: FineTuneJob, runner: PoolStepRunner, body: TextModelBody, labels: string[], trainRows: DatasetRow[], validationRows: DatasetRow[], signal: AbortSignal): Promise<Trained> {
    const { epochs, batchSize, learningRate, seed } = job.hyperparameters;
    const db = this.deps.dataSource.manager;
    const perEpoch = stepsPerEpoch(trainRows.length, batchSize);
    const resumeFrom = await this.lastCheckpoint(job);
    if (resumeFrom) await logMessage(db, job.id, `Resuming from the checkpoint of epoch ${resumeFrom.epoch} (step ${resumeFrom.step})`);
    const meter = new StepMeter(job, runner, this.deps, epochs);
    const once = <T>(make: () => Promise<T>) => { let made: Promise<T> | undefined; return () => (made ??= make()); };
    const trainTokens = once(() => this.tokens(body, trainRows, labels));
    const validationTokens = once(() => this.tokens(body, validationRows, labels));
    let head: LinearHead;
    let frozen: { loss: number; accuracy: number };
    const shape = { dim: body.embeddingDim, classes: labels.length };
    const headTrainer = new SoftmaxHeadTrainer(runner, { step: 'step', evaluate: 'eval' }, shape, OPTIMIZER);
    if (!resumeFrom || resumeFrom.epoch < epochs) {
      await db.update(FineTuneJob, { id: job.id }, { totalSteps: epochs * perEpoch });
      const train = await this.features(runner, body, await trainTokens(), signal);
      const validation = await this.features(runner, body, await validationTokens(), signal);
      ({ head } = await headTrainer.train(train, {
        epochs, batchSize, learningRate, seed, signal, validation, resumeFrom,
        onStep: (step) => meter.step(step), onCheckpoint: (checkpoint, report) => meter.checkpoint(checkpoint, report, 'head'),
      }).finally(() => meter.settle(cancelledBy(signal))));
      await meter.settle();
      frozen = await headTrainer.evaluate(head, validation);
    } else {
      const last = await this.checkpointAt(job, epochs);
      head = headTrainer.headOf(last.state);
      frozen = { loss: last.metrics.valid_loss, accuracy: last.metrics.valid_accuracy };
    }
    if (frozen.accuracy >= FROZEN_BODY_QUALITY_BAR) return { head, validationAccuracy: frozen.accuracy, validationLoss: frozen.loss };
    if (!resumeFrom || resumeFrom.epoch <= epochs) {
      await db.update(FineTuneJob, { id: job.id }, { totalSteps: 2 * epochs * perEpoch });
      await logMessage(db, job.id, `The frozen body reaches ${pct(frozen.accuracy)} on validation (bar ${pct(FROZEN_BODY_QUALITY_BAR)}): adapting its embedding table too, for ${epochs} more epochs`);
    }
    const bodyShape = { spec: body.spec, dim: body.embeddingDim, classes: labels.length };
    const bodyKey = `${JSON.stringify(body.spec)}:${body.embeddingDim}x${labels.length}`;
    await runner.registerBuilt('body-step', `text-body-step:${bodyKey}`, () => buildTextBodyStep(bodyShape));
    await runner.registerBuilt('body-eval', `text-body-eval:${bodyKey}`, () => buildTextBodyEval(bodyShape));
    const bodyTrainer = new TextBodyTrainer(runner, { step: 'body-step', evaluate: 'body-eval' }, bodyShape);
    const train = await trainTokens();
    const validation = await validationTokens();
    const weights = await bodyTrainer.train(train, {
      firstEpoch: epochs + 1, lastEpoch: 2 * epochs, batchSize, learningRate: learningRate * 10 * batchSize, seed, signal, validation,
      initial: { embedding: body.embedding, head }, stepsBefore: epochs * perEpoch, resumeFrom: resumeFrom && resumeFrom.epoch > epochs ? resumeFrom : undefined,
      onStep: (step) => meter.step(step), onCheckpoint: (checkpoint, report) => meter.checkpoint(checkpoint, report, 'body'),
    }).finally(() => meter.settle(cancelledBy(signal)));
    await meter.settle();
    const adapted = await bodyTrainer.evaluate(weights, validation);
    return { head: weights.head, embedding: weights.embedding, validationAccuracy: adapted.accuracy, validationLoss: adapted.loss };
  }

  private async lastCheckpoint(job: FineTuneJob): Promise<HeadTrainingCheckpoint | undefined> {
    const found = await this.deps.dataSource.getRepository(FineTuneCheckpoint).createQueryBuilder('c').addSelect('c.state')
      .where('c.jobId = :id AND c.state IS NOT NULL', { id: job.id }).orderBy('c.epoch', 'DESC').getOne();
    return found ? { epoch: found.epoch, step: found.step, state: unpackTensors(found.state!) } : undefined;
  }

  private async checkpointAt(job: FineTuneJob, epoch: number): Promise<HeadTrainingCheckpoint & { metrics: Record<string, number> }> {
    const found = await this.deps.dataSource.getRepository(FineTuneCheckpoint).createQueryBuilder('c').addSelect('c.state')
      .where('c.jobId = :id AND c.epoch = :epoch AND c.state IS NOT NULL', { id: job.id, epoch }).getOneOrFail();
    return { epoch: found.epoch, step: found.step, state: unpackTensors(found.state!), metrics: found.metrics };
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
    const file = await this.deps.files.save(Readable.from(chunksOf(bytes, SAVE_CHUNK_BYTES)), job.organizationId, FilePurpose.MODEL);
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

/**
 * NOTE: the epochs ended since the last checkpoint, in ONE statement (a data-modifying CTE: all
 * or none): a row per epoch (its figures, `created_at` when it ended) with the training state on
 * the last one alone, the job's trained steps, and each epoch's METRICS event. $2-$6 are arrays
 * with an element per epoch, oldest first. One round trip per checkpoint instead of five per
 * epoch, and none of the ORM's per-entity work on the API's event loop.
 */
const WRITE_EPOCHS_SQL = `WITH epochs AS (
    INSERT INTO fine_tune_checkpoint (job_id, epoch, step, metrics, created_at, state)
    SELECT $1::uuid, e.epoch, e.step, e.metrics, e.at, CASE WHEN e.n = cardinality($2::int[]) THEN $7::bytea END
    FROM unnest($2::int[], $3::int[], $4::jsonb[], $5::timestamptz[]) WITH ORDINALITY AS e(epoch, step, metrics, at, n)
  ), job AS (
    UPDATE fine_tune_job SET trained_steps = ($3::int[])[cardinality($3::int[])], updated_at = now() WHERE id = $1::uuid
  )
  INSERT INTO fine_tune_event (job_id, at, level, type, message, metrics)
    SELECT $1::uuid, e.at, '${FineTuneEventLevel.INFO}', '${FineTuneEventType.METRICS}', e.message, e.metrics
    FROM unnest($5::timestamptz[], $6::text[], $4::jsonb[]) WITH ORDINALITY AS e(at, message, metrics, n)
    ORDER BY e.n`;

/** An epoch ended, not written yet (see StepMeter.checkpoint). */
interface EndedEpoch {
  checkpoint: EpochCheckpoint;
  report: EpochReport;
  stage: 'head' | 'body';
  at: Date;
}

/**
 * Bills a job's steps by epoch: one usage call of an epoch's steps (TRAINING_STEPS and their
 * COMPUTE_MS) keyed by job and epoch, sent with the checkpoint that writes the epoch (see
 * checkpoint), which is written only once those bills are committed. A step belongs to one
 * epoch, and an epoch's steps are the same in every run of the job, so a step is billed once: an epoch redone after a crash, a stop or a lost
 * lease (resumed from the checkpoint before it) carries the key of its first bill, if it had one.
 * An unfinished epoch is billed only when the job is cancelled (it is never run again); after a
 * stop or a crash the resumed job runs it again and bills it then; a failed job's is not billed.
 *
 * NOTE: by epoch, not by step: a bill per step was ~1,800 usage calls a second while a job
 * trained (two events each, a uuid and a promise each on the event loop, and the database's
 * inserts and totals beside the API's calls), and runInference's p95 while a job trained was 1.6x
 * idle with it against 1.2x without (`npm run bench -- finetune`).
 */
class StepMeter {
  private readonly pending: Array<Promise<unknown>> = [];
  /** Each epoch's steps and compute not billed yet (epochs end in order, possibly after the next epoch's steps ran). */
  private readonly epochs = new Map<number, { steps: number; computeMs: number }>();
  private carriedMs = 0;
  /** Epochs ended, not billed nor written yet: their bills and rows go with the next checkpoint. */
  private readonly ended: EndedEpoch[] = [];
  /** When the last checkpoint write started (epoch ms); undefined before the first. */
  private lastWriteAt?: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly job: FineTuneJob,
    private readonly runner: PoolStepRunner,
    private readonly deps: FineTuneTrainingDeps,
    private readonly epochCount: number,
  ) {}

  step({ epoch }: StepReport): void {
    const tally = this.epochs.get(epoch) ?? { steps: 0, computeMs: 0 };
    tally.steps++;
    tally.computeMs += this.runner.takeComputeMs();
    this.epochs.set(epoch, tally);
  }

  /** Sends an epoch's bill to the recorder (its COMPUTE_MS in whole ms, the fraction carried to the next bill). */
  private bill(epoch: number): void {
    const tally = this.epochs.get(epoch);
    this.epochs.delete(epoch);
    if (!tally || tally.steps === 0) return;
    this.carriedMs += tally.computeMs;
    const wholeMs = Math.floor(this.carriedMs);
    this.carriedMs -= wholeMs;
    const job = this.job;
    const call: MeteredCall = {
      organizationId: job.organizationId, subscriptionId: job.subscriptionId, apiKeyId: job.apiKeyId,
      modelId: job.baseModelId, modelVersionId: job.baseVersionId, occurredAt: new Date(),
      idempotencyKey: `fine-tune:${job.id}:epoch:${epoch}`,
      usage: [{ meter: Meter.TRAINING_STEPS, quantity: BigInt(tally.steps) }, { meter: Meter.COMPUTE_MS, quantity: BigInt(wholeMs) }],
    };
    this.pending.push(this.deps.usage.record(call));
  }

  /**
   * Keeps an ended epoch for the next checkpoint, and writes one (the epochs ended so far, the
   * state of this one) when it is due and the epoch has a state (the body trainer keeps one at
   * the end of each request of epochs), in the background (training goes on meanwhile), in epoch
   * order, each once the bills of its epochs are committed. A failed write fails the job at the
   * next checkpoint or at the end.
   */
  checkpoint(checkpoint: EpochCheckpoint, report: EpochReport, stage: 'head' | 'body'): Promise<void> {
    this.ended.push({ checkpoint, report, stage, at: report.endedAt ?? new Date() });
    // NOTE: the first epoch's checkpoint at once (a job shows progress); later ones at most every checkpointEveryMs
    if (!checkpoint.state || (this.lastWriteAt !== undefined && Date.now() - this.lastWriteAt < this.deps.checkpointEveryMs)) return this.writing;
    return this.writeEnded();
  }

  /**
   * Writes the epochs ended up to the last one with a state, that state with them, once their
   * bills are committed; returns the write before it. With `all` (a cancelled job, never
   * resumed), every epoch ended, the last one's state if it has one. NOTE: epochs ended after
   * the last state are not written otherwise: a resumed job starts from that state and runs
   * them again (and writes and bills them then), so none is written twice.
   */
  private writeEnded(all = false): Promise<void> {
    let count = this.ended.length;
    if (!all) while (count > 0 && !this.ended[count - 1].checkpoint.state) count--;
    const epochs = this.ended.splice(0, count);
    if (epochs.length === 0) return this.writing;
    this.lastWriteAt = Date.now();
    // NOTE: the epochs' bills go with their checkpoint (one flush a checkpoint, not one an epoch), each still under its epoch's key
    for (const { report } of epochs) this.bill(report.epoch);
    const billed = Promise.all(this.pending.splice(0));
    const previous = this.writing;
    this.writing = (async () => {
      await previous;
      // NOTE: steps are billed before their checkpoint is written, so a resumed job neither re-bills (same keys) nor skips one.
      await billed;
      await this.write(epochs);
    })();
    this.writing.catch(() => undefined);
    return previous;
  }

  /** NOTE: each epoch's row and event carry `at`, when its last step ended, not when the write came. */
  private async write(epochs: EndedEpoch[]): Promise<void> {
    const rows = epochs.map(({ checkpoint, report, stage }) => {
      const metrics = {
        epoch: report.epoch, step: checkpoint.step, train_loss: report.loss, train_accuracy: report.accuracy,
        valid_loss: report.validationLoss ?? NaN, valid_accuracy: report.validationAccuracy ?? NaN, body_trained: stage === 'body' ? 1 : 0,
      };
      const of = stage === 'head' ? `${report.epoch}/${this.epochCount}` : `${report.epoch}/${2 * this.epochCount} (body and head)`;
      const message = `Epoch ${of}: train loss ${report.loss.toFixed(4)}, validation loss ${(report.validationLoss ?? NaN).toFixed(4)}, validation accuracy ${pct(report.validationAccuracy ?? NaN)}`;
      return { epoch: checkpoint.epoch, step: checkpoint.step, metrics: JSON.stringify(metrics), message };
    });
    const last = epochs.at(-1)!.checkpoint.state;
    const state = last ? packTensors(last) : null;
    await this.deps.dataSource.query(WRITE_EPOCHS_SQL, [
      this.job.id, rows.map((r) => r.epoch), rows.map((r) => r.step), rows.map((r) => r.metrics), epochs.map((e) => e.at.toISOString()), rows.map((r) => r.message), state,
    ]);
  }

  /**
   * Waits for the bills and checkpoint writes in flight; rethrows a failed write. With
   * `cancelled`, the steps of the unfinished epoch are billed first (see the class NOTE).
   */
  async settle(cancelled = false): Promise<void> {
    void this.writeEnded(cancelled);
    if (cancelled) for (const epoch of [...this.epochs.keys()]) this.bill(epoch);
    await Promise.allSettled(this.pending.splice(0));
    await this.writing;
  }
}

/**
 * NOTE: the built model goes to the file store as views of 256 KB, not one Buffer: the store
 * hashes each chunk as it passes, so one chunk of the whole 4 MB file held the event loop for its
 * whole digest (and Buffer.from(bytes) copied it element by element first, ~2.4 ms more), right
 * as training ends, while inference is served.
 */
const SAVE_CHUNK_BYTES = 256 * 1024;

function* chunksOf(bytes: Uint8Array, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.byteLength; at += size) yield Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(size, bytes.byteLength - at));
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
