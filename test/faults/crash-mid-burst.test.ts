import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, ServerProcess } from '../support/server-process';
import { createPlan, demoModels, subscribe } from '../support/subscription-fixtures';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * Crash proof: a child server (`npm start`'s api/main.ts) takes a burst of 5,000 runInference calls
 * from clients that retry each call with its requestId until it is answered; it is SIGKILLed
 * mid-burst (no drain, no flush) and started again on the same database and files. Afterwards
 * every requestId has exactly one REQUESTS event, and no event has a requestId that was never sent.
 *
 * What breaks it: an answer sent before its usage event commits (a killed server leaves an
 * answered call unbilled: zero events), a retry that runs again instead of replaying (two
 * events, or a unique-key error answered as a failure), an idempotency key that is not the
 * client's requestId (an event for a key never sent), a restart that loses committed events.
 */
const CALLS = 5_000;
const CLIENTS = 64;
const KILL_AFTER_ANSWERS = 2_000;
/** Bound on each call's retries: the whole burst, the kill and the restart must fit in it. */
const GIVE_UP_AFTER_MS = 150_000;
/** Refusals a client may retry: the server said nothing was done. */
const RETRYABLE = new Set(['OVERLOADED', 'RATE_LIMITED', 'SHUTTING_DOWN', 'INTERNAL', 'DEADLINE_EXCEEDED']);

/** What a client needs of an answer (a slim selection: the burst is CPU-bound on a loaded machine). */
const RUN_INFERENCE = `mutation($input: RunInferenceInput!) { runInference(input: $input) {
  outputs usage { meter quantity } replayed userErrors { code message } } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(240_000);

const onPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

// NOTE: the child server and the test read one database: PostgreSQL only (embedded PGlite is one process's).
onPostgres('a SIGKILL mid-burst of 5,000 retried calls loses no event and counts none twice', () => {
  let database: TestDatabase;
  let dataDir: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-crash-'));
  });
  afterAll(async () => {
    await server?.kill();
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const boot = async (port: number) => {
    server = new ServerProcess(port, {
      LOG_LEVEL: 'warn', DATA_DIR: dataDir, DATABASE_URL: database.url!, ENGINE_WORKERS_PER_DEVICE: '1',
      ENGINE_MAX_QUEUE_LENGTH: '4096', BILLING_JOBS: 'false', FINE_TUNE_WORKER: 'false',
    });
    await server.start();
    return server;
  };

  it('answers every requestId once, across the kill and the restart, and bills each exactly once', async () => {
    const port = await freePort();
    const first = await boot(port);
    const keys = await first.keys(dataDir);
    const url = first.url;
    const t = { url, keys, graphql: first.graphql.bind(first) };
    // NOTE: the tabular model: the proof is about metering, and its engine work is the cheapest
    const model = (await demoModels(t))['credit-risk'];
    const signature = await t.graphql(keys.partner, 'query($id: ID!) { model(id: $id) { latestVersion { signature { inputs { name shape } } } } }', { id: model.id });
    const input = signature.data!.model.latestVersion.signature.inputs[0];
    const width = Number(input.shape[input.shape.length - 1]);
    const inputsOf = (i: number) => ({ [input.name]: { type: 'float32', dims: [1, width], data: Array.from({ length: width }, (_, j) => ((i * 7 + j) % 10) / 10) } });
    const planId = await createPlan(t, model.id, 'Crash burst', { requestsPerMinute: 1_000_000 });
    const subscriptionGlobalId = await subscribe(t, keys.partner, planId);

    const sent = Array.from({ length: CALLS }, (_, i) => `crash-${i}`);
    const answers = new Map<string, { outputs: unknown; attempts: number }>();
    const fatal: Array<{ requestId: string; status: number; body: unknown }> = [];
    let networkFailures = 0;
    let refusals = 0;
    const giveUpAt = Date.now() + GIVE_UP_AFTER_MS;

    /** One client's call, retried with the same requestId until it is answered (or the bound passes). */
    const call = async (requestId: string) => {
      const body = JSON.stringify({ query: RUN_INFERENCE, variables: { input: { modelId: model.id, requestId, inputs: inputsOf(Number(requestId.split('-')[1])) } } });
      for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
        let status: number;
        let json: any;
        try {
          const response = await fetch(`${url}/graphql`, {
            method: 'POST', body, signal: AbortSignal.timeout(30_000),
            headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.partner}` },
          });
          status = response.status;
          json = await response.json();
        } catch {
          networkFailures++; // reset, refused, cut mid-answer: the server is gone or coming back
          await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
          continue;
        }
        const answer = json?.data?.runInference;
        if (status === 200 && !json.errors && answer?.usage && answer.userErrors.length === 0) {
          answers.set(requestId, { outputs: answer.outputs, attempts: attempt });
          return;
        }
        const code = json?.errors?.[0]?.extensions?.code;
        if (RETRYABLE.has(code) || status === 503) {
          refusals++;
          await sleep(50 + Math.random() * 100);
          continue;
        }
        fatal.push({ requestId, status, body: json });
        return;
      }
    };

    let next = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (next < sent.length) await call(sent[next++]);
    });

    // SIGKILL once KILL_AFTER_ANSWERS are answered, with the rest in flight or queued, then restart
    const started = performance.now();
    while (answers.size < KILL_AFTER_ANSWERS && fatal.length === 0 && Date.now() < giveUpAt) await sleep(20);
    const answeredAtKill = answers.size;
    await first.kill();
    const killedAt = performance.now();
    await boot(port);
    const restartMs = performance.now() - killedAt;
    await Promise.all(clients);
    console.info(`${CALLS} calls, ${CLIENTS} clients: SIGKILL after ${answeredAtKill} answers (${((killedAt - started) / 1000).toFixed(1)} s), ` +
      `restarted in ${(restartMs / 1000).toFixed(1)} s; all answered in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `${networkFailures} network failures and ${refusals} refusals retried; most attempts of one call ${Math.max(...[...answers.values()].map((a) => a.attempts))}`);

    expect(fatal).toEqual([]);
    expect(answeredAtKill).toBeLessThan(CALLS);
    expect(networkFailures).toBeGreaterThan(0); // the kill did cut calls in flight
    expect(sent.filter((id) => !answers.has(id))).toEqual([]);

    const db = new Client({ connectionString: database.url });
    await db.connect();
    let counts: Map<string, number>;
    try {
      const subscriptionId = subscriptionGlobalId.split('/').pop();
      const rows = await db.query<{ key: string; n: number }>(
        `SELECT idempotency_key AS key, count(*)::int AS n FROM usage_event WHERE meter = 'REQUESTS' AND subscription_id = $1 GROUP BY 1`, [subscriptionId]);
      counts = new Map(rows.rows.map((r) => [r.key, r.n]));
    } finally {
      await db.end();
    }
    const sentSet = new Set(sent);
    expect([...counts.keys()].filter((key) => !sentSet.has(key))).toEqual([]); // none for a requestId never sent
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]); // none twice
    expect([...answers.keys()].filter((id) => counts.get(id) !== 1)).toEqual([]); // every answered one, once
    expect(counts.size).toBe(CALLS);

    // and a retry now, after the restart, replays the stored answer: the same outputs, billed nothing more
    const sample = sent.filter((_, i) => i % 250 === 0);
    const s = server!;
    for (const requestId of sample) {
      const again = await s.graphql(keys.partner, RUN_INFERENCE, { input: { modelId: model.id, requestId, inputs: inputsOf(Number(requestId.split('-')[1])) } });
      expect(again.errors).toBeUndefined();
      expect(again.data!.runInference).toMatchObject({ replayed: true, outputs: answers.get(requestId)!.outputs });
    }
  });
});
