import { MigrationInterface, QueryRunner } from "typeorm";

const NO_ID = `'00000000-0000-0000-0000-000000000000'::uuid`;

// NOTE: the read models' SQL as the usage-totals-one-trigger migration wrote it (migrations are
// frozen, so it is repeated here rather than shared).

interface Totals {
    table: string;
    key: string;
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

function source(totals: Totals, op: 'INSERT' | 'UPDATE' | 'DELETE'): string {
    if (op === 'INSERT') return totals.counted('new_events', '');
    if (op === 'DELETE') return totals.counted('old_events', '-');
    return `${totals.counted('old_events', '-')} UNION ALL ${totals.counted('new_events', '')}`;
}

/** Adds the summed rows of `rows` (a query of the key columns, quantity and events) to `totals`, in key order. */
const addRows = (totals: Totals, rows: string) => `INSERT INTO ${totals.table} AS t (${totals.key}, quantity, events)
    SELECT ${totals.key}, sum(quantity), sum(events) FROM (${rows}) d GROUP BY ${totals.key} ORDER BY ${totals.key}
    ON CONFLICT (${totals.key}) DO UPDATE SET quantity = t.quantity + excluded.quantity, events = t.events + excluded.events`;

/** Both read models from `op`'s transition tables, in one statement (hourly in the CTE, as the landed trigger does). */
const addBoth = (op: 'INSERT' | 'UPDATE' | 'DELETE') => `WITH hourly AS (${addRows(HOURLY, source(HOURLY, op))})
    ${addRows(MONTHLY, source(MONTHLY, op))}`;

/** The hourly key of an inserted statement's counted events, summed (what usage_total_pending holds). */
const PENDING_OF_INSERT = `INSERT INTO usage_total_pending (hour, organization_id, model_id, subscription_id, api_key_id, meter, quantity, events)
    SELECT date_bin(interval '1 hour', e.occurred_at, timestamptz '2000-01-01T00:00:00Z'), e.organization_id, e.model_id,
      coalesce(e.subscription_id, ${NO_ID}), coalesce(e.api_key_id, ${NO_ID}), e.meter, sum(e.quantity), count(*)
    FROM new_events e WHERE e.canceled_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6`;

/** Serialises roll-ups (the periodic one and a correction's), so two never wait on each other's rows. */
const ROLL_LOCK = 7_305_590_411;

/** Moves every pending row into both read models: one statement, so a reader sees each row in exactly one place. */
const ROLL = `WITH moved AS (DELETE FROM usage_total_pending RETURNING *),
    hourly AS (${addRows(HOURLY, `SELECT hour, organization_id, model_id, subscription_id, api_key_id, meter, quantity, events FROM moved`)})
    ${addRows(MONTHLY, `SELECT date_trunc('month', hour, 'UTC') AS month, organization_id, subscription_id, model_id, meter, quantity, events
      FROM moved WHERE subscription_id <> ${NO_ID}`)}`;

/** usage_event's TRUNCATE trigger function: empties `tables` (the read models kept from the events). */
const clearTotals = (tables: string) => `CREATE OR REPLACE FUNCTION usage_totals_clear() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE ${tables};
  RETURN NULL;
END $fn$`;

/**
 * The usage totals' inserts off the commit path: a statement that inserts usage events no longer
 * adds them to the hourly and monthly totals (two upserts with a sort each, about half of what
 * one call's usage commit cost the database beyond a one-row commit: +0.90 ms -> +0.45 ms after
 * 30 ms idle, see `npm run bench -- metering-statements`); its trigger appends the statement's
 * sums per hourly key to usage_total_pending, a table without indexes, and usage_totals_roll()
 * moves them into both read models later (the recorder calls it about a second after it wrote).
 *
 * Readers stay exact: a reader of the totals adds the pending rows of its window (countedUsageRows,
 * BilledUsageQuery), and the roll-up deletes the rows it adds in the same statement, so a
 * statement's snapshot sees each event's quantity once, in the totals or pending. Updates
 * (cancellations), deletes and TRUNCATE keep their statement triggers; an update or delete rolls
 * the pending rows up first, so the totals it subtracts from already hold what it subtracts (a
 * totals row never goes below what its events sum to, and readers may skip rows without events).
 */
export class UsageTotalsPending1796200000000 implements MigrationInterface {
    name = 'UsageTotalsPending1796200000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE usage_total_pending (hour timestamptz NOT NULL, organization_id uuid NOT NULL, model_id uuid NOT NULL,
            subscription_id uuid NOT NULL, api_key_id uuid NOT NULL, meter text NOT NULL, quantity bigint NOT NULL, events integer NOT NULL)`);
        await queryRunner.query(`CREATE FUNCTION usage_totals_roll() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(${ROLL_LOCK});
  ${ROLL};
END $fn$`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION usage_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${PENDING_OF_INSERT};
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM usage_totals_roll();
    ${addBoth('UPDATE')};
  ELSE
    PERFORM usage_totals_roll();
    ${addBoth('DELETE')};
  END IF;
  RETURN NULL;
END $fn$`);
        await queryRunner.query(clearTotals('hourly_usage_total, monthly_usage_total, usage_total_pending'));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`SELECT usage_totals_roll()`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION usage_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
        await queryRunner.query(clearTotals('hourly_usage_total, monthly_usage_total'));
        await queryRunner.query(`DROP FUNCTION usage_totals_roll()`);
        await queryRunner.query(`DROP TABLE usage_total_pending`);
    }
}
