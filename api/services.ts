import { DataSource } from 'typeorm';
import type { EnginePool } from '../inference';
import { ApiKeyService } from './accounts/api-key.service';
import { OrganizationService } from './accounts/organization.service';
import { FileStore } from './catalogue/file-store.service';
import { ModelService } from './catalogue/model.service';
import { ModelVersionService } from './catalogue/model-version.service';
import { PlanService } from './catalogue/plan.service';
import { NodeLookup } from './common/node-lookup.service';
import { AppConfig } from './config';
import { Logger } from './logger';

/** Builds every domain service once per server; requests reach them through `ctx.services`. */
export function createServices(deps: { dataSource: DataSource; config: AppConfig; engine: EnginePool; logger: Logger }) {
  const { dataSource, config, logger } = deps;
  const files = new FileStore(dataSource, config.dataDir, config.maxUploadBytes);
  const models = new ModelService();
  return {
    engine: deps.engine,
    files,
    apiKeys: new ApiKeyService(dataSource, {
      cacheTtlMs: 5000,
      lastUsedEveryMs: 60_000,
      onError: (error) => logger.warn({ err: error }, 'could not record an API key\'s last use'),
    }),
    organizations: new OrganizationService(),
    models,
    modelVersions: new ModelVersionService(models, files, 30_000),
    plans: new PlanService(models),
    nodes: new NodeLookup(models),
  };
}

export type Services = ReturnType<typeof createServices>;
