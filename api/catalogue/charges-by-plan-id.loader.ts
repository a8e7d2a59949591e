import { DataSource } from 'typeorm';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { createByParentIdLoader } from '../common/by-parent-id.loader';

/** The charges of each plan, in the order they were given, in one query per tick. */
export function createChargesByPlanIdLoader(dataSource: DataSource) {
  return createByParentIdLoader(dataSource, PlanCharge, 'planId', { position: 'ASC' });
}
