import { assertTokenizerSpec, inspectModelFile, TokenizerSpec } from '../../inference';
import type { ModelSignature as EngineSignature } from '../../inference';
import { ModelTask, ModelVersionStatus, FilePurpose } from '../../schema/catalogue/catalogue.enums';
import { DeprecateModelVersionInput, PublishModelVersionInput } from '../../schema/catalogue/catalogue.inputs';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelSignature } from '../../schema/catalogue/model-signature.type';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { rowIdOf } from '../../schema/common/global-id';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { withoutFilePaths } from '../common/errors';
import { isAdmin, RequestContext } from '../context';
import { failure, isUniqueViolation, Result, success, transactionalResult } from '../common/result';
import { FileStore } from './file-store.service';
import type { ModelService } from './model.service';

/** The engine's signature in the catalogue's shape: numbers for fixed dims, null for dynamic ones. */
export function toCatalogueSignature(signature: EngineSignature): ModelSignature {
  const spec = (t: EngineSignature['inputs'][number]) => ({
    name: t.name,
    type: t.type,
    shape: t.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null)),
    dimensions: t.shape.map((d) => (d === null ? '?' : String(d))),
  });
  return { inputs: signature.inputs.map(spec), outputs: signature.outputs.map(spec) };
}

/** Task-specific checks of what a vendor publishes; a message when it does not fit, else null. */
function taskMismatch(model: Model, input: PublishModelVersionInput, signature: ModelSignature): { field: string; message: string } | null {
  if (model.task === ModelTask.TENSOR) return null;
  try {
    assertTokenizerSpec(input.preprocessing as unknown as TokenizerSpec);
  } catch (error) {
    return { field: 'preprocessing', message: `${model.task} models need a hashed-ngrams tokenizer spec in preprocessing: ${(error as Error).message}` };
  }
  const names = signature.inputs.map((i) => i.name).sort().join(',');
  if (names !== 'token_ids,token_weights') {
    return { field: 'fileId', message: `${model.task} models take the inputs token_ids and token_weights; this file takes ${names}` };
  }
  if (model.task === ModelTask.TEXT_CLASSIFICATION) {
    const classes = signature.outputs[0]?.shape.at(-1);
    if (!input.labels?.length) return { field: 'labels', message: 'TEXT_CLASSIFICATION models need labels, one per output class' };
    if (typeof classes === 'number' && classes !== input.labels.length) {
      return { field: 'labels', message: `the model outputs ${classes} classes but ${input.labels.length} labels were given` };
    }
  }
  return null;
}

/** Versions of a model: publish (validating the ONNX file in isolation), deprecate. */
export class ModelVersionService {
  constructor(
    private readonly models: ModelService,
    private readonly files: FileStore,
    private readonly inspectTimeoutMs: number,
  ) {}

  /**
   * Publishes an uploaded ONNX file as a version: the file is loaded away from the event loop,
   * its signature read and one run made; nothing is written unless all of that succeeds.
   */
  async publish(ctx: RequestContext, input: PublishModelVersionInput): Promise<Result<ModelVersion>> {
    const model = await this.models.findOwned(ctx, input.modelId);
    if (!model) return failure(UserErrorCode.NOT_FOUND, 'Model not found', ['input', 'modelId']);
    const file = await this.files.findOwned(input.fileId, ctx.principal!.organizationId, isAdmin(ctx));
    if (!file) return failure(UserErrorCode.NOT_FOUND, 'File not found', ['input', 'fileId']);
    if (file.purpose !== FilePurpose.MODEL) return failure(UserErrorCode.INVALID, 'The file was uploaded with purpose=dataset; upload models with purpose=model', ['input', 'fileId']);
    if (await ctx.db.existsBy(ModelVersion, { modelId: model.id, version: input.version })) {
      return failure(UserErrorCode.CONFLICT, `Version ${input.version} of ${model.slug} exists`, ['input', 'version']);
    }
    const inspection = await inspectModelFile(this.files.blobPath(file.sha256), { timeoutMs: this.inspectTimeoutMs });
    if (!inspection.ok) return failure(UserErrorCode.INVALID_MODEL, `The file is not a usable ONNX model: ${withoutFilePaths(inspection.reason)}`, ['input', 'fileId']);
    const signature = toCatalogueSignature(inspection.signature);
    const mismatch = taskMismatch(model, input, signature);
    if (mismatch) return failure(UserErrorCode.INVALID_MODEL, mismatch.message, ['input', mismatch.field]);
    try {
      return await transactionalResult(ctx, async (tx) => {
        const version = await tx.db.save(tx.db.create(ModelVersion, {
          modelId: model.id, version: input.version, status: ModelVersionStatus.PUBLISHED,
          fileId: file.id, sha256: file.sha256, bytes: file.bytes, signature,
          labels: input.labels ?? null, preprocessing: input.preprocessing ?? null,
          publishedAt: ctx.now(), deprecatedAt: null,
        }));
        return success(version);
      });
    } catch (error) {
      if (isUniqueViolation(error)) return failure(UserErrorCode.CONFLICT, `Version ${input.version} of ${model.slug} exists`, ['input', 'version']);
      throw error;
    }
  }

  /** PUBLISHED -> DEPRECATED: still served to existing callers, flagged in the catalogue. */
  async deprecate(ctx: RequestContext, input: DeprecateModelVersionInput): Promise<Result<ModelVersion>> {
    const id = rowIdOf(input.versionId, 'ModelVersion');
    const version = id ? await ctx.db.findOneBy(ModelVersion, { id }) : null;
    const model = version ? await this.models.findOwnedById(ctx, version.modelId) : null;
    if (!version || !model) return failure(UserErrorCode.NOT_FOUND, 'Model version not found', ['input', 'versionId']);
    if (version.status !== ModelVersionStatus.PUBLISHED) {
      return failure(UserErrorCode.INVALID_STATE, `Only a PUBLISHED version can be deprecated; this one is ${version.status}`, ['input', 'versionId']);
    }
    version.status = ModelVersionStatus.DEPRECATED;
    version.deprecatedAt = ctx.now();
    await ctx.db.update(ModelVersion, { id: version.id }, { status: version.status, deprecatedAt: version.deprecatedAt });
    return success(version);
  }
}
