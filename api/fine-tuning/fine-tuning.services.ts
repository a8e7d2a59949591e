import path from 'node:path';
import { DataSource } from 'typeorm';
import type { EnginePool } from '../../inference';
import { OrganizationKind } from '../../schema/accounts/organization.entity';
import { Role } from '../../schema/accounts/role.enum';
import { toGlobalId } from '../../schema/common/global-id';
import type { FineTuneJob } from '../../schema/fine-tuning/fine-tune-job.entity';
import type { AppConfig } from '../config';
import type { RequestContext } from '../context';
import { createLoaders } from '../loaders';
import type { Logger } from '../logger';
import type { FileStore } from '../catalogue/file-store.service';
import type { ModelService } from '../catalogue/model.service';
import type { ModelVersionService } from '../catalogue/model-version.service';
import type { NodeLookup } from '../common/node-lookup.service';
import type { UsageSink } from '../metering/usage-recorder';
import type { Services } from '../services';
import type { EntitlementCache } from '../subscriptions/entitlement.cache';
import { DatasetService } from './dataset.service';
import { FineTuneJobService } from './fine-tune-job.service';
import { FineTuneTraining } from './fine-tune-training';
import { FineTuneWorker } from './fine-tune.worker';

interface FineTuningDeps {
  dataSource: DataSource;
  config: AppConfig;
  engine: EnginePool;
  logger: Logger;
  files: FileStore;
  models: ModelService;
  modelVersions: ModelVersionService;
  entitlements: EntitlementCache;
  usageRecorder: UsageSink;
  nodes: NodeLookup;
}

/** What {@link createFineTuning} adds to the server's services. */
export interface FineTuningServices {
  datasets: DatasetService;
  fineTuneJobs: FineTuneJobService;
  fineTuneWorker: FineTuneWorker;
  /** Gives the worker's contexts the server's services (called once they exist). */
  attachServicesToFineTuning(all: Services): void;
}

/** The fine-tuning services (datasets, jobs, the worker), wired together; `node(id:)` learns Dataset and FineTuneJob. */
export function createFineTuning(deps: FineTuningDeps): FineTuningServices {
  const { dataSource, config } = deps;
  const datasets = new DatasetService(deps.files, config.fineTuning);
  const fineTuneJobs = new FineTuneJobService(deps.models, datasets, deps.entitlements, deps.files);
  let services: Services | undefined;
  const contextFor = (job: FineTuneJob): RequestContext => ({
    principal: { apiKeyId: job.apiKeyId ?? '00000000-0000-0000-0000-000000000000', organizationId: job.organizationId, organizationKind: OrganizationKind.PARTNER, roles: [Role.PARTNER] },
    db: dataSource.manager, loaders: createLoaders(dataSource), services: services!, now: () => new Date(), requestId: `fine-tune:${job.id}`,
  });
  const training = new FineTuneTraining({
    dataSource, engine: deps.engine, files: deps.files, modelVersions: deps.modelVersions, usage: deps.usageRecorder,
    workDir: path.join(config.dataDir, 'training'), contextFor, checkpointEveryMs: config.fineTuning.checkpointEveryMs,
  });
  const fineTuneWorker = new FineTuneWorker(dataSource, training, config.fineTuning, deps.logger.child({ component: 'fine-tuning' }));
  fineTuneJobs.attachRunner(fineTuneWorker);
  deps.nodes.register('Dataset', (ctx, id) => datasets.findOwned(ctx, toGlobalId('Dataset', id)));
  deps.nodes.register('FineTuneJob', (ctx, id) => fineTuneJobs.findOwned(ctx, toGlobalId('FineTuneJob', id)));
  return {
    datasets,
    fineTuneJobs,
    fineTuneWorker,
    attachServicesToFineTuning: (all) => {
      services = all;
      fineTuneWorker.useQueue(all.jobs);
    },
  };
}
