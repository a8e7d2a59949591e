import { getIntrospectionQuery } from 'graphql';
import { startTestServer, TestServer } from '../support/test-server';

/** POSTs a raw body to /graphql as `key` and times the answer. */
async function post(t: TestServer, key: string, body: unknown) {
  const started = performance.now();
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as any;
  return { status: response.status, headers: response.headers, body: json, ms: performance.now() - started };
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

jest.setTimeout(180_000);

describe('hostile queries: no query can stall the server', () => {
  let t: TestServer;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestServer();
    const res = await t.graphql(t.keys.partner, '{ models(first: 1) { nodes { id } } }');
    modelId = res.data!.models.nodes[0].id;
  });
  afterAll(async () => t?.stop());

  it('refuses 3,000 aliases of node(id:) before running any: by size, and by cost when they fit the size', async () => {
    const big = await post(t, t.keys.partner, { query: aliases(3000, `node(id: "${modelId}") { id }`) });
    console.info(`3,000 node aliases: ${big.status} ${big.body.errors?.[0]?.extensions?.code} in ${big.ms.toFixed(0)} ms`);
    expect(big.status).toBe(413);
    expect(big.body.errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    const res = await post(t, t.keys.partner, { query: aliases(400, `node(id: "${modelId}") { id }`) });
    console.info(`400 node aliases: ${res.status} ${res.body.errors?.[0]?.extensions?.code} in ${res.ms.toFixed(0)} ms`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.body.errors[0].extensions.cost.requested).toBeGreaterThan(400_000);
    expect(res.body.data).toBeUndefined();
  });

  it('costs every root field and every alias: 100 aliases of models { totalCount } are refused', async () => {
    const res = await post(t, t.keys.partner, { query: aliases(100, 'models { totalCount }') });
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('admits the most expensive queries under the limit (timed; see the README)', async () => {
    const limit = 50_000;
    const candidates = [
      ['node', Math.floor(limit / 1001), `node(id: "${modelId}") { id }`],
      ['models { totalCount }', Math.floor(limit / 2021), 'models { totalCount }'],
      ['apiKeys(first: 10)', Math.floor(limit / 2031), 'apiKeys(first: 10) { totalCount nodes { id prefix } }'],
    ] as const;
    for (const [name, n, field] of candidates) {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const res = await post(t, t.keys.partner, { query: aliases(n, field) });
        expect(res.body.errors).toBeUndefined();
        expect(res.body.extensions.cost.requested).toBeLessThanOrEqual(limit);
        best = Math.min(best, res.ms);
      }
      console.info(`${n} aliases of ${name}: admitted, best of 3 ${best.toFixed(0)} ms`);
    }
  });

  it('refuses a 7 MB document as too large before parsing it', async () => {
    const res = await post(t, t.keys.partner, { query: `{ ${'viewer { id } '.repeat(500_000)} }` });
    console.info(`7 MB document: ${res.status} ${res.body.errors?.[0]?.extensions?.code} in ${res.ms.toFixed(0)} ms`);
    expect(res.status).toBe(413);
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    expect(res.body.errors[0].message).toMatch(/over the limit of 64000/);
  });

  it('stops parsing a document at its token limit', async () => {
    const query = `{ viewer { ${'id '.repeat(10_000)} } }`;
    expect(query.length).toBeLessThan(64_000);
    const res = await post(t, t.keys.partner, { query });
    console.info(`10,000-token document: ${res.status} ${res.body.errors?.[0]?.extensions?.code} in ${res.ms.toFixed(0)} ms`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.body.errors[0].message).toMatch(/5000 tokens/);
  });

  it('refuses a deeply nested document and a web of fragments before parsing, naming the limit', async () => {
    const deep = await post(t, t.keys.partner, { query: `{ models { nodes { ${'latestVersion { model { '.repeat(800)}id${' } }'.repeat(800)} } } }` });
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0]).toMatchObject({ message: expect.stringMatching(/nests 1603 levels deep, over the limit of 40/), extensions: { code: 'QUERY_TOO_COMPLEX' } });
    const web = await post(t, t.keys.partner, { query: `{ ...F0 } ${Array.from({ length: 300 }, (_, i) => `fragment F${i} on Query { viewer { id } ...F${(i + 1) % 300} }`).join(' ')}` });
    console.info(`300 fragments spreading each other: ${web.status} in ${web.ms.toFixed(0)} ms`);
    expect(web.body.errors[0]).toMatchObject({ message: expect.stringMatching(/defines 300 fragments, over the limit of 100/), extensions: { code: 'QUERY_TOO_COMPLEX' } });
    const introspection = await post(t, t.keys.partner, { query: getIntrospectionQuery() });
    expect(introspection.body.errors).toBeUndefined();
  });

  it('refuses a subscription operation with OPERATION_NOT_SUPPORTED, not INTERNAL', async () => {
    const res = await post(t, t.keys.partner, { query: 'subscription { viewer { id } }' });
    expect(res.body.errors[0].extensions.code).toBe('OPERATION_NOT_SUPPORTED');
    expect(res.status).toBe(400);
  });

  it('refuses 50 (or 11) aliases of createApiKey in one request and creates none', async () => {
    const before = await t.graphql(t.keys.partner, '{ apiKeys(first: 100) { totalCount } }');
    const flood = await post(t, t.keys.partner, { query: `mutation ${aliases(50, 'createApiKey(input: { name: "flood", roles: [PARTNER] }) { key }')}` });
    expect(flood.status).toBe(400);
    expect(['QUERY_TOO_COMPLEX', 'BAD_USER_INPUT']).toContain(flood.body.errors[0].extensions.code);
    const res = await post(t, t.keys.partner, { query: `mutation ${aliases(11, 'createApiKey(input: { name: "flood", roles: [PARTNER] }) { key }')}` });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors[0].message).toMatch(/at most 10 mutations; this one asks for 11/);
    const after = await t.graphql(t.keys.partner, '{ apiKeys(first: 100) { totalCount } }');
    expect(after.data!.apiKeys.totalCount).toBe(before.data!.apiKeys.totalCount);
  });
});

