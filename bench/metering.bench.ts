import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { configFromEnv } from '../api/config';
import { defaultRecorderOptions, generatedIdempotencyKey, MeteredCall, RecordOutcome, UsageRecorder, UsageSink } from '../api/metering/usage-recorder';
import { DemoKeys, seedDemo } from '../api/seed/demo-seed';
import { AppServer, startServer } from '../api/server';
import { tokenize } from '../inference';
import { createDataSource } from '../migrations/data-source';
import { Meter } from '../schema/metering/meter.enum';
import { closedLoop, percentile, type BenchRow, type BenchSuite } from './bench-suite';
import { createDatabaseOn } from '../test/support/test-database';
import { DelayEcho, GraphQLClient, HttpCalls, HttpLoadGenerator } from './http-load';
import { publishBenchModels, startBareApollo } from './metering-fixtures';

// Metering suite, on PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres;
// fresh databases are created and dropped). Phases are interleaved over rounds; medians are reported.

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const INGEST_CALLS = 20_000; // x 3 meters = 60,000 events per round
const INGEST_PRODUCERS = 1000;
const BARE_BATCH = 1000;
const CLIENTS = 32;
/** Enough callers to keep the event loop busy through the commit waits: throughput at saturation. */
const SATURATING_CLIENTS = 128;
const HEAVY_TEXTS = 8;
/** How far each delay-only call moves its delay towards the metered median hold (ms). */
const DELAY_STEP_MS = 0.02;

const median = (values: number[]) => percentile(values, 50);
const TEXTS = ['I love this product', 'terrible, broke after a day', 'works as expected, nothing special', 'great value and fast shipping',
  'would not buy again', 'the battery lasts forever', 'customer service never answered', 'decent but overpriced'];

function ingestCalls(): MeteredCall[] {
  const orgs = Array.from({ length: 8 }, () => randomUUID());
  const model = randomUUID();
  return Array.from({ length: INGEST_CALLS }, (_, i) => ({
    organizationId: orgs[i % orgs.length], subscriptionId: orgs[i % orgs.length], apiKeyId: orgs[i % orgs.length], modelId: model, modelVersionId: model,
    occurredAt: new Date(), idempotencyKey: generatedIdempotencyKey(),
    usage: [{ meter: Meter.REQUESTS, quantity: 1n }, { meter: Meter.INPUT_TOKENS, quantity: 17n }, { meter: Meter.COMPUTE_MS, quantity: 2n }],
  }));
}

/** The reference statement: one unnest row per event, unique key enforced by ON CONFLICT DO NOTHING. */
const BARE_INSERT_SQL = `INSERT INTO usage_event (organization_id, subscription_id, api_key_id, model_id, model_version_id, meter, quantity, occurred_at, idempotency_key, id)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::bigint[], $8::timestamptz[], $9::text[], $10::uuid[])
  ON CONFLICT DO NOTHING`;

/** The events of some calls as the ten arrays of {@link BARE_INSERT_SQL}, built before the clock starts. */
function bareEventColumns(calls: MeteredCall[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 10 }, () => []);
  for (const c of calls) {
    for (const line of c.usage) {
      [c.organizationId, c.subscriptionId, c.apiKeyId, c.modelId, c.modelVersionId, line.meter, line.quantity.toString(), c.occurredAt.toISOString(), c.idempotencyKey, uuidv7()]
        .forEach((value, i) => cols[i].push(value));
    }
  }
  return cols;
}

/** Bare limit: the same rows as 1,000-row `INSERT ... SELECT unnest ON CONFLICT DO NOTHING`, back to back. */
async function bareInsert(db: DataSource, calls: MeteredCall[]): Promise<number> {
  const perBatch = BARE_BATCH / 3;
  const batches = [];
  for (let i = 0; i < calls.length; i += perBatch) batches.push(bareEventColumns(calls.slice(i, i + perBatch)));
  const t0 = performance.now();
  for (const batch of batches) await db.query(BARE_INSERT_SQL, batch);
  return (calls.length * 3) / ((performance.now() - t0) / 1000);
}

