import { DataSource } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { createByParentIdLoader } from '../common/by-parent-id.loader';

/** Every plan of each model, oldest first, in one query per tick. */
export function createPlansByModelIdLoader(dataSource: DataSource) {
  return createByParentIdLoader(dataSource, Plan, 'modelId', { createdAt: 'ASC', id: 'ASC' });
}
