import { DataSource } from 'typeorm';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';
import { createByParentIdLoader } from '../common/by-parent-id.loader';

/** Every version of each model (any status), oldest first, in one query per tick. */
export function createVersionsByModelIdLoader(dataSource: DataSource) {
  return createByParentIdLoader(dataSource, ModelVersion, 'modelId', { createdAt: 'ASC', id: 'ASC' });
}
