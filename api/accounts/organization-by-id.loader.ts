import { DataSource } from 'typeorm';
import { Organization } from '../../schema/accounts/organization.entity';
import { createByIdLoader } from '../common/by-id.loader';

/** Organisations by id, one query per tick; `null` for unknown ids. */
export function createOrganizationByIdLoader(dataSource: DataSource) {
  return createByIdLoader(dataSource, Organization);
}
