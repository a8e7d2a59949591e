import { DataSource } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { createByIdLoader } from '../common/by-id.loader';

/** Plans by id, one query per tick; `null` for unknown ids. Callers check visibility. */
export function createPlanByIdLoader(dataSource: DataSource) {
  return createByIdLoader(dataSource, Plan);
}
