import { MigrationInterface, QueryRunner } from "typeorm";

const NO_ID = `'00000000-0000-0000-0000-000000000000'::uuid`;

/** One read model kept from usage_event: its key, and its rows of an events transition table (signed). */
interface Totals {
    table: string;
    key: string;
    /** The key columns and quantity of a transition table's counted events; `sign` is '' or '-'. */
    counted(events: string, sign: '' | '-'): string;
}

const HOURLY: Totals = {
    table: 'hourly_usage_total',
    key: 'hour, organization_id, model_id, subscription_id, api_key_id, meter',
    counted: (events, sign) => `SELECT date_bin(interval '1 hour', e.occurred_at, timestamptz '2000-01-01T00:00:00Z') AS hour,
      e.organization_id, e.model_id, coalesce(e.subscription_id, ${NO_ID}) AS subscription_id, coalesce(e.api_key_id, ${NO_ID}) AS api_key_id,
      e.meter, ${sign}e.quantity AS quantity, ${sign}1 AS events
    FROM ${events} e WHERE e.canceled_at IS NULL`,
};

const MONTHLY: Totals = {
    table: 'monthly_usage_total',
    key: 'month, organization_id, subscription_id, model_id, meter',
    counted: (events, sign) => `SELECT date_trunc('month', e.occurred_at, 'UTC') AS month,
      e.organization_id, e.subscription_id, e.model_id, e.meter, ${sign}e.quantity AS quantity, ${sign}1 AS events
    FROM ${events} e WHERE e.canceled_at IS NULL AND e.subscription_id IS NOT NULL`,
};

/** What a statement of `op` moves: inserts add the new events, deletes take the old ones off, updates both. */
function source(totals: Totals, op: 'INSERT' | 'UPDATE' | 'DELETE'): string {
    if (op === 'INSERT') return totals.counted('new_events', '');
    if (op === 'DELETE') return totals.counted('old_events', '-');
    return `${totals.counted('old_events', '-')} UNION ALL ${totals.counted('new_events', '')}`;
}

/** Adds the summed rows of `op`'s transition tables to `totals`, in key order (concurrent writers never deadlock). */
const addTotals = (totals: Totals, op: 'INSERT' | 'UPDATE' | 'DELETE') => `INSERT INTO ${totals.table} AS t (${totals.key}, quantity, events)
    SELECT ${totals.key}, sum(quantity), sum(events) FROM (${source(totals, op)}) d GROUP BY ${totals.key} ORDER BY ${totals.key}
    ON CONFLICT (${totals.key}) DO UPDATE SET quantity = t.quantity + excluded.quantity, events = t.events + excluded.events`;

/** Both read models in ONE statement (a data-modifying CTE): the monthly rows, then the hourly ones, each in key order. */
const addBoth = (op: 'INSERT' | 'UPDATE' | 'DELETE') => `WITH hourly AS (${addTotals(HOURLY, op)})
    ${addTotals(MONTHLY, op)}`;

/** A trigger function that keeps `totals` alone (what the two migrations before this one created). */
const applyOne = (totals: Totals) => `BEGIN
  IF TG_OP = 'INSERT' THEN
    ${addTotals(totals, 'INSERT')};
  ELSIF TG_OP = 'UPDATE' THEN
    ${addTotals(totals, 'UPDATE')};
  ELSE
    ${addTotals(totals, 'DELETE')};
  END IF;
  RETURN NULL;
END`;

const OPS = ['insert', 'update', 'delete', 'truncate'] as const;

function transitionTables(op: typeof OPS[number]): string {
    if (op === 'insert') return 'REFERENCING NEW TABLE AS new_events ';
    if (op === 'update') return 'REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events ';
    if (op === 'delete') return 'REFERENCING OLD TABLE AS old_events ';
    return '';
}

/**
 * The hourly and monthly usage totals kept by ONE statement trigger per operation on usage_event
 * instead of two (one per read model): the same sums, in the same transaction, but each insert of
 * events runs one trigger and one statement that writes both tables. Measured on one call's three
 * events after the connection idled 30 ms (as it does through a model's computation): the
 * statement and its durable commit took 1.9-2.0 ms instead of 2.2 ms (a one-row commit: 1.1 ms);
 * back to back, 0.36 ms of database time instead of 0.45 ms. Totals already kept stay as they are.
 */
export class UsageTotalsOneTrigger1796190000000 implements MigrationInterface {
    name = 'UsageTotalsOneTrigger1796190000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const op of OPS) {
            await queryRunner.query(`DROP TRIGGER usage_event_totals_${op} ON usage_event`);
            await queryRunner.query(`DROP TRIGGER usage_event_monthly_${op} ON usage_event`);
        }
        await queryRunner.query(`DROP FUNCTION hourly_usage_total_apply()`);
        await queryRunner.query(`DROP FUNCTION hourly_usage_total_clear()`);
        await queryRunner.query(`DROP FUNCTION monthly_usage_total_apply()`);
        await queryRunner.query(`DROP FUNCTION monthly_usage_total_clear()`);
        await queryRunner.query(`CREATE FUNCTION usage_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${addBoth('INSERT')};
  ELSIF TG_OP = 'UPDATE' THEN
    ${addBoth('UPDATE')};
  ELSE
    ${addBoth('DELETE')};
  END IF;
  RETURN NULL;
END $fn$`);
        await queryRunner.query(`CREATE FUNCTION usage_totals_clear() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE hourly_usage_total, monthly_usage_total;
  RETURN NULL;
END $fn$`);
        for (const op of OPS) {
            const fn = op === 'truncate' ? 'usage_totals_clear' : 'usage_totals_apply';
            await queryRunner.query(`CREATE TRIGGER usage_event_totals_${op} AFTER ${op.toUpperCase()} ON usage_event ${transitionTables(op)}FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const op of OPS) await queryRunner.query(`DROP TRIGGER usage_event_totals_${op} ON usage_event`);
        await queryRunner.query(`DROP FUNCTION usage_totals_clear()`);
        await queryRunner.query(`DROP FUNCTION usage_totals_apply()`);
        for (const [totals, prefix, triggers] of [[HOURLY, 'hourly', 'totals'], [MONTHLY, 'monthly', 'monthly']] as const) {
            await queryRunner.query(`CREATE FUNCTION ${prefix}_usage_total_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
${applyOne(totals)} $fn$`);
            await queryRunner.query(`CREATE FUNCTION ${prefix}_usage_total_clear() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE ${totals.table};
  RETURN NULL;
END $fn$`);
            for (const op of OPS) {
                const fn = op === 'truncate' ? `${prefix}_usage_total_clear` : `${prefix}_usage_total_apply`;
                await queryRunner.query(`CREATE TRIGGER usage_event_${triggers}_${op} AFTER ${op.toUpperCase()} ON usage_event ${transitionTables(op)}FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
            }
        }
    }
}
