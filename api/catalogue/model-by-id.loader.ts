import { DataSource } from 'typeorm';
import { Model } from '../../schema/catalogue/model.entity';
import { createByIdLoader } from '../common/by-id.loader';

/** Models by id, one query per tick; `null` for unknown ids. Callers check visibility. */
export function createModelByIdLoader(dataSource: DataSource) {
  return createByIdLoader(dataSource, Model);
}
