import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';

/** The charges of each plan, in the order they were given, in one query per tick. */
export function createChargesByPlanIdLoader(dataSource: DataSource) {
  return new DataLoader<string, PlanCharge[]>(async (planIds) => {
    const rows = await dataSource.getRepository(PlanCharge).find({
      where: { planId: In([...planIds]) },
      order: { position: 'ASC' },
    });
    const byPlan = new Map<string, PlanCharge[]>(planIds.map((id) => [id, []]));
    for (const row of rows) byPlan.get(row.planId)!.push(row);
    return planIds.map((id) => byPlan.get(id)!);
  });
}