/** The recorder as the API uses it: many concurrent calls, each awaiting its commit. */
async function recorderInsert(db: DataSource, calls: MeteredCall[]): Promise<number> {
  const recorder = new UsageRecorder(db, defaultRecorderOptions(false));
  let next = 0;
  const t0 = performance.now();
  const producer = async () => {
    while (next < calls.length) await recorder.record(calls[next++]);
  };
  await Promise.all(Array.from({ length: INGEST_PRODUCERS }, producer));
  await recorder.stop();
  return (calls.length * 3) / ((performance.now() - t0) / 1000);
}

async function ingestPhase(rounds: number) {
  const database = await createDatabaseOn(SERVER_URL, `bench_ingest_${process.pid}`);
  const db = createDataSource({ databaseUrl: database.url, poolSize: 4 });
  try {
    await db.initialize();
    await db.runMigrations({ transaction: 'each' });
    const bare: number[] = [];
    const recorder: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const calls = ingestCalls();
      await db.query('TRUNCATE usage_event');
      bare.push(await bareInsert(db, calls));
      await db.query('TRUNCATE usage_event');
      recorder.push(await recorderInsert(db, calls));
      const [{ n }] = await db.query('SELECT count(*)::int AS n FROM usage_event');
      if (n !== calls.length * 3) throw new Error(`recorder wrote ${n} events, expected ${calls.length * 3}`);
    }
    return { bare: median(bare), recorder: median(recorder), ratio: median(recorder.map((v, i) => v / bare[i])) };
  } finally {
    if (db.isInitialized) await db.destroy();
    await database.drop();
  }
}

interface Servers {
  metered: AppServer;
  unmetered: AppServer;
  /** Unmetered, but each call held on I/O (DelayEcho) about as long as the metered median hold: the metered wait and nothing else. */
  delayOnly: AppServer;
  /**
   * How long each server's recorder held each call (ms); the delay-only server's delay (DelayEcho), steered
   * call by call so that its median hold meets `targetMs` (the metered median hold).
   */
  holds: { metered: number[]; delayOnly: number[]; delayMs: number; targetMs: number };
  keys: DemoKeys;
  ids: Awaited<ReturnType<typeof publishBenchModels>>;
  /** The callers, in a process of their own. */
  load: HttpLoadGenerator;
  cleanup(): Promise<void>;
}

