import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { configFromEnv } from '../api/config';
import { seedDemo } from '../api/seed/demo-seed';
import { startServer, type AppServer } from '../api/server';
import { createDatabaseOn } from '../test/support/test-database';
import { graphqlAt, type GraphQLResponse } from '../test/support/test-server';
import { closedLoop, percentile, type BenchRow, type BenchSuite } from './bench-suite';

// The costliest queries the cost limit admits, timed (issue #13: "the cost limit set from
// measurement so that the most expensive admitted query answers within 250 ms on this machine
// while other clients keep their latency"). For every expensive shape, as many aliases as the
// limit admits (found from the cost the server itself reports), answered alone; then other
// clients' inference latency with no hostile query running and while two clients send the
// costliest shape back to back.

const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUNS = 7;

/** A GraphQL call over HTTP (the tests' client), with how long its answer took. */
async function post(url: string, key: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse & { ms: number }> {
  const started = performance.now();
  const answer = await graphqlAt(url, key, query, variables);
  return { ...answer, ms: performance.now() - started };
}

function aliased(n: number, field: string): string {
  return `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
}

interface Shape {
  name: string;
  key: 'partner' | 'finance' | 'vendor' | 'admin';
  field: string;
}

function shapes(ids: { model: string; partnerOrg: string; period: string }): Shape[] {
  const month = { from: `${ids.period}-01T00:00:00Z`, to: new Date(Date.UTC(Number(ids.period.slice(0, 4)), Number(ids.period.slice(5, 7)), 1)).toISOString() };
  return [
    { name: 'node(id:) { id }', key: 'partner', field: `node(id: "${ids.model}") { id }` },
    { name: 'models { totalCount }', key: 'partner', field: 'models { totalCount }' },
    { name: 'apiKeys(first: 10)', key: 'partner', field: 'apiKeys(first: 10) { totalCount nodes { id prefix } }' },
    { name: 'models(first: 20) with versions and plans', key: 'partner', field: 'models(first: 20) { nodes { id name versions(first: 5) { nodes { id version } } plans { id name charges { meter pricing } } } }' },
    { name: 'usage (a month, by day)', key: 'finance', field: `usage(filter: { from: "${month.from}", to: "${month.to}" }, bucket: DAY) { start quantity }` },
    { name: 'invoices with lines and reconciliation', key: 'finance', field: 'invoices(first: 5) { nodes { number lines { quantity amount { amountMinor } } reconciliation { ok } } }' },
    { name: 'invoicePreview', key: 'admin', field: `invoicePreview(organizationId: "${ids.partnerOrg}") { total { amountMinor } }` },
    { name: `vendorStatement(${ids.period})`, key: 'vendor', field: `vendorStatement(period: "${ids.period}") { lines { gross { amountMinor } } }` },
  ];
}

/** The most aliases of `field` whose cost, as the server reports it, stays within its limit. */
async function admittedAliases(url: string, key: string, field: string): Promise<{ n: number; cost: number; limit: number } | { error: string }> {
  const one = await post(url, key, aliased(1, field));
  const two = await post(url, key, aliased(2, field));
  if (one.errors?.length) return { error: `${one.errors[0].extensions?.code}: ${one.errors[0].message}` };
  const c1 = one.extensions!.cost!.requested;
  const per = two.extensions!.cost!.requested - c1;
  const limit = one.extensions!.cost!.limit;
  let n = Math.max(1, Math.floor((limit - (c1 - per)) / per));
  while (n > 1 && (c1 - per) + n * per > limit) n--;
  return { n, cost: (c1 - per) + n * per, limit };
}

async function prepare(): Promise<{ server: AppServer; keys: Record<Shape['key'], string>; ids: { model: string; partnerOrg: string; period: string }; cleanup(): Promise<void> }> {
  const database = await createDatabaseOn(SERVER_URL, `bench_query_cost_${process.pid}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'query-cost-bench-'));
  const server = await startServer(configFromEnv({ LOG_LEVEL: 'error', PORT: '0', DATA_DIR: dataDir, DATABASE_URL: database.url, NODE_ENV: 'production', BILLING_JOBS: 'false' }));
  const keys = (await seedDemo(server, dataDir, { billedPeriod: true }))!;
  const [model] = await server.dataSource.query(`SELECT id FROM model WHERE slug = 'review-sentiment'`);
  const [partner] = await server.dataSource.query(`SELECT id FROM organization WHERE name = 'Contoso'`);
  const [plan] = await server.dataSource.query(`SELECT p.id FROM plan p WHERE p.model_id = $1 AND p.name = 'Pay as you go'`, [model.id]);
  const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  const ids = { model: `gid://marketplace/Model/${model.id}`, partnerOrg: `gid://marketplace/Organization/${partner.id}`, period: lastMonth };
  const subscribed = await post(server.url, keys.partner, 'mutation($p: ID!) { subscribe(input: { planId: $p }) { userErrors { message } } }', { p: `gid://marketplace/Plan/${plan.id}` });
  if (subscribed.errors) throw new Error(`subscribe failed: ${JSON.stringify(subscribed.errors)}`);
  return {
    server, keys, ids,
    async cleanup() {
      await server.stop();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const INFER = 'mutation($m: ID!, $t: [String!]!) { runInference(input: { modelId: $m, texts: $t }) { predictions { label } userErrors { code } } }';

export const benchSuite: BenchSuite = {
  name: 'query-cost',
  description: 'The costliest admitted query of each expensive shape, timed alone, and other clients\' inference latency while the costliest runs',
  async run() {
    const { server, keys, ids, cleanup } = await prepare();
    try {
      const rows: BenchRow[] = [];
      let worst: { shape: Shape; query: string; p95: number } | undefined;
      for (const shape of shapes(ids)) {
        const admitted = await admittedAliases(server.url, keys[shape.key], shape.field);
        if ('error' in admitted) {
          rows.push({ shape: shape.name, aliases: 0, cost: 0, p50_ms: 0, p95_ms: 0, note: admitted.error.slice(0, 60) });
          continue;
        }
        const query = aliased(admitted.n, shape.field);
        const times: number[] = [];
        let failure = '';
        for (let i = 0; i < RUNS; i++) {
          const answer = await post(server.url, keys[shape.key], query);
          if (answer.errors?.length) failure = `${answer.errors[0].extensions?.code}`;
          times.push(answer.ms);
        }
        const p95 = percentile(times, 95);
        rows.push({ shape: shape.name, aliases: admitted.n, cost: admitted.cost, p50_ms: percentile(times, 50), p95_ms: p95, note: failure ? `answered ${failure}` : 'ok' });
        if (!failure && (!worst || p95 > worst.p95)) worst = { shape, query, p95 };
      }
      const infer = () => post(server.url, keys.partner, INFER, { m: ids.model, t: ['the support team answered quickly and kindly'] });
      for (let i = 0; i < 20; i++) await infer();
      const idle = await closedLoop(4, 5, infer);
      let hostileStop = false;
      const hostile = worst
        ? Promise.all([0, 1].map(async () => { while (!hostileStop) await post(server.url, keys[worst!.shape.key], worst!.query); }))
        : Promise.resolve();
      const during = await closedLoop(4, 5, infer);
      hostileStop = true;
      await hostile;
      rows.push({ shape: 'others: 4 runInference clients, idle', aliases: 0, cost: 0, p50_ms: idle.p50, p95_ms: idle.p95, note: `${idle.rps.toFixed(0)} calls/s` });
      rows.push({ shape: `others: same, while 2 clients send "${worst?.shape.name}"`, aliases: 0, cost: 0, p50_ms: during.p50, p95_ms: during.p95, note: `${during.rps.toFixed(0)} calls/s` });
      return {
        title: `Query cost: the costliest admitted queries, PostgreSQL, ${RUNS} runs each`,
        rows,
        notes: ['Target (issue #13): the costliest admitted query answers within 250 ms while other clients keep their latency.'],
        result: {
          costliest_shape: worst?.shape.name ?? null,
          costliest_admitted_p95_ms: Math.round(worst?.p95 ?? NaN),
          others_p95_idle_ms: Math.round(idle.p95),
          others_p95_during_ms: Math.round(during.p95),
          others_p95_during_vs_idle: Number((during.p95 / idle.p95).toFixed(2)),
        },
      };
    } finally {
      await cleanup();
    }
  },
};
