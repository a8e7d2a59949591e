import DataLoader from 'dataloader';
import { DataSource, EntityTarget, FindOptionsOrder, In, ObjectLiteral } from 'typeorm';

/**
 * Child rows grouped by a parent-id column (e.g. versions by `modelId`), one query per tick,
 * in key order; an empty list for parents without children.
 */
export function createByParentIdLoader<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  parentKey: keyof T & string,
  order: FindOptionsOrder<T>,
) {
  return new DataLoader<string, T[]>(async (parentIds) => {
    const rows = await dataSource.getRepository(entity).find({ where: { [parentKey]: In([...parentIds]) } as never, order });
    const byParent = new Map<string, T[]>(parentIds.map((id) => [id, []]));
    for (const row of rows) byParent.get(row[parentKey] as string)!.push(row);
    return parentIds.map((id) => byParent.get(id)!);
  });
}