async function startServers(): Promise<Servers> {
  const database = await createDatabaseOn(SERVER_URL, `bench_e2e_${process.pid}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'metering-bench-'));
  const config = configFromEnv({ LOG_LEVEL: 'error', PORT: '0', DATA_DIR: dataDir, DATABASE_URL: database.url, NODE_ENV: 'production' });
  const holds = { metered: [] as number[], delayOnly: [] as number[], delayMs: 0, targetMs: 0 };
  const echo = await DelayEcho.start();
  const timed = (into: number[]) => async (record: () => Promise<RecordOutcome>) => {
    const t0 = performance.now();
    const outcome = await record();
    into.push(performance.now() - t0);
    return outcome;
  };
  const metered = await startServer(config, { wrapUsageSink: (sink) => heldFor(sink, timed(holds.metered)) });
  const keys = (await seedDemo(metered, dataDir))!;
  const ids = await publishBenchModels(metered);
  const unmetered = await startServer(config, { unmetered: true });
  const delayOnly = await startServer(config, { unmetered: true, wrapUsageSink: (sink) => heldFor(sink, async (record) => {
    const t0 = performance.now();
    await echo.hold(holds.delayMs);
    const outcome = await record();
    const held = performance.now() - t0;
    holds.delayOnly.push(held);
    // NOTE: the hold is a wait on I/O (see DelayEcho), as the metered one is: a timer fires only
    // at the start of a loop turn, and held calls 4.3-5.5 ms at its shortest for a metered 3.1-3.6 ms
    // under 32 clients. The delay is steered call by call: a hold under the target adds
    // DELAY_STEP_MS, one over it takes that off, which settles where half the holds are under the
    // target, i.e. on its median, whatever the loop's latency does (a delay set once per round
    // from the previous round's overshoot did not converge: the overshoot depends on the delay).
    holds.delayMs = Math.max(0, holds.delayMs + (held < holds.targetMs ? DELAY_STEP_MS : -DELAY_STEP_MS));
    return outcome;
  }) });
  const load = HttpLoadGenerator.start();
  return {
    metered, unmetered, delayOnly, holds, keys, ids, load,
    async cleanup() {
      load.stop();
      echo.stop();
      await metered.stop();
      await unmetered.stop();
      await delayOnly.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A usage sink whose `record` goes through `around` (to time it, or to delay it). */
function heldFor(sink: UsageSink, around: (record: () => Promise<RecordOutcome>) => Promise<RecordOutcome>): UsageSink {
  return { record: (call) => around(() => sink.record(call)), findStored: (org, key) => sink.findStored(org, key), stop: () => sink.stop() };
}

const RUN = 'mutation($input: RunInferenceInput!) { runInference(input: $input) { predictions { label score } usage { meter quantity } userErrors { code } } }';

function inferBody(modelId: string, texts: string[], requestId?: string): string {
  return JSON.stringify({ query: RUN, variables: { input: { modelId, texts, requestId } } });
}

/** A set-up call from this process; throws on errors. */
async function checked(client: GraphQLClient, body: string): Promise<void> {
  const res = await client.post(body);
  if (res.errors || !res.data) throw new Error(`bench call failed: ${JSON.stringify(res.errors)}`);
}

async function subscribePartner(client: GraphQLClient, planId: string): Promise<void> {
  await checked(client, JSON.stringify({ query: 'mutation($p: ID!) { subscribe(input: { planId: $p }) { userErrors { code message } } }', variables: { p: planId } }));
}

/** A load: GraphQL calls made by the load generator's process, or calls made in this one (the pool alone). */
type Load = HttpCalls | ((i: number) => Promise<unknown>);

/** Calls answered by `clients` closed-loop callers of a load in `seconds`. */
async function slice(s: Servers, load: Load, clients: number, seconds: number): Promise<number> {
  if (typeof load === 'function') return (await closedLoop(clients, seconds, load)).count;
  return (await s.load.closedLoop(load, clients, seconds)).count;
}

/**
 * Two loads compared in alternating slices (A B B A A B ...), so that a burst of load from
 * elsewhere on the machine falls on both; requests per second of each.
 */
async function paired(s: Servers, seconds: number, a: Load, b: Load, clients = CLIENTS, loop?: LoopShares): Promise<[number, number]> {
  const slices = Math.max(2, Math.round(seconds / 0.5));
  const counts = [0, 0];
  for (let k = 0; k < slices; k++) {
    const order = k % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const before = performance.eventLoopUtilization();
      counts[which] += await slice(s, which === 0 ? a : b, clients, seconds / slices);
      loop?.[which].push(performance.eventLoopUtilization(before).utilization);
    }
  }
  return [counts[0] / seconds, counts[1] / seconds];
}

/**
 * The event loop's utilisation in each slice of a pair (the servers' loop: they all run in this
 * process, the callers in their own), to tell a load that keeps the loop busy from one that waits.
 */
type LoopShares = [number[], number[]];

/** The saturated pair (metered, unmetered) of `load`, with the loop's median utilisation on each side. */
async function saturatedPair(s: Servers, seconds: number, load: (server: AppServer) => HttpCalls) {
  const loop: LoopShares = [[], []];
  const [meteredSaturated, unmeteredSaturated] = await paired(s, seconds, load(s.metered), load(s.unmetered), SATURATING_CLIENTS, loop);
  const [meteredSaturatedLoop, unmeteredSaturatedLoop] = loop.map(median);
  return { meteredSaturated, unmeteredSaturated, meteredSaturatedLoop, unmeteredSaturatedLoop };
}

interface E2eRound {
  inference: number;
  metered: number;
  unmetered: number;
  /** The metered server's median hold of a call in the recorder, and the delay-only pair. */
  holdMs: number;
  delayOnlyHoldMs: number;
  delayOnly: number;
  unmeteredVsDelayOnly: number;
  meteredSaturated: number;
  unmeteredSaturated: number;
  /** The loop's median utilisation over each side's saturated slices (0-1). */
  meteredSaturatedLoop: number;
  unmeteredSaturatedLoop: number;
  meteredWithId: number;
  unmeteredWithId: number;
  trivial: number;
  heavyGraphql: number;
  heavyPool: number;
}

/** Marks where each call's own requestId goes (see HttpCalls.uniqueMarker). */
const CALL_MARKER = '__CALL__';

async function e2eRound(s: Servers, seconds: number, run: string): Promise<E2eRound> {
  const heavyRef = await heavyModelRef(s);
  const heavyInputs = tokenize(TEXTS.slice(0, HEAVY_TEXTS), heavyRef.spec);
  const calls = (server: AppServer, bodies: string[], uniqueMarker?: string): HttpCalls => ({ port: server.port, key: s.keys.partner, bodies, uniqueMarker });
  const small = (server: AppServer) => calls(server, TEXTS.map((text) => inferBody(s.ids.sentimentModelId, [text])));
  const smallWithId = (server: AppServer) => calls(server, TEXTS.map((text) => inferBody(s.ids.sentimentModelId, [text], `${run}-${CALL_MARKER}`)), CALL_MARKER);
  s.holds.metered.length = 0;
  const [meteredRps, unmeteredRps] = await paired(s, seconds, small(s.metered), small(s.unmetered));
  const holdMs = median(s.holds.metered);
  // NOTE: the delay-only server steers its delay call by call to this round's metered median hold,
  // starting from where the previous round left it; the first half second of its calls (steering) is not counted.
  s.holds.targetMs = holdMs;
  s.holds.delayOnly.length = 0;
  await slice(s, small(s.delayOnly), CLIENTS, 0.5);
  s.holds.delayOnly.length = 0;
  const [delayOnlyRps, unmeteredVsDelayOnly] = await paired(s, seconds, small(s.delayOnly), small(s.unmetered));
  const delayOnlyHoldMs = median(s.holds.delayOnly);
  const saturated = await saturatedPair(s, seconds, small);
  const [meteredWithId, unmeteredWithId] = await paired(s, seconds, smallWithId(s.metered), smallWithId(s.unmetered));
  const [inference, trivial] = await paired(s, seconds, small(s.metered), calls(s.metered, ['{"query":"{ viewer { id } }"}']));
  const [heavyGraphql, heavyPool] = await paired(s, seconds, calls(s.metered, [inferBody(s.ids.heavyModelId, TEXTS.slice(0, HEAVY_TEXTS))]),
    () => s.metered.services.engine.infer(heavyRef.ref, cloneInputs(heavyInputs.inputs)));
  return { metered: meteredRps, unmetered: unmeteredRps, holdMs, delayOnlyHoldMs, delayOnly: delayOnlyRps, unmeteredVsDelayOnly, ...saturated, meteredWithId, unmeteredWithId, inference, trivial, heavyGraphql, heavyPool };
}

function cloneInputs(inputs: ReturnType<typeof tokenize>['inputs']) {
  return { token_ids: { ...inputs.token_ids, data: inputs.token_ids.data.slice() }, token_weights: { ...inputs.token_weights, data: inputs.token_weights.data.slice() } };
}

async function heavyModelRef(s: Servers) {
  const ctx = { principal: { apiKeyId: '', organizationId: '', organizationKind: 'PARTNER', roles: ['ADMIN'] }, now: () => new Date() } as never;
  const serving = await s.metered.services.servingModels.resolveOrThrow(ctx, s.ids.heavyModelId, null);
  return { ref: serving.ref, spec: serving.tokenizer! };
}

/**
 * Added latency: one caller, heavy model, alternating a pool call, a GraphQL call (metered), a
 * GraphQL call without metering, a trivial query to a bare Apollo server, and a durable one-row
 * commit on the metered server's own connection pool, so all see the same machine; p50 of each,
 * and p50s of the per-iteration differences (paired: a burst of load elsewhere falls on both).
 * Each HTTP call and the commit follow a heavy computation during which the event loop and the
 * database connection idled, as a real heavy call's answer does.
 */
async function latencyPhase(s: Servers, seconds: number) {
  const bare = await startBareApollo();
  const heavyRef = await heavyModelRef(s);
  const inputs = tokenize(TEXTS.slice(0, HEAVY_TEXTS), heavyRef.spec);
  const heavy = (server: { port: number }): HttpCalls => ({ port: server.port, key: s.keys.partner, bodies: [inferBody(s.ids.heavyModelId, TEXTS.slice(0, HEAVY_TEXTS))] });
  const rawPool = (s.metered.dataSource.driver as unknown as { master: Pool }).master;
  await rawPool.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (x int)');
  try {
    const timings: Record<'pool' | 'graphql' | 'unmetered' | 'bare' | 'commit' | 'graphqlOverEngine' | 'unmeteredOverEngine' | 'usage'
      | 'meteringAdded' | 'overFloor', number[]> =
      { pool: [], graphql: [], unmetered: [], bare: [], commit: [], graphqlOverEngine: [], unmeteredOverEngine: [], usage: [], meteringAdded: [], overFloor: [] };
    const pool = () => s.metered.services.engine.infer(heavyRef.ref, cloneInputs(inputs.inputs));
    const once = async (calls: HttpCalls) => {
      const figures = await s.load.sequential(calls, 1);
      return { latency: figures.latencies[0], overEngine: figures.overEngine[0], usage: figures.usage[0] };
    };
    const end = performance.now() + 3 * seconds * 1000;
    while (performance.now() < end) {
      const t0 = performance.now();
      await pool();
      timings.pool.push(performance.now() - t0);
      const metered = await once(heavy(s.metered));
      const unmetered = await once(heavy(s.unmetered));
      await pool();
      const trivial = await once({ port: bare.port, key: 'none', bodies: ['{"query":"{ viewer { id } }"}'] });
      await pool();
      // NOTE: the floor as the recorder meets it: an autocommit statement on a pooled connection that idled through the computation.
      const c0 = performance.now();
      await rawPool.query({ name: 'bench_commit_probe', text: 'INSERT INTO bench_commit_probe VALUES (1)' });
      const commit = performance.now() - c0;
      timings.graphql.push(metered.latency);
      timings.unmetered.push(unmetered.latency);
      timings.bare.push(trivial.latency);
      timings.commit.push(commit);
      if (metered.usage !== undefined) timings.usage.push(metered.usage);
      if (metered.overEngine === undefined || unmetered.overEngine === undefined) continue;
      timings.graphqlOverEngine.push(metered.overEngine);
      timings.unmeteredOverEngine.push(unmetered.overEngine);
      timings.meteringAdded.push(metered.overEngine - unmetered.overEngine);
      timings.overFloor.push(metered.overEngine - trivial.latency - commit);
    }
    return {
      poolP50: median(timings.pool), graphqlP50: median(timings.graphql), unmeteredP50: median(timings.unmetered), bareP50: median(timings.bare),
      graphqlOverEngineP50: median(timings.graphqlOverEngine), unmeteredOverEngineP50: median(timings.unmeteredOverEngine),
      commitP50: median(timings.commit), usageP50: median(timings.usage),
      meteringAddedP50: median(timings.meteringAdded), overFloorP50: median(timings.overFloor), iterations: timings.pool.length,
    };
  } finally {
    await bare.stop();
  }
}

/** A durable one-row commit, and a SELECT 1, after the connection idled 30 ms (as it does during an inference). */
async function commitAfterIdle(s: Servers): Promise<{ selectMs: number; commitMs: number }> {
  const runner = s.metered.dataSource.createQueryRunner();
  const select: number[] = [];
  const commit: number[] = [];
  const idleThen = async (into: number[], sql: string) => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    const t0 = performance.now();
    await runner.query(sql);
    into.push(performance.now() - t0);
  };
  try {
    await runner.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (x int)');
    for (let i = 0; i < 40; i++) {
      await idleThen(select, 'SELECT 1');
      await idleThen(commit, 'INSERT INTO bench_commit_probe VALUES (1)');
    }
    return { selectMs: median(select), commitMs: median(commit) };
  } finally {
    await runner.release();
  }
}

/**
 * What of the end-to-end phase runs: everything, or (quick checks while working on one figure)
 * the one-caller latency loop alone, or the saturated pair alone.
 */
type E2eParts = 'all' | 'latency' | 'saturated';

async function saturatedRound(s: Servers, seconds: number): Promise<E2eRound> {
  const small = (server: AppServer): HttpCalls => ({ port: server.port, key: s.keys.partner, bodies: TEXTS.map((text) => inferBody(s.ids.sentimentModelId, [text])) });
  return { ...Object.fromEntries(Object.keys(EMPTY_ROUND).map((k) => [k, NaN])) as unknown as E2eRound, ...(await saturatedPair(s, seconds, small)) };
}

const EMPTY_ROUND: Record<keyof E2eRound, true> = {
  inference: true, metered: true, unmetered: true, holdMs: true, delayOnlyHoldMs: true, delayOnly: true, unmeteredVsDelayOnly: true,
  meteredSaturated: true, unmeteredSaturated: true, meteredSaturatedLoop: true, unmeteredSaturatedLoop: true, meteredWithId: true, unmeteredWithId: true, trivial: true, heavyGraphql: true, heavyPool: true,
};

async function e2ePhase(seconds: number, rounds: number, parts: E2eParts = 'all') {
  const s = await startServers();
  try {
    const client = new GraphQLClient(s.metered.port, s.keys.partner);
    await subscribePartner(client, s.ids.sentimentPlanId);
    await subscribePartner(client, s.ids.heavyPlanId);
    client.close();
    if (parts === 'all') await e2eRound(s, 1, 'warm');
    else await saturatedRound(s, 1);
    const all: E2eRound[] = [];
    const latencies: Array<Awaited<ReturnType<typeof latencyPhase>>> = [];
    for (let r = 0; r < rounds; r++) {
      if (parts === 'all') all.push(await e2eRound(s, seconds, `r${r}`));
      if (parts === 'saturated') all.push(await saturatedRound(s, seconds));
      if (parts !== 'saturated') latencies.push(await latencyPhase(s, seconds));
    }
    const [{ n }] = await s.metered.dataSource.query(`SELECT count(*)::int AS n FROM usage_event WHERE meter = 'REQUESTS'`);
    return { all, latencies, meteredEvents: n as number, idle: await commitAfterIdle(s), delayOnlyMs: s.holds.delayMs };
  } finally {
    await s.cleanup();
  }
}

function parseArgs(args: string[]) {
  const value = (flag: string, fallback: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
  return { seconds: value('--seconds', 4), rounds: value('--rounds', 3), only: args.includes('--only') ? args[args.indexOf('--only') + 1] : 'all' };
}

async function run(args: string[]) {
  const { seconds, rounds, only } = parseArgs(args);
  const ingest = only !== 'all' && only !== 'ingest' ? null : await ingestPhase(rounds);
  const e2e = only === 'ingest' ? null : await e2ePhase(seconds, rounds, only === 'latency' || only === 'saturated' ? only : 'all');
  const m = (pick: (r: E2eRound) => number) => (e2e && e2e.all.length ? median(e2e.all.map(pick)) : NaN);
  const lat = (pick: (l: Awaited<ReturnType<typeof latencyPhase>>) => number) => (e2e ? median(e2e.latencies.map(pick)) : NaN);
  const figures = {
    ingest_events_per_s: ingest ? Math.round(ingest.recorder) : NaN,
    bare_insert_events_per_s: ingest ? Math.round(ingest.bare) : NaN,
    ingest_vs_limit: ingest?.ratio ?? NaN,
    metered_vs_unmetered: m((r) => r.metered / r.unmetered),
    metered_vs_unmetered_with_request_id: m((r) => r.meteredWithId / r.unmeteredWithId),
    metered_hold_p50_ms: m((r) => r.holdMs),
    delay_only_hold_p50_ms: m((r) => r.delayOnlyHoldMs),
    delay_only_vs_unmetered: m((r) => r.delayOnly / r.unmeteredVsDelayOnly),
    metered_vs_unmetered_saturated: m((r) => r.meteredSaturated / r.unmeteredSaturated),
    saturated_loop_utilization_metered: m((r) => r.meteredSaturatedLoop),
    saturated_loop_utilization_unmetered: m((r) => r.unmeteredSaturatedLoop),
    saturated_loop_us_per_call_metered: m((r) => (r.meteredSaturatedLoop / r.meteredSaturated) * 1e6),
    saturated_loop_us_per_call_unmetered: m((r) => (r.unmeteredSaturatedLoop / r.unmeteredSaturated) * 1e6),
    graphql_vs_pool: m((r) => r.heavyGraphql / r.heavyPool),
    added_p50_ms: e2e ? median(e2e.latencies.map((l) => l.graphqlOverEngineP50)) : NaN,
    added_p50_ms_without_metering: e2e ? median(e2e.latencies.map((l) => l.unmeteredOverEngineP50)) : NaN,
    added_p50_ms_unpaired: e2e ? median(e2e.latencies.map((l) => l.graphqlP50 - l.poolP50)) : NaN,
    bare_apollo_p50_ms: e2e ? median(e2e.latencies.map((l) => l.bareP50)) : NaN,
    metering_added_p50_ms: lat((l) => l.meteringAddedP50),
    durable_commit_floor_ms: lat((l) => l.commitP50),
    added_over_floor_p50_ms: lat((l) => l.overFloorP50),
    usage_commit_wait_p50_ms: lat((l) => l.usageP50),
    inference_vs_trivial_query: m((r) => r.inference / r.trivial),
  };
  const rows: BenchRow[] = [
    { measure: 'ingest: UsageRecorder (group commit, 1000 producers)', value: figures.ingest_events_per_s, unit: 'events/s' },
    { measure: `ingest: bare unnest INSERT, ${BARE_BATCH}-row batches`, value: figures.bare_insert_events_per_s, unit: 'events/s' },
    { measure: 'runInference sentiment x1 text, metered', value: m((r) => r.metered), unit: 'req/s' },
    { measure: 'runInference sentiment x1 text, unmetered', value: m((r) => r.unmetered), unit: 'req/s' },
    { measure: '  same, each call with a fresh requestId, metered', value: m((r) => r.meteredWithId), unit: 'req/s' },
    { measure: '  same, each call with a fresh requestId, unmetered', value: m((r) => r.unmeteredWithId), unit: 'req/s' },
    { measure: '  metered: median time a call waited for its commit', value: figures.metered_hold_p50_ms, unit: 'ms' },
    { measure: '  unmetered, each call held on a local socket round trip instead (no database work)', value: m((r) => r.delayOnly), unit: 'req/s' },
    { measure: '  ... its median hold', value: figures.delay_only_hold_p50_ms, unit: 'ms' },
    { measure: '  ... the delay it asked for when the last round ended (0: it cannot hold calls shorter)', value: e2e?.delayOnlyMs ?? NaN, unit: 'ms' },
    { measure: '  unmetered, paired with the row above', value: m((r) => r.unmeteredVsDelayOnly), unit: 'req/s' },
    { measure: `  metered, ${SATURATING_CLIENTS} clients in flight`, value: m((r) => r.meteredSaturated), unit: 'req/s' },
    { measure: `  unmetered, ${SATURATING_CLIENTS} clients in flight`, value: m((r) => r.unmeteredSaturated), unit: 'req/s' },
    { measure: '  ... the servers\' event loop busy, metered slices', value: figures.saturated_loop_utilization_metered, unit: 'share' },
    { measure: '  ... the servers\' event loop busy, unmetered slices', value: figures.saturated_loop_utilization_unmetered, unit: 'share' },
    { measure: '  ... loop time per call, metered', value: figures.saturated_loop_us_per_call_metered, unit: 'us' },
    { measure: '  ... loop time per call, unmetered', value: figures.saturated_loop_us_per_call_unmetered, unit: 'us' },
    { measure: '{ viewer { id } }', value: m((r) => r.trivial), unit: 'req/s' },
    { measure: '  runInference sentiment x1 text, metered, alternating with it', value: m((r) => r.inference), unit: 'req/s' },
    { measure: `heavy model x${HEAVY_TEXTS} texts, GraphQL (metered)`, value: m((r) => r.heavyGraphql), unit: 'req/s' },
    { measure: `heavy model x${HEAVY_TEXTS} texts, EnginePool alone`, value: m((r) => r.heavyPool), unit: 'req/s' },
    { measure: 'heavy p50, one caller: GraphQL', value: e2e ? median(e2e.latencies.map((l) => l.graphqlP50)) : NaN, unit: 'ms' },
    { measure: 'heavy p50, one caller: GraphQL without metering', value: e2e ? median(e2e.latencies.map((l) => l.unmeteredP50)) : NaN, unit: 'ms' },
    { measure: 'heavy p50, one caller: pool', value: e2e ? median(e2e.latencies.map((l) => l.poolP50)) : NaN, unit: 'ms' },
    { measure: 'added p50: each GraphQL call less its own engine time (Server-Timing)', value: figures.added_p50_ms, unit: 'ms' },
    { measure: '  same, without metering', value: figures.added_p50_ms_without_metering, unit: 'ms' },
    { measure: '  GraphQL p50 less pool p50 (unpaired: the model\'s run-to-run spread shows)', value: figures.added_p50_ms_unpaired, unit: 'ms' },
    { measure: 'floor: bare Express + Apollo, { viewer { id } }, after the same idle', value: figures.bare_apollo_p50_ms, unit: 'ms' },
    { measure: 'metering added p50, one caller: metered less unmetered, paired per iteration', value: figures.metering_added_p50_ms, unit: 'ms' },
    { measure: '  the metered call\'s own wait for its usage commit (Server-Timing)', value: figures.usage_commit_wait_p50_ms, unit: 'ms' },
    { measure: 'floor: durable one-row commit on the metered pool, after the same idle', value: figures.durable_commit_floor_ms, unit: 'ms' },
    { measure: 'added over floor p50: metered added less bare Express + Apollo less the commit, paired', value: figures.added_over_floor_p50_ms, unit: 'ms' },
    { measure: 'PostgreSQL after 30 ms idle: SELECT 1', value: e2e?.idle.selectMs ?? NaN, unit: 'ms' },
    { measure: 'PostgreSQL after 30 ms idle: one-row durable commit', value: e2e?.idle.commitMs ?? NaN, unit: 'ms' },
  ];
  const round3 = (v: number) => Number(v.toFixed(3));
  const targets = {
    ingest_events_per_s_ge_40000: figures.ingest_events_per_s >= 40000,
    ingest_vs_limit_ge_0_75: figures.ingest_vs_limit >= 0.75,
    metered_vs_unmetered_ge_0_95: figures.metered_vs_unmetered >= 0.95,
    graphql_vs_pool_ge_0_8: figures.graphql_vs_pool >= 0.8,
    added_p50_ms_le_2: figures.added_p50_ms <= 2,
    inference_vs_trivial_query_ge_0_5: figures.inference_vs_trivial_query >= 0.5,
    metered_vs_unmetered_saturated_ge_0_95: figures.metered_vs_unmetered_saturated >= 0.95,
    metering_added_p50_ms_le_floor_plus_0_5: figures.metering_added_p50_ms <= figures.durable_commit_floor_ms + 0.5,
    added_over_floor_p50_ms_le_1_5: figures.added_over_floor_p50_ms <= 1.5,
  };
  return {
    title: `Metering: PostgreSQL ${SERVER_URL.replace(/\/[^/]*$/, '')}, ${CLIENTS} closed-loop clients in flight over keep-alive HTTP from a load-generator process, ${seconds}s per phase, ${rounds} interleaved rounds (medians)`,
    rows,
    notes: [
      `\nheadline calls carry no requestId; the requestId rows store each answer with its events (one statement). REQUESTS events written: ${e2e?.meteredEvents ?? 0}`,
      'ratios are medians of per-round ratios of paired, alternating slices; the API, its engine workers, PostgreSQL and the load generator share this machine\'s cores.',
      'delay_only_vs_unmetered: the unmetered server with each call held on I/O (a local socket round trip to a process that answers after a delay steered call by call to the metered median hold), and no database work: what the wait alone costs 32 closed-loop clients.',
      `metered_vs_unmetered_saturated: the same pair with ${SATURATING_CLIENTS} clients in flight, enough to keep the event loop busy through the commit waits (the cost of metering, not of its wait).`,
      'added_p50_ms: one caller, alternating pool / GraphQL / GraphQL-without-metering calls; each GraphQL call\'s latency less the engine time it reports in Server-Timing (the same pool call, timed around it in the server), so the model\'s run-to-run spread cancels; a metered call waits for one durable commit, see the idle-commit rows.',
      'floor: a bare Express + Apollo server with one trivial resolver, called after the loop idled through a heavy computation: what any GraphQL call costs here before our code runs.',
      'metering_added_p50_ms: per iteration, the metered call\'s added latency less the unmetered one\'s, p50; durable_commit_floor_ms: a one-row INSERT (autocommit, durable) on the metered server\'s own pool after a pool call, in the same loop; ' +
        'added_over_floor_p50_ms: per iteration, the metered call\'s added latency less that iteration\'s bare Express + Apollo call and durable commit, p50 (each per round, then the median of rounds).',
    ],
    result: { ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round3(v)])), targets },
  };
}

/** The metering suite for `npm run bench -- metering`. */
export const benchSuite: BenchSuite = {
  name: 'metering',
  description: 'UsageRecorder ingest vs a bare INSERT; runInference end to end with and without metering, vs the pool, vs a trivial query',
  run,
};
