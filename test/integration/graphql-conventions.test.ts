import { startTestServer, TestServer } from '../support/test-server';

describe('GraphQL conventions', () => {
  let t: TestServer;
  const statements: string[] = [];
  let counting = false;

  beforeAll(async () => {
    t = await startTestServer({ server: { onSqlStatement: (sql) => counting && statements.push(sql) } });
  });
  afterAll(async () => t?.stop());

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('answers malformed GraphQL with 400 and GRAPHQL_PARSE_FAILED', async () => {
    const res = await post({ query: '{ models(first: 10) { edges ' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('answers an unknown field with 400 and GRAPHQL_VALIDATION_FAILED naming it', async () => {
    const res = await post({ query: '{ models { edges { node { price } } } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors[0].message).toContain('price');
  });

  it('answers a wrong argument type with 400', async () => {
    const res = await post({ query: '{ models(first: "ten") { totalCount } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toContain('Int');
  });

  it('answers a body that is not JSON with 400', async () => {
    const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}` }, body: '{"query": ' });
    expect(res.status).toBe(400);
  });

  it.each([[101, 'at most 100'], [0, 'at least 1']])('refuses first: %s with BAD_USER_INPUT', async (first, message) => {
    const res = await post({ query: `{ models(first: ${first}) { totalCount } }` });
    expect(res.body.data).toBeNull();
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors[0].message).toContain(message);
  });

  it('pages with cursors and refuses a forged cursor', async () => {
    const first = await post({ query: '{ models(first: 2) { totalCount edges { cursor node { slug } } pageInfo { hasNextPage endCursor } } }' });
    const page1 = first.body.data.models;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await post({ query: 'query($after: String) { models(first: 2, after: $after) { edges { node { slug } } pageInfo { hasNextPage } } }', variables: { after: page1.pageInfo.endCursor } });
    const slugs = [...page1.edges, ...second.body.data.models.edges].map((e: any) => e.node.slug);
    expect(new Set(slugs).size).toBe(page1.totalCount);
    expect(second.body.data.models.pageInfo.hasNextPage).toBe(false);
    const forged = await post({ query: '{ models(first: 2, after: "not-a-cursor") { totalCount } }' });
    expect(forged.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('filters the catalogue by task, tag, vendor and search', async () => {
    const byTask = await post({ query: '{ models(filter: { task: TEXT_EMBEDDING }) { nodes { slug } } }' });
    expect(byTask.body.data.models.nodes).toEqual([{ slug: 'review-embedder' }]);
    const bySearch = await post({ query: '{ models(filter: { search: "LOAN" }) { nodes { slug vendor { id name } } } }' });
    expect(bySearch.body.data.models.nodes).toEqual([{ slug: 'credit-risk', vendor: { id: expect.any(String), name: 'Northwind AI' } }]);
    const vendorId = bySearch.body.data.models.nodes[0].vendor.id;
    const byVendor = await post({ query: 'query($v: ID!) { models(filter: { vendorId: $v, tag: "nlp" }) { totalCount } }', variables: { v: vendorId } });
    expect(byVendor.body.data.models.totalCount).toBe(2);
    const badVendor = await post({ query: '{ models(filter: { vendorId: "gid://marketplace/Model/1" }) { totalCount } }' });
    expect(badVendor.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('resolves node(id:) for any object and null for nonsense', async () => {
    const list = await post({ query: '{ models(first: 1) { nodes { id latestVersion { id } plans { id } } } }' });
    const model = list.body.data.models.nodes[0];
    for (const id of [model.id, model.latestVersion.id, model.plans[0].id]) {
      const res = await post({ query: 'query($id: ID!) { node(id: $id) { id __typename } }', variables: { id } });
      expect(res.body.data.node.id).toBe(id);
    }
    const nonsense = await post({ query: '{ node(id: "gid://marketplace/Model/not-a-uuid") { id } }' });
    expect(nonsense.body.data.node).toBeNull();
  });

  it('refuses an over-costly query before running it, and reports the cost of every response', async () => {
    const cheap = await post({ query: '{ viewer { id } }' });
    expect(cheap.body.extensions.cost).toEqual({ requested: expect.any(Number), limit: 50000 });
    const costly = await post({ query: '{ models(first: 100) { nodes { versions(first: 100) { nodes { id version sha256 bytes labels createdAt status } } } } }' });
    expect(costly.status).toBe(400);
    expect(costly.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(costly.body.errors[0].extensions.cost.requested).toBeGreaterThan(50000);
  });

  it('costs the same query text anew for variables that change its cost (first, @include)', async () => {
    const query = 'query($n: Int, $deep: Boolean!) { models(first: $n) { nodes { id versions(first: $n) @include(if: $deep) { nodes { id version sha256 bytes labels createdAt status } } } } }';
    const cost = async (variables: Record<string, unknown>) => {
      const res = await post({ query, variables });
      return { status: res.status, code: res.body.errors?.[0]?.extensions.code, requested: (res.body.extensions?.cost ?? res.body.errors?.[0]?.extensions.cost)?.requested };
    };
    const small = await cost({ n: 2, deep: true });
    expect(small.status).toBe(200);
    const shallow = await cost({ n: 100, deep: false });
    expect(shallow.status).toBe(200);
    const deep = await cost({ n: 100, deep: true });
    expect(deep).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX' });
    expect(deep.requested).toBeGreaterThan(50000);
    expect(shallow.requested).toBeGreaterThan(small.requested);
    expect(await cost({ n: 2, deep: true })).toEqual(small);
  });

  it('sends no stack traces by default, outside production too', async () => {
    const refused = await post({ query: 'mutation { createModel(input: { slug: "x-y-z", name: "n", task: TENSOR }) { model { id } } }' });
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const unauthenticated = await post({ query: '{ viewer { id } }' }, { authorization: 'Bearer mk_live_nope' });
    expect(unauthenticated.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify([refused.body, unauthenticated.body])).not.toMatch(/stacktrace|\.ts:\d+/);
  });

  it('prevents CSRF: a GET query without a preflight header is refused', async () => {
    const response = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ viewer { id } }')}`, { headers: { authorization: `Bearer ${t.keys.partner}` } });
    expect(response.status).toBe(400);
    const allowed = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ viewer { id } }')}`, { headers: { authorization: `Bearer ${t.keys.partner}`, 'apollo-require-preflight': 'true' } });
    expect(allowed.status).toBe(200);
  });

  it('lists 100 models with vendor, versions and plans in as many SQL statements as 5', async () => {
    const vendorOrg = (await t.server.dataSource.query(`SELECT id FROM organization WHERE name = 'Northwind AI'`))[0].id;
    const version = (await t.server.dataSource.query(`SELECT * FROM model_version LIMIT 1`))[0];
    for (let i = 0; i < 100; i++) {
      const [model] = await t.server.dataSource.query(`INSERT INTO model (organization_id, slug, name, task) VALUES ($1, $2, $3, 'TENSOR') RETURNING id`, [vendorOrg, `bulk-${i}`, `Bulk ${i}`]);
      for (const v of ['1.0.0', '1.1.0']) {
        await t.server.dataSource.query(`INSERT INTO model_version (model_id, version, status, file_id, sha256, bytes, signature, published_at) VALUES ($1, $2, 'PUBLISHED', $3, $4, $5, $6, now())`,
          [model.id, v, version.file_id, version.sha256, version.bytes, JSON.stringify(version.signature)]);
      }
      const [plan] = await t.server.dataSource.query(`INSERT INTO plan (model_id, name, currency, flat_fee_minor, limits) VALUES ($1, 'Basic', 'USD', 100, '{"requestsPerMinute": null, "monthlyCaps": []}') RETURNING id`, [model.id]);
      await t.server.dataSource.query(`INSERT INTO plan_charge (plan_id, meter, pricing, unit_price) VALUES ($1, 'REQUESTS', 'STANDARD', '0.001')`, [plan.id]);
    }
    const query = (first: number) => `{ models(first: ${first}, filter: { search: "bulk" }) { totalCount nodes { slug vendor { name }
      latestVersion { version signature { inputs { name } } } versions(first: 5) { totalCount nodes { version } }
      plans { name flatFee { formatted } charges { meter unitPrice } } } } }`;
    await post({ query: '{ viewer { id } }' });
    const countFor = async (first: number) => {
      statements.length = 0;
      counting = true;
      const res = await post({ query: query(first) });
      counting = false;
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.models.nodes).toHaveLength(first);
      expect(res.body.data.models.nodes[first - 1].versions.totalCount).toBe(2);
      return statements.filter((sql) => !/^(START TRANSACTION|COMMIT|BEGIN)/i.test(sql)).length;
    };
    const five = await countFor(5);
    const hundred = await countFor(100);
    expect(hundred).toBe(five);
    expect(hundred).toBeLessThanOrEqual(7);
  });
});

describe('production mode', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => t?.stop());

  it('refuses introspection and sends no stack traces', async () => {
    const introspection = await t.graphql(t.keys.partner, '{ __schema { types { name } } }');
    expect(introspection.status).toBe(400);
    expect(introspection.errors![0].message).toMatch(/introspection/i);
    const failed = await t.graphql(t.keys.partner, 'mutation { createModel(input: { slug: "x-y-z", name: "n", task: TENSOR }) { model { id } } }');
    expect(failed.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(JSON.stringify(failed)).not.toMatch(/stacktrace|\.ts:\d+/);
  });
});

describe('GRAPHQL_STACK_TRACES=true (debugging)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { GRAPHQL_STACK_TRACES: 'true' } });
  });
  afterAll(async () => t?.stop());

  it('adds the stack trace to an error', async () => {
    const failed = await t.graphql(t.keys.partner, 'mutation { createModel(input: { slug: "x-y-z", name: "n", task: TENSOR }) { model { id } } }');
    expect(failed.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(failed.errors![0].extensions!.stacktrace).toEqual(expect.arrayContaining([expect.stringMatching(/\.ts:\d+/)]));
  });
});
