import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { isEmbedded } from '../../migrations/data-source';
import { Meter } from '../../schema/metering/meter.enum';
import { v7 as uuidv7 } from 'uuid';

/** One metered quantity of a call. */
export interface UsageLine {
  meter: Meter;
  quantity: bigint;
}

/** A call to meter: who, what, when, and the idempotency key its events are unique by. */
export interface MeteredCall {
  organizationId: string;
  subscriptionId: string | null;
  apiKeyId: string | null;
  modelId: string;
  modelVersionId: string | null;
  occurredAt: Date;
  /** The caller's requestId, or a key the server generated (never repeats). */
  idempotencyKey: string;
  /** Zero quantities are not written. */
  usage: UsageLine[];
  /** For calls that carried a requestId: the answer to give a retry (same statement as the events). */
  stored?: { requestHash: string; response: Record<string, unknown> };
}

/** What was kept for an idempotency key by an earlier call. */
export interface StoredAnswer {
  requestHash: string;
  response: Record<string, unknown>;
}

/** `recorded`: this call's events are committed. Otherwise an earlier call with the key was. */
export type RecordOutcome = { recorded: true } | { recorded: false; existing: StoredAnswer | null };

/** The recorder's contract; the server swaps in {@link UnmeteredRecorder} for benchmarks only. */
export interface UsageSink {
  record(call: MeteredCall): Promise<RecordOutcome>;
  findStored(organizationId: string, idempotencyKey: string): Promise<StoredAnswer | null>;
  stop(): Promise<void>;
}

export interface UsageRecorderOptions {
  /** Most events per INSERT (default 1000). */
  maxBatchEvents: number;
  /** Flushes in flight at once (default 4 of the pool's 10 connections; 1 on the embedded single-connection database). */
  maxConcurrentFlushes: number;
  /**
   * Least time between the starts of two flushes (default 0), unless a full batch is waiting.
   * With a value, calls under load gather for that long into one statement (less database work
   * per call, more waiting); a lone call never waits, as its previous flush started longer ago.
   */
  minFlushIntervalMs?: number;
  /** Told once per failed statement (its calls all fail with the error). */
  onFlushFailed?: (error: unknown, calls: number) => void;
  /** Told after every flush, committed or not: events in it and seconds from start to commit (metrics). */
  onFlushed?: (events: number, seconds: number) => void;
  /** How long after a write the pending usage totals are rolled up (default 1000 ms; see rollUpTotals). */
  rollTotalsAfterMs?: number;
  /** Told when a roll-up of the usage totals failed (the next write schedules another; readers stay exact meanwhile). */
  onRollFailed?: (error: unknown) => void;
}

/** Runs a statement and returns its rows; on PostgreSQL as a named (prepared once per connection) statement. */
interface SqlRunner {
  run(name: string, text: string, values: unknown[]): Promise<any[]>;
  /** Hands back what the runner holds (before the data source closes). */
  release(): void;
}

/**
 * The flushes' connections on PostgreSQL, from the data source's pool. ONE is kept between
 * flushes, so that a lone call's statement is written to the socket in the call that starts it.
 * NOTE: `pool.query` hands over an idle connection only on a later tick (pg-pool's
 * process.nextTick), after the rest of the answer's synchronous work, so the commit could not
 * overlap it. Flushes beside it (under load) take and give back pooled ones: keeping one per
 * flush in flight starved the pool's other users (4 of a pool of 4 in the benchmark). A
 * connection that fails a statement is dropped, not kept. The hot statements skip TypeORM's
 * query runner and are prepared once per connection.
 */
class HeldConnections implements SqlRunner {
  /** The kept connection, while no flush uses it. */
  private kept?: PoolClient;
  private readonly watched = new WeakSet<PoolClient>();
  /** Whether one is kept: not from a pool of one, whose other users would wait for it forever. */
  private keep: boolean;

  constructor(private readonly pool: Pool) {
    this.keep = (pool.options.max ?? 10) >= 2;
  }

