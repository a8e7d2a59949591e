import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createDataSource } from '../migrations/data-source';
import { NO_ID } from '../schema/metering/hourly-usage-total.entity';
import { createDatabaseOn } from '../test/support/test-database';
import { percentile, type BenchRow, type BenchSuite } from './bench-suite';

// What the database charges for the shapes a call's usage could be written in, on PostgreSQL
// (BENCH_DATABASE_URL; a fresh database is created, migrated and dropped): the recorder's
// statement on usage_event as it is (three event rows, five indexes, the totals trigger); the
// same rows without the trigger, or writing its pending totals itself (in a CTE), or each row
// carrying its inserting transaction's id, indexed (so that a roll-up could take the events that
// committed below a watermark, with no pending table to write); the same rows without the
// secondary indexes; and ONE row per call carrying all its meters. Each measured two ways: a lone
// call after the connection idled 30 ms (what one caller waits for, next to a one-row durable
// commit), and back to back in statements of 4, 16 and 64 calls (database time per call at
// saturation, where group commit batches calls).

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const METERS = ['REQUESTS', 'INPUT_TOKENS', 'COMPUTE_MS'];
const BATCHES = [4, 16, 64];
const CALLS_PER_BATCH_SIZE = 3200;

const median = (values: number[]) => percentile(values, 50);
const literal = (values: Array<string | null>) => `{${values.map((v) => (v === null ? 'NULL' : `"${v}"`)).join(',')}}`;
const columnsOf = (rows: string[][]) => rows[0].map((_, i) => literal(rows.map((r) => r[i])));

/** The recorder's generated-key statement (usage-recorder.ts insertEvents), into `table`. */
function eventsSql(table: string): string {
  const cols: Array<[string, string]> = [['organization_id', 'uuid'], ['subscription_id', 'uuid'], ['api_key_id', 'uuid'], ['model_id', 'uuid'], ['model_version_id', 'uuid'],
    ['occurred_at', 'timestamptz'], ['idempotency_key', 'text'], ...METERS.flatMap((_, i): Array<[string, string]> => [[`q${i}`, 'bigint'], [`id${i}`, 'uuid']])];
  const events = METERS.map((meter, i) => `('${meter}', c.q${i}, c.id${i})`).join(', ');
  return `INSERT INTO ${table} (organization_id, subscription_id, api_key_id, model_id, model_version_id, occurred_at, idempotency_key, meter, quantity, id)
    SELECT c.organization_id, c.subscription_id, c.api_key_id, c.model_id, c.model_version_id, c.occurred_at, c.idempotency_key, e.meter, e.quantity, e.id
    FROM unnest(${cols.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS c(${cols.map(([name]) => name).join(', ')})
    CROSS JOIN LATERAL (VALUES ${events}) AS e(meter, quantity, id) WHERE e.quantity > 0`;
}

/**
 * The recorder's statement into `table` (no trigger), adding its events to usage_total_pending
 * itself in a CTE, as the totals trigger does: summed per hourly key (`grouped`), or a pending
 * row an event (the roll-up sums them later).
 */
function eventsWithPendingSql(table: string, grouped: boolean): string {
  const hourly = `date_bin(interval '1 hour', i.occurred_at, timestamptz '2000-01-01T00:00:00Z'), i.organization_id, i.model_id, coalesce(i.subscription_id, '${NO_ID}'::uuid), coalesce(i.api_key_id, '${NO_ID}'::uuid), i.meter`;
  return `WITH i AS (${eventsSql(table)} RETURNING occurred_at, organization_id, model_id, subscription_id, api_key_id, meter, quantity)
    INSERT INTO usage_total_pending (hour, organization_id, model_id, subscription_id, api_key_id, meter, quantity, events)
    SELECT ${hourly}, ${grouped ? 'sum(i.quantity), count(*) FROM i GROUP BY 1, 2, 3, 4, 5, 6' : 'i.quantity, 1 FROM i'}`;
}

