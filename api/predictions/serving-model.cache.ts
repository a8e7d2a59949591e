import { DataSource, In } from 'typeorm';
import type { ModelRef, TokenizerSpec } from '../../inference';
import { ModelTask, ModelVersionStatus, ModelVisibility } from '../../schema/catalogue/catalogue.enums';
import { Model } from '../../schema/catalogue/model.entity';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { rowIdOf } from '../../schema/common/global-id';
import { isAdmin, RequestContext } from '../context';
import { ApiError, ErrorCode } from '../common/errors';
import type { FileStore } from '../catalogue/file-store.service';
import { SERVING_STATUSES } from '../catalogue/model-visibility';

/** A model version ready to serve: what the engine needs and how to read texts and outputs. */
export interface ServingVersion {
  model: Model;
  version: ModelVersion;
  ref: ModelRef;
  tokenizer: TokenizerSpec | null;
}

type Loaded = { model: Model; versions: ModelVersion[] } | null;

interface Entry {
  value: Promise<Loaded>;
  /** Set once loaded: an expired entry is served while the next one loads. */
  loaded?: Loaded;
  expiresAt: number;
}

function latestPublished(versions: ModelVersion[]): ModelVersion | undefined {
  const published = versions.filter((v) => v.status === ModelVersionStatus.PUBLISHED);
  return published.reduce<ModelVersion | undefined>((best, v) => (!best || v.publishedAt! > best.publishedAt! ? v : best), undefined);
}

/**
 * Models and their serving versions, cached for `ttlMs` (served stale while reloading), so that
 * inference resolves a model without a database round trip. NOTE: a version published or
 * deprecated meanwhile is seen within about `ttlMs`.
 */
export class ServingModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FileStore,
    private readonly ttlMs: number,
  ) {}

  /** The version to serve (the given `version`, else the latest published), or NOT_FOUND naming the model. */
  async resolveOrThrow(ctx: RequestContext, modelGlobalId: string, version: string | undefined | null): Promise<ServingVersion> {
    const id = rowIdOf(modelGlobalId, 'Model');
    const found = id ? await this.lookup(id, ctx.now().getTime()) : null;
    const visible = found && (found.model.visibility === ModelVisibility.PUBLIC || isAdmin(ctx) || found.model.organizationId === ctx.principal?.organizationId);
    if (!found || !visible || !latestPublished(found.versions)) {
      throw new ApiError(ErrorCode.NOT_FOUND, `Model ${modelGlobalId} not found`, { field: 'input.modelId' });
    }
    const chosen = version ? found.versions.find((v) => v.version === version) : latestPublished(found.versions);
    if (!chosen) throw new ApiError(ErrorCode.NOT_FOUND, `Model ${found.model.slug} has no serving version "${version}"`, { field: 'input.version' });
    return {
      model: found.model,
      version: chosen,
      ref: { id: chosen.id, path: this.files.blobPath(chosen.sha256) },
      tokenizer: found.model.task === ModelTask.TENSOR ? null : (chosen.preprocessing as unknown as TokenizerSpec),
    };
  }

  private async lookup(modelId: string, nowMs: number): Promise<Loaded> {
    let entry = this.entries.get(modelId);
    if (!entry || entry.expiresAt <= nowMs) {
      const fresh: Entry = { value: this.load(modelId), loaded: entry?.loaded, expiresAt: nowMs + this.ttlMs };
      this.entries.set(modelId, fresh);
      fresh.value.then((value) => (fresh.loaded = value), () => this.entries.get(modelId) === fresh && this.entries.delete(modelId));
      entry = fresh;
    }
    return entry.loaded !== undefined ? entry.loaded : entry.value;
  }

  private async load(modelId: string) {
    const model = await this.dataSource.getRepository(Model).findOneBy({ id: modelId });
    if (!model) return null;
    const versions = await this.dataSource.getRepository(ModelVersion).findBy({ modelId, status: In(SERVING_STATUSES) });
    return { model, versions };
  }
}