  async run(name: string, text: string, values: unknown[]): Promise<any[]> {
    // NOTE: taken before any await: a flush that connects meanwhile must not drop one kept since.
    const kept = this.kept;
    this.kept = undefined;
    const client = kept ?? (await this.connect());
    let result;
    try {
      result = await client.query({ name, text, values });
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    if (this.keep && !this.kept) this.kept = client;
    else client.release();
    return result.rows;
  }

  /** Hands the kept connection back; later flushes give theirs back after their statements. */
  release(): void {
    this.keep = false;
    this.kept?.release();
    this.kept = undefined;
  }

  private async connect(): Promise<PoolClient> {
    const client = await this.pool.connect();
    if (!this.watched.has(client)) {
      this.watched.add(client);
      // NOTE: a held connection has no pool listener; one the server cuts while it is held emits
      // 'error' (unheard, that would end the process). A statement in flight fails on its own.
      client.on('error', () => {
        if (this.kept !== client) return;
        this.kept = undefined;
        client.release(true);
      });
    }
    return client;
  }
}

function sqlRunner(dataSource: DataSource): SqlRunner {
  if (isEmbedded(dataSource)) return { run: (_name, text, values) => dataSource.query(text, values), release: () => undefined };
  return new HeldConnections((dataSource.driver as unknown as { master: Pool }).master);
}

/** The recorder's production settings (also what the metering benchmark measures). */
export function defaultRecorderOptions(embedded: boolean, onFlushFailed?: UsageRecorderOptions['onFlushFailed']): UsageRecorderOptions {
  return { maxBatchEvents: 1000, maxConcurrentFlushes: embedded ? 1 : 4, minFlushIntervalMs: 0, onFlushFailed };
}

interface Pending {
  call: MeteredCall;
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/** Every meter, in a fixed order: each has its quantity and event-id columns in a call row. */
const METERS = Object.values(Meter);

type Column = [name: string, type: string];

/** A call row: who, when, idempotency key, then a quantity and an event id per meter. */
const CALL_COLUMNS: Column[] = [
  ['organization_id', 'uuid'], ['subscription_id', 'uuid'], ['api_key_id', 'uuid'], ['model_id', 'uuid'], ['model_version_id', 'uuid'],
  ['occurred_at', 'timestamptz'], ['idempotency_key', 'text'],
  ...METERS.flatMap((_, i): Column[] => [[`q${i}`, 'bigint'], [`id${i}`, 'uuid']]),
];

/**
 * INSERT of the events of a batch given as ONE unnest row per call ($1... in `columns` order),
 * expanded into an event per non-zero quantity by the lateral VALUES: a call's shared values
 * travel and are parsed once instead of once per event. Ends in its WHERE, for callers to extend.
 */
function insertEvents(columns: Column[]): string {
  const params = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const events = METERS.map((meter, i) => `('${meter}', c.q${i}, c.id${i})`).join(', ');
  return `INSERT INTO usage_event (organization_id, subscription_id, api_key_id, model_id, model_version_id, occurred_at, idempotency_key, meter, quantity, id)
    SELECT c.organization_id, c.subscription_id, c.api_key_id, c.model_id, c.model_version_id, c.occurred_at, c.idempotency_key, e.meter, e.quantity, e.id
    FROM unnest(${params}) AS c(${columns.map(([name]) => name).join(', ')})
    CROSS JOIN LATERAL (VALUES ${events}) AS e(meter, quantity, id)
    WHERE e.quantity > 0`;
}

/**
 * Events of calls whose keys the server generated (and nothing else): a plain INSERT. The
 * primary key still refuses a duplicate, but none can arise (generated keys never repeat), so
 * the speculative insertion of ON CONFLICT (about a fifth of PostgreSQL's work per event) is skipped.
 */
const INSERT_GENERATED_SQL = insertEvents(CALL_COLUMNS);

/** The answers' four unnest parameters follow the call columns and their `stores_answer` flag. */
const FIRST_ANSWER_PARAM = CALL_COLUMNS.length + 2;

/**
 * Stored answers and events in one statement, so both commit or neither does. A call that
 * stores an answer writes its events only if its answer is new: a retry adds no usage, not even
 * of a meter the first call had no quantity for.
 */
const INSERT_EVENTS_AND_ANSWERS_SQL = `WITH answers AS (INSERT INTO stored_response (organization_id, idempotency_key, request_hash, response)
    SELECT * FROM unnest($${FIRST_ANSWER_PARAM}::uuid[], $${FIRST_ANSWER_PARAM + 1}::text[], $${FIRST_ANSWER_PARAM + 2}::text[], $${FIRST_ANSWER_PARAM + 3}::jsonb[])
    ON CONFLICT DO NOTHING RETURNING organization_id, idempotency_key),
  events AS (${insertEvents([...CALL_COLUMNS, ['stores_answer', 'boolean']])}
    AND (NOT c.stores_answer OR (c.organization_id, c.idempotency_key) IN (SELECT organization_id, idempotency_key FROM answers))
    ON CONFLICT DO NOTHING)
  SELECT organization_id, idempotency_key FROM answers`;

/** A call's quantity of a meter (0 when it has none). */
const quantityOf = (call: MeteredCall, meter: Meter): bigint => call.usage.find((line) => line.meter === meter)?.quantity ?? 0n;

/**
 * A lone call's INSERT: a row per non-zero meter (the meters named by `mask`, bit i for METERS[i])
 * as plain VALUES ($1-$7 the call's columns, then a quantity and an id per meter). NOTE: a flush
 * of one call (a lone caller: what its latency is made of) took PostgreSQL 0.07-0.08 ms less this
 * way than through unnest's fifteen array literals (measured side by side, prepared, durable).
 */
function insertOneSql(mask: number): string {
  const rows: string[] = [];
  METERS.forEach((meter, i) => {
    if (!(mask & (1 << i))) return;
    const at = 8 + 2 * rows.length;
    rows.push(`($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::timestamptz, $7::text, '${meter}', $${at}::bigint, $${at + 1}::uuid)`);
  });
  return `INSERT INTO usage_event (organization_id, subscription_id, api_key_id, model_id, model_version_id, occurred_at, idempotency_key, meter, quantity, id)
    VALUES ${rows.join(', ')}`;
}

const insertOneStatements = new Map<number, string>();

/** A lone call's statement name, text and values; undefined when it has no quantity to write. */
function insertOne(call: MeteredCall): { name: string; text: string; values: unknown[] } | undefined {
  let mask = 0;
  const values: unknown[] = [call.organizationId, call.subscriptionId, call.apiKeyId, call.modelId, call.modelVersionId, call.occurredAt.toISOString(), call.idempotencyKey];
  METERS.forEach((meter, i) => {
    const quantity = quantityOf(call, meter);
    if (quantity <= 0n) return;
    mask |= 1 << i;
    values.push(quantity.toString(), uuidv7());
  });
  if (mask === 0) return undefined;
  let text = insertOneStatements.get(mask);
  if (!text) insertOneStatements.set(mask, (text = insertOneSql(mask)));
  return { name: `usage_insert_one_${mask}`, text, values };
}

const NEEDS_ESCAPE = /[\\"]/;

/** One element of a PostgreSQL array literal: quoted (so no value can split in two) or NULL. */
function element(value: string | null): string {
  if (value === null) return 'NULL';
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
}

/**
 * A batch as the unnest parameters of {@link insertEvents}: PostgreSQL array literals
 * (`{"a","b",NULL}`), one element per call. (Handing the driver JS arrays cost more CPU than the
 * rest of a flush: it converts and escapes element by element.) Event ids are UUIDv7: they grow
 * with time, so they append to their B-tree index instead of landing on random pages.
 */
function callColumns(calls: MeteredCall[]): string[] {
  const cols: string[][] = CALL_COLUMNS.map(() => []);
  for (const c of calls) {
    const shared = [c.organizationId, c.subscriptionId, c.apiKeyId, c.modelId, c.modelVersionId, c.occurredAt.toISOString(), c.idempotencyKey];
    shared.forEach((value, i) => cols[i].push(element(value)));
    METERS.forEach((meter, i) => {
      const quantity = quantityOf(c, meter);
      cols[shared.length + 2 * i].push(quantity > 0n ? quantity.toString() : 'NULL');
      cols[shared.length + 2 * i + 1].push(quantity > 0n ? uuidv7() : 'NULL');
    });
  }
  return cols.map((col) => `{${col.join(',')}}`);
}

/** Rows a call writes: its non-zero quantities. */
const eventCount = (call: MeteredCall) => call.usage.reduce((n, line) => (line.quantity > 0n ? n + 1 : n), 0);

const keyOf = (organizationId: string, idempotencyKey: string) => `${organizationId}\u0000${idempotencyKey}`;

/** An idempotency key for a call without a requestId: never repeats, cannot clash with a requestId ("~" is not allowed there). */
export function generatedIdempotencyKey(): string {
  return `~${uuidv7()}`;
}

/** Whether the server generated this key (see {@link generatedIdempotencyKey}). */
const isGeneratedKey = (idempotencyKey: string) => idempotencyKey.startsWith('~');

/**
 * Writes usage events with group commit: calls queue up while flushes are in flight, and the
 * next flush writes all of them (up to `maxBatchEvents`) in ONE statement, a multi-row
 * `INSERT ... SELECT ... FROM unnest(...)` of one row per call, expanded into its events,
 * together with the stored answers of calls that carried a requestId. `record` resolves only
 * once that statement has committed, so an answered call is never unbilled; the unique key
 * (organization, meter, idempotency key) and the stored answer make a retried call, on any
 * replica, count once.
 */
export class UsageRecorder implements UsageSink {
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private inFlight = 0;
  private scheduled = false;
  private lastFlushAt = 0;
  private stopping = false;
  private timer?: NodeJS.Timeout;
  private rollTimer?: NodeJS.Timeout;
  private rolling?: Promise<void>;
  private readonly idle: Array<() => void> = [];
  private readonly sql: SqlRunner;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageRecorderOptions,
  ) {
    this.sql = sqlRunner(dataSource);
  }

  /** Queues a call's events; resolves after they committed (or an earlier call's had). */
  record(call: MeteredCall): Promise<RecordOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ call, resolve, reject });
      this.queuedEvents += eventCount(call);
      this.schedule();
    });
  }

  /** The answer stored for an idempotency key, if any. */
  async findStored(organizationId: string, idempotencyKey: string): Promise<StoredAnswer | null> {
    const rows: Array<{ request_hash: string; response: Record<string, unknown> }> = await this.dataSource.query(
      'SELECT request_hash, response FROM stored_response WHERE organization_id = $1 AND idempotency_key = $2',
      [organizationId, idempotencyKey],
    );
    return rows[0] ? { requestHash: rows[0].request_hash, response: rows[0].response } : null;
  }

  /** Deletes stored answers older than `keepDays` (at least 35). Returns how many went. */
  async pruneStoredResponses(keepDays: number): Promise<number> {
    const days = Math.max(35, keepDays);
    const result = await this.dataSource.query(`DELETE FROM stored_response WHERE created_at < now() - make_interval(days => $1::int)`, [days]);
    return (result as unknown[])[1] as number ?? 0;
  }

  /**
   * Moves the usage totals of events inserted since the last roll-up (kept in usage_total_pending by
   * usage_event's insert trigger, off the commit path) into the hourly and monthly totals. Readers
   * are exact without it (they add what is pending); it keeps what they add small.
   */
  async rollUpTotals(): Promise<void> {
    try {
      await this.dataSource.query('SELECT usage_totals_roll()');
    } catch (error) {
      this.options.onRollFailed?.(error);
    }
  }

  /** Writes what is queued, waits for every flush in flight, then rolls the totals up if a write is pending. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pump();
    if (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const scheduled = this.rollTimer !== undefined;
    clearTimeout(this.rollTimer);
    this.rollTimer = undefined;
    await this.rolling;
    if (scheduled) await this.rollUpTotals();
    this.sql.release();
  }

  /** A roll-up of the totals `rollTotalsAfterMs` after the first write since the last one. */
  private scheduleRollUp(): void {
    if (this.rollTimer || this.stopping) return;
    this.rollTimer = setTimeout(() => {
      this.rollTimer = undefined;
      this.rolling = this.rollUpTotals().finally(() => (this.rolling = undefined));
    }, this.options.rollTotalsAfterMs ?? 1000);
    this.rollTimer.unref();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // NOTE: a microtask of grace: the calls of one engine batch (answered in one message, so
    // recording at the same depth of the same turn) share a flush, and its statement still goes
    // out before the rest of their answers' synchronous work (shaping outputs, GraphQL's
    // completion), which then overlaps the commit. A macrotask (setImmediate) waited for all of it.
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * NOTE: the calls recorded in one turn of the event loop go out together at its end (the
   * engine answers a batch's calls in one turn, so a flush carries about one engine batch), up to
   * `maxConcurrentFlushes` in flight, so a call waits for its own commit, not for an earlier
   * flush's as well. On a busy event loop each commit's answer waits its turn behind other I/O,
   * which is most of a call's hold under load. Measured under 32 closed-loop clients, paired
   * runs: 4 in flight with no interval held calls p50 3.6-4.5 ms / p90 5.6-7.7 ms, against
   * 4.0-5.2 / 9.2-10.8 ms for 2 in flight spaced 2 ms, with as many calls per flush (19-20).
   */
  private pump(): void {
    const full = () => this.queuedEvents >= this.options.maxBatchEvents;
    const mayStart = () => this.inFlight < this.options.maxConcurrentFlushes;
    while (this.queue.length > 0 && mayStart()) {
      const wait = this.lastFlushAt + (this.options.minFlushIntervalMs ?? 0) - Date.now();
      if (wait > 0 && !full() && !this.stopping) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const batch = this.takeBatch();
      this.lastFlushAt = Date.now();
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.pump();
        else if (this.inFlight === 0) this.idle.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  private takeBatch(): Pending[] {
    let events = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || events + eventCount(this.queue[n].call) <= this.options.maxBatchEvents)) {
      events += eventCount(this.queue[n].call);
      n++;
    }
    this.queuedEvents -= events;
    return this.queue.splice(0, n);
  }

  private async flush(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const calls = batch.map((p) => p.call);
      if (calls.every((c) => isGeneratedKey(c.idempotencyKey) && !c.stored)) {
        const one = calls.length === 1 ? insertOne(calls[0]) : undefined;
        if (one) await this.sql.run(one.name, one.text, one.values);
        else if (calls.length > 1) await this.sql.run('usage_insert_generated', INSERT_GENERATED_SQL, callColumns(calls));
        batch.forEach((p) => p.resolve({ recorded: true }));
        this.scheduleRollUp();
        return;
      }
      const withAnswers = calls.filter((c) => c.stored);
      const inserted = await this.insertWithAnswers(calls, withAnswers);
      this.scheduleRollUp();
      const existing = await this.findAll(withAnswers.filter((c) => !inserted.has(c)));
      for (const p of batch) {
        if (!p.call.stored || inserted.has(p.call)) p.resolve({ recorded: true });
        else p.resolve({ recorded: false, existing: existing.get(keyOf(p.call.organizationId, p.call.idempotencyKey)) ?? null });
      }
    } catch (error) {
      this.options.onFlushFailed?.(error, batch.length);
      batch.forEach((p) => p.reject(error));
    } finally {
      this.options.onFlushed?.(batch.reduce((n, p) => n + eventCount(p.call), 0), (performance.now() - started) / 1000);
    }
  }

  /** Writes the batch; returns the calls whose answers (and so events) are new. */
  private async insertWithAnswers(calls: MeteredCall[], withAnswers: MeteredCall[]): Promise<Set<MeteredCall>> {
    // NOTE: a key twice in one batch is stored once (the first call's); the other gets that answer.
    // Rows go in key order so that two replicas' flushes never wait on each other in a cycle.
    const firstByKey = new Map<string, MeteredCall>();
    for (const c of withAnswers) {
      const key = keyOf(c.organizationId, c.idempotencyKey);
      if (!firstByKey.has(key)) firstByKey.set(key, c);
    }
    const sorted = [...firstByKey].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, c]) => c);
    const rows = [...calls.filter((c) => !c.stored), ...sorted];
    const answers = [
      sorted.map((c) => c.organizationId), sorted.map((c) => c.idempotencyKey),
      sorted.map((c) => c.stored!.requestHash), sorted.map((c) => JSON.stringify(c.stored!.response)),
    ];
    const inserted: Array<{ organization_id: string; idempotency_key: string }> = await this.sql.run(
      'usage_insert_events_answers', INSERT_EVENTS_AND_ANSWERS_SQL,
      [...callColumns(rows), `{${rows.map((c) => (c.stored ? 't' : 'f')).join(',')}}`, ...answers],
    );
    return new Set(inserted.map((r) => firstByKey.get(keyOf(r.organization_id, r.idempotency_key))!));
  }

  private async findAll(calls: MeteredCall[]): Promise<Map<string, StoredAnswer>> {
    const found = new Map<string, StoredAnswer>();
    if (calls.length === 0) return found;
    const rows: Array<{ organization_id: string; idempotency_key: string; request_hash: string; response: Record<string, unknown> }> =
      await this.dataSource.query(
        `SELECT s.organization_id, s.idempotency_key, s.request_hash, s.response FROM stored_response s
         JOIN unnest($1::uuid[], $2::text[]) AS k(organization_id, idempotency_key) USING (organization_id, idempotency_key)`,
        [calls.map((c) => c.organizationId), calls.map((c) => c.idempotencyKey)],
      );
    for (const r of rows) found.set(keyOf(r.organization_id, r.idempotency_key), { requestHash: r.request_hash, response: r.response });
    return found;
  }
}

/**
 * BENCHMARK/TEST HOOK ONLY (ServerOptions.unmetered): records nothing. Lets the metering
 * benchmark run the very same request path without the database write.
 */
export class UnmeteredRecorder implements UsageSink {
  async record(): Promise<RecordOutcome> {
    return { recorded: true };
  }

  async findStored(): Promise<StoredAnswer | null> {
    return null;
  }

  async stop(): Promise<void> {}
}
