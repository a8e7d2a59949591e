import { MigrationInterface, QueryRunner } from "typeorm";

const NO_ID = `'00000000-0000-0000-0000-000000000000'::uuid`;
const KEY = 'hour, organization_id, model_id, subscription_id, api_key_id, meter';

/** An events transition table as key columns, quantity and event count (signed), counted events only. */
const counted = (table: string, sign: '' | '-') => `SELECT date_bin(interval '1 hour', e.occurred_at, timestamptz '2000-01-01T00:00:00Z') AS hour,
      e.organization_id, e.model_id, coalesce(e.subscription_id, ${NO_ID}) AS subscription_id, coalesce(e.api_key_id, ${NO_ID}) AS api_key_id,
      e.meter, ${sign}e.quantity AS quantity, ${sign}1 AS events
    FROM ${table} e WHERE e.canceled_at IS NULL`;

/** Adds the summed rows of `source` to the hourly totals, in key order (concurrent writers never deadlock). */
const addTotals = (source: string) => `INSERT INTO hourly_usage_total AS t (${KEY}, quantity, events)
    SELECT ${KEY}, sum(quantity), sum(events) FROM (${source}) d GROUP BY ${KEY} ORDER BY ${KEY}
    ON CONFLICT (${KEY}) DO UPDATE SET quantity = t.quantity + excluded.quantity, events = t.events + excluded.events`;

/**
 * Hourly usage totals (see HourlyUsageTotal): the table (generated), then by hand what TypeORM
 * cannot describe: statement triggers on usage_event that keep it in step in the same
 * transaction (inserts add, updates move the difference, deletes subtract, TRUNCATE clears),
 * and the totals of the events already there.
 */
export class HourlyUsageTotals1795896260059 implements MigrationInterface {
    name = 'HourlyUsageTotals1795896260059'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "hourly_usage_total" ("hour" TIMESTAMP WITH TIME ZONE NOT NULL, "organization_id" uuid NOT NULL, "model_id" uuid NOT NULL, "subscription_id" uuid NOT NULL, "api_key_id" uuid NOT NULL, "meter" text NOT NULL, "quantity" bigint NOT NULL, "events" integer NOT NULL, CONSTRAINT "PK_df10dcc13238d5bf35762c29366" PRIMARY KEY ("hour", "organization_id", "model_id", "subscription_id", "api_key_id", "meter"))`);
        await queryRunner.query(`CREATE INDEX "IDX_93a91fa2e40350cf0ddb68a57a" ON "hourly_usage_total" ("model_id", "hour") `);
        await queryRunner.query(`CREATE INDEX "IDX_a0a90b73aab85001b22ef3a75a" ON "hourly_usage_total" ("organization_id", "hour") `);
        await queryRunner.query(`CREATE FUNCTION hourly_usage_total_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
        await queryRunner.query(`CREATE FUNCTION hourly_usage_total_clear() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE hourly_usage_total;
  RETURN NULL;
END $fn$`);
        await queryRunner.query(`CREATE TRIGGER usage_event_totals_insert AFTER INSERT ON usage_event REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION hourly_usage_total_apply()`);
        await queryRunner.query(`CREATE TRIGGER usage_event_totals_update AFTER UPDATE ON usage_event REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION hourly_usage_total_apply()`);
        await queryRunner.query(`CREATE TRIGGER usage_event_totals_delete AFTER DELETE ON usage_event REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION hourly_usage_total_apply()`);
        await queryRunner.query(`CREATE TRIGGER usage_event_totals_truncate AFTER TRUNCATE ON usage_event FOR EACH STATEMENT EXECUTE FUNCTION hourly_usage_total_clear()`);
        await queryRunner.query(addTotals(counted('usage_event', '')));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const trigger of ['insert', 'update', 'delete', 'truncate']) await queryRunner.query(`DROP TRIGGER usage_event_totals_${trigger} ON usage_event`);
        await queryRunner.query(`DROP FUNCTION hourly_usage_total_clear()`);
        await queryRunner.query(`DROP FUNCTION hourly_usage_total_apply()`);
        await queryRunner.query(`DROP INDEX "public"."IDX_a0a90b73aab85001b22ef3a75a"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_93a91fa2e40350cf0ddb68a57a"`);
        await queryRunner.query(`DROP TABLE "hourly_usage_total"`);
    }
}