describe('hostile queries: tight budgets', () => {
  let t: TestServer;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        QUERY_COST_LIMIT: '100000000', EXECUTION_BUDGET_MS: '150', MUTATIONS_PER_KEY_PER_MINUTE: '4', MAX_LIVE_API_KEYS_PER_ORG: '3',
        QUERY_MAX_BYTES: '1000000', QUERY_MAX_TOKENS: '100000',
      },
    });
    const res = await t.graphql(t.keys.partner, '{ models(first: 1) { nodes { id } } }');
    modelId = res.data!.models.nodes[0].id;
  });
  afterAll(async () => t?.stop());

  it('aborts a request past its execution budget, and the server keeps answering others meanwhile', async () => {
    const attack = post(t, t.keys.partner, { query: aliases(1500, `node(id: "${modelId}") { id }`) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const healthStarted = performance.now();
    const health = await fetch(`${t.url}/health/ready`);
    const healthMs = performance.now() - healthStarted;
    const res = await attack;
    console.info(`1,500 node aliases with a 150 ms budget: answered in ${res.ms.toFixed(0)} ms; /health/ready meanwhile in ${healthMs.toFixed(0)} ms`);
    expect(health.status).toBe(200);
    expect(res.status).toBe(200);
    const codes = new Set(res.body.errors.map((e: any) => e.extensions.code));
    expect([...codes]).toEqual(['DEADLINE_EXCEEDED']);
    expect(res.body.errors[0].message).toMatch(/execution budget of 150 ms/);
    const answered = Object.values(res.body.data).filter((v) => v !== null).length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(1500);
    const after = await t.graphql(t.keys.partner, '{ viewer { id } }');
    expect(after.errors).toBeUndefined();
  });

  it('limits mutations per key per minute with RATE_LIMITED and Retry-After, and live keys per organisation', async () => {
    const create = (name: string) => post(t, t.keys.vendor, { query: `mutation { createApiKey(input: { name: "${name}", roles: [VENDOR] }) { key userErrors { code message } } }` });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await create(`k${i}`));
    const userErrors = answers.slice(0, 4).map((a) => a.body.data.createApiKey.userErrors[0]?.code ?? null);
    // the vendor organisation has one key from the seed: two more fit under 3, the fourth is refused
    expect(userErrors).toEqual([null, null, 'QUOTA_EXCEEDED', 'QUOTA_EXCEEDED']);
    expect(answers[2].body.data.createApiKey.userErrors[0].message).toMatch(/at most 3 unrevoked API keys/);
    expect(answers[4].status).toBe(429);
    expect(answers[4].body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(Number(answers[4].headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
