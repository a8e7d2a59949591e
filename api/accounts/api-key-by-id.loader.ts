import { DataSource } from 'typeorm';
import { ApiKey } from '../../schema/accounts/api-key.entity';
import { createByIdLoader } from '../common/by-id.loader';

/** API keys by id, one query per tick; `null` for unknown ids. Callers check visibility. */
export function createApiKeyByIdLoader(dataSource: DataSource) {
  return createByIdLoader(dataSource, ApiKey);
}
