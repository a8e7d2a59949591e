import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { Organization } from '../../schema/accounts/organization.entity';

/** Organisations by id, one query per tick; `null` for unknown ids. */
export function createOrganizationByIdLoader(dataSource: DataSource) {
  return new DataLoader<string, Organization | null>(async (ids) => {
    const rows = await dataSource.getRepository(Organization).findBy({ id: In([...ids]) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