const CALL_COLUMNS = 'organization_id, subscription_id, api_key_id, model_id, model_version_id, occurred_at, idempotency_key, requests, input_tokens, compute_ms, id';
const callRowsSql = (table: string) => `INSERT INTO ${table} (${CALL_COLUMNS})
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::timestamptz[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::uuid[])`;

async function run(): Promise<{ title: string; rows: BenchRow[]; notes: string[]; result: Record<string, unknown> }> {
  const database = await createDatabaseOn(SERVER_URL, `bench_statements_${process.pid}`);
  const migrated = createDataSource({ databaseUrl: database.url, poolSize: 1 });
  await migrated.initialize();
  await migrated.runMigrations({ transaction: 'each' });
  await migrated.destroy();
  const pool = new Pool({ connectionString: database.url, max: 1 });
  try {
    await pool.query('CREATE TABLE probe (x int)');
    await pool.query('CREATE TABLE events_no_trigger (LIKE usage_event INCLUDING ALL)');
    await pool.query('CREATE TABLE events_pk_only (LIKE usage_event INCLUDING DEFAULTS); ALTER TABLE events_pk_only ADD PRIMARY KEY (organization_id, meter, idempotency_key)');
    await pool.query(`CREATE TABLE events_xact (LIKE usage_event INCLUDING ALL); ALTER TABLE events_xact ADD COLUMN xact xid8 NOT NULL DEFAULT pg_current_xact_id();
      CREATE INDEX ON events_xact (xact)`);
    await pool.query(`CREATE TABLE call_row (id uuid NOT NULL, organization_id uuid NOT NULL, subscription_id uuid, api_key_id uuid, model_id uuid NOT NULL, model_version_id uuid,
      occurred_at timestamptz(3) NOT NULL, idempotency_key text NOT NULL, requests bigint, input_tokens bigint, compute_ms bigint,
      created_at timestamptz(3) NOT NULL DEFAULT now(), PRIMARY KEY (organization_id, idempotency_key));
      CREATE UNIQUE INDEX ON call_row (id); CREATE INDEX ON call_row (organization_id, occurred_at); CREATE INDEX ON call_row (model_id, occurred_at);
      CREATE INDEX ON call_row USING brin (occurred_at)`);
    await pool.query('CREATE TABLE call_row_pk_only (LIKE call_row INCLUDING DEFAULTS); ALTER TABLE call_row_pk_only ADD PRIMARY KEY (organization_id, idempotency_key)');
    const org = randomUUID();
    const model = randomUUID();
    const eventRows = (n: number) => columnsOf(Array.from({ length: n }, () =>
      [org, org, org, model, model, new Date().toISOString(), `~${uuidv7()}`, '1', uuidv7(), '17', uuidv7(), '2', uuidv7()]));
    const callRows = (n: number) => columnsOf(Array.from({ length: n }, () =>
      [org, org, org, model, model, new Date().toISOString(), `~${uuidv7()}`, '1', '17', '2', uuidv7()]));
    const variants: Array<{ name: string; measure: string; write(n: number): Promise<unknown> }> = [
      { name: 'events', measure: 'usage_event as it is: 3 event rows, 5 indexes, totals trigger', write: (n) => pool.query({ name: 'events', text: eventsSql('usage_event'), values: eventRows(n) }) },
      { name: 'events_no_trigger', measure: '  same rows and indexes, no totals trigger', write: (n) => pool.query({ name: 'events_nt', text: eventsSql('events_no_trigger'), values: eventRows(n) }) },
      { name: 'events_own_pending', measure: '  same, the statement adds its pending totals (a CTE), no trigger', write: (n) => pool.query({ name: 'events_op', text: eventsWithPendingSql('events_no_trigger', true), values: eventRows(n) }) },
      { name: 'events_own_pending_rows', measure: '  same, a pending row an event (no GROUP BY), no trigger', write: (n) => pool.query({ name: 'events_opr', text: eventsWithPendingSql('events_no_trigger', false), values: eventRows(n) }) },
      { name: 'events_xact', measure: '  same, each row its inserting transaction (xid8 default, indexed), no trigger', write: (n) => pool.query({ name: 'events_xact', text: eventsSql('events_xact'), values: eventRows(n) }) },
      { name: 'events_pk_only', measure: '  same rows, primary key only, no trigger', write: (n) => pool.query({ name: 'events_pk', text: eventsSql('events_pk_only'), values: eventRows(n) }) },
      { name: 'call_row', measure: 'one row per call (all meters), the same 5 indexes, no trigger', write: (n) => pool.query({ name: 'call_row', text: callRowsSql('call_row'), values: callRows(n) }) },
      { name: 'call_row_pk_only', measure: '  same, primary key only', write: (n) => pool.query({ name: 'call_row_pk', text: callRowsSql('call_row_pk_only'), values: callRows(n) }) },
    ];
    const probe = () => pool.query({ name: 'probe', text: 'INSERT INTO probe VALUES (1)' });
    for (const v of variants) await v.write(1);
    await probe();
    // NOTE: interleaved, so a burst of load elsewhere on the machine falls on every variant.
    const idle = new Map<string, number[]>([['probe', []], ...variants.map((v): [string, number[]] => [v.name, []])]);
    for (let i = 0; i < 60; i++) {
      for (const [name, write] of [['probe', probe] as const, ...variants.map((v) => [v.name, () => v.write(1)] as const)]) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        const t0 = performance.now();
        await write();
        idle.get(name)!.push(performance.now() - t0);
      }
    }
    const perCall = new Map<string, number>();
    for (const n of BATCHES) {
      const rounds = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      for (let r = 0; r < 3; r++) {
        for (const v of variants) {
          const t0 = performance.now();
          for (let i = 0; i < CALLS_PER_BATCH_SIZE / n; i++) await v.write(n);
          rounds.get(v.name)!.push(((performance.now() - t0) * 1000) / CALLS_PER_BATCH_SIZE);
        }
      }
      for (const v of variants) perCall.set(`${v.name}@${n}`, median(rounds.get(v.name)!));
    }
    const probeMs = median(idle.get('probe')!);
    const rows: BenchRow[] = [{ measure: 'floor: one-row durable commit (no index)', 'lone call ms': probeMs }];
    const result: Record<string, unknown> = { probe_after_idle_ms: Number(probeMs.toFixed(3)) };
    for (const v of variants) {
      const lone = median(idle.get(v.name)!);
      const row: BenchRow = { measure: v.measure, 'lone call ms': lone, 'over floor ms': lone - probeMs };
      result[`${v.name}_after_idle_ms`] = Number(lone.toFixed(3));
      for (const n of BATCHES) {
        row[`us/call @${n}`] = perCall.get(`${v.name}@${n}`)!;
        result[`${v.name}_us_per_call_at_${n}`] = Number(perCall.get(`${v.name}@${n}`)!.toFixed(1));
      }
      rows.push(row);
    }
    return {
      title: `Metering statements: PostgreSQL ${SERVER_URL.replace(/\/[^/]*$/, '')}, one connection; lone calls after 30 ms idle (p50 of 60, interleaved), back to back (median of 3 rounds of ${CALLS_PER_BATCH_SIZE} calls)`,
      rows,
      notes: ['\nevent rows carry the recorder\'s event ids and meters; the one-row shape has a quantity column per meter and one id; tables other than usage_event are copies made for this suite.'],
      result,
    };
  } finally {
    await pool.end();
    await database.drop();
  }
}

/** The statement-cost suite for `npm run bench -- metering-statements`. */
export const benchSuite: BenchSuite = {
  name: 'metering-statements',
  description: 'What PostgreSQL charges per call for each shape of usage write: event rows with and without trigger and indexes, one row per call',
  run,
};
