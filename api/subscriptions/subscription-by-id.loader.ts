import { DataSource } from 'typeorm';
import { Subscription } from '../../schema/subscriptions/subscription.entity';
import { createByIdLoader } from '../common/by-id.loader';

/** Subscriptions by id, one query per tick; `null` for unknown ids. Callers check visibility. */
export function createSubscriptionByIdLoader(dataSource: DataSource) {
  return createByIdLoader(dataSource, Subscription);
}
