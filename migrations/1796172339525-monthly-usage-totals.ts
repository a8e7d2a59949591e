import { MigrationInterface, QueryRunner } from "typeorm";

const KEY = 'month, organization_id, subscription_id, model_id, meter';

/** An events transition table as key columns, quantity and event count (signed): counted events that name a subscription. */
const counted = (table: string, sign: '' | '-') => `SELECT date_trunc('month', e.occurred_at, 'UTC') AS month,
      e.organization_id, e.subscription_id, e.model_id, e.meter, ${sign}e.quantity AS quantity, ${sign}1 AS events
    FROM ${table} e WHERE e.canceled_at IS NULL AND e.subscription_id IS NOT NULL`;

/** Adds the summed rows of `source` to the monthly totals, in key order (concurrent writers never deadlock). */
const addTotals = (source: string) => `INSERT INTO monthly_usage_total AS t (${KEY}, quantity, events)
    SELECT ${KEY}, sum(quantity), sum(events) FROM (${source}) d GROUP BY ${KEY} ORDER BY ${KEY}
    ON CONFLICT (${KEY}) DO UPDATE SET quantity = t.quantity + excluded.quantity, events = t.events + excluded.events`;

/**
 * Monthly usage totals (see MonthlyUsageTotal), the read model of billing periods: the table
 * (generated), then by hand what TypeORM cannot describe: statement triggers on usage_event that
 * keep it in step in the same transaction (their own, beside the hourly totals' ones), and the
 * totals of the events already there. Also the planner's statistics of how many distinct
 * (organisation, subscription, model, meter) keys the events hold: without them it guesses a
 * hundred times too many groups and sorts a period's events to disk instead of hashing them
 * (reconciliation and split plan windows still aggregate events).
 */
export class MonthlyUsageTotals1796172339525 implements MigrationInterface {
    name = 'MonthlyUsageTotals1796172339525'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "monthly_usage_total" ("month" TIMESTAMP WITH TIME ZONE NOT NULL, "organization_id" uuid NOT NULL, "subscription_id" uuid NOT NULL, "model_id" uuid NOT NULL, "meter" text NOT NULL, "quantity" bigint NOT NULL, "events" integer NOT NULL, CONSTRAINT "PK_7874019d3de0c1c404e16e0aac1" PRIMARY KEY ("month", "organization_id", "subscription_id", "model_id", "meter"))`);
        await queryRunner.query(`CREATE FUNCTION monthly_usage_total_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${addTotals(counted('new_events', ''))};
  ELSIF TG_OP = 'UPDATE' THEN
    ${addTotals(`${counted('old_events', '-')} UNION ALL ${counted('new_events', '')}`)};
  ELSE
    ${addTotals(counted('old_events', '-'))};
  END IF;
  RETURN NULL;
END $fn$`);
        await queryRunner.query(`CREATE FUNCTION monthly_usage_total_clear() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE monthly_usage_total;
  RETURN NULL;
END $fn$`);
        await queryRunner.query(`CREATE TRIGGER usage_event_monthly_insert AFTER INSERT ON usage_event REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION monthly_usage_total_apply()`);
        await queryRunner.query(`CREATE TRIGGER usage_event_monthly_update AFTER UPDATE ON usage_event REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION monthly_usage_total_apply()`);
        await queryRunner.query(`CREATE TRIGGER usage_event_monthly_delete AFTER DELETE ON usage_event REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION monthly_usage_total_apply()`);
        await queryRunner.query(`CREATE TRIGGER usage_event_monthly_truncate AFTER TRUNCATE ON usage_event FOR EACH STATEMENT EXECUTE FUNCTION monthly_usage_total_clear()`);
        await queryRunner.query(addTotals(counted('usage_event', '')));
        await queryRunner.query(`CREATE STATISTICS usage_event_billing_keys (ndistinct) ON organization_id, subscription_id, model_id, meter FROM usage_event`);
        await queryRunner.query(`ANALYZE usage_event`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP STATISTICS usage_event_billing_keys`);
        for (const trigger of ['insert', 'update', 'delete', 'truncate']) await queryRunner.query(`DROP TRIGGER usage_event_monthly_${trigger} ON usage_event`);
        await queryRunner.query(`DROP FUNCTION monthly_usage_total_clear()`);
        await queryRunner.query(`DROP FUNCTION monthly_usage_total_apply()`);
        await queryRunner.query(`DROP TABLE "monthly_usage_total"`);
    }
}
