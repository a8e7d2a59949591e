import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { ModelVersion } from '../../schema/catalogue/model-version.entity';

/** Every version of each model (any status), oldest first, in one query per tick. */
export function createVersionsByModelIdLoader(dataSource: DataSource) {
  return new DataLoader<string, ModelVersion[]>(async (modelIds) => {
    const rows = await dataSource.getRepository(ModelVersion).find({
      where: { modelId: In([...modelIds]) },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const byModel = new Map<string, ModelVersion[]>(modelIds.map((id) => [id, []]));
    for (const row of rows) byModel.get(row.modelId)!.push(row);
    return modelIds.map((id) => byModel.get(id)!);
  });
}
