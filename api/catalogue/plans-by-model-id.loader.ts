import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';

/** Every plan of each model, oldest first, in one query per tick. */
export function createPlansByModelIdLoader(dataSource: DataSource) {
  return new DataLoader<string, Plan[]>(async (modelIds) => {
    const rows = await dataSource.getRepository(Plan).find({
      where: { modelId: In([...modelIds]) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const byModel = new Map<string, Plan[]>(modelIds.map((id) => [id, []]));
    for (const row of rows) byModel.get(row.modelId)!.push(row);
    return modelIds.map((id) => byModel.get(id)!);
  });
}
