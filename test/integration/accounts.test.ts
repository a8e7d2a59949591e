import { startTestServer, TestServer } from '../support/test-server';

const VIEWER = '{ viewer { id roles organization { id name kind } } }';

describe('accounts and API keys', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.stop());

  it('tells the caller who it is', async () => {
    const res = await t.graphql(t.keys.partner, VIEWER);
    expect(res.data!.viewer).toMatchObject({ roles: ['PARTNER'], organization: { name: 'Contoso', kind: 'PARTNER' } });
    expect(res.data!.viewer.id).toMatch(/^gid:\/\/marketplace\/ApiKey\//);
  });

  it.each([
    ['no Authorization header', null, 401],
    ['a malformed key', 'not-a-key', 401],
    ['a well-formed but unknown key', 'mk_00000000_' + 'A'.repeat(43), 401],
  ])('refuses %s with UNAUTHENTICATED', async (_what, key, status) => {
    const res = await t.graphql(key, VIEWER);
    expect(res.status).toBe(status);
    expect(res.data?.viewer ?? null).toBeNull();
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a non-Bearer Authorization header', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${t.keys.partner}` },
      body: JSON.stringify({ query: VIEWER }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('issues a key shown once, stores no secret, and revokes it', async () => {
    const created = await t.graphql(t.keys.partner, `mutation { createApiKey(input: { name: "CI", roles: [PARTNER] }) {
      key apiKey { id prefix roles revokedAt } userErrors { code message } } }`);
    const { key, apiKey } = created.data!.createApiKey;
    expect(key).toMatch(/^mk_[0-9a-f]{8}_/);
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    expect((await t.graphql(key, VIEWER)).data!.viewer.roles).toEqual(['PARTNER']);

    const stored = await t.server.dataSource.query('SELECT secret_hash FROM api_key WHERE prefix = $1', [apiKey.prefix]);
    // The secret is everything after the prefix; base64url may put '_' anywhere in it, even first.
    const secret = key.slice(apiKey.prefix.length + 1);
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect(stored[0].secret_hash).not.toContain(secret);

    const listed = await t.graphql(t.keys.partner, '{ apiKeys(first: 50) { totalCount nodes { id prefix } } }');
    expect(listed.data!.apiKeys.nodes.map((k: any) => k.id)).toContain(apiKey.id);
    expect(JSON.stringify(listed.data)).not.toContain(key);

    const revoked = await t.graphql(t.keys.partner, `mutation($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { apiKey { revokedAt } userErrors { code } } }`, { id: apiKey.id });
    expect(revoked.data!.revokeApiKey.apiKey.revokedAt).toEqual(expect.any(String));
    const after = await t.graphql(key, VIEWER);
    expect(after.status).toBe(401);
    expect(after.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('records when a key was last used', async () => {
    await t.graphql(t.keys.finance, VIEWER);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const res = await t.graphql(t.keys.finance, '{ apiKeys(first: 10) { nodes { name lastUsedAt } } }');
    const finance = res.data!.apiKeys.nodes.find((k: any) => k.name.includes('finance'));
    expect(finance.lastUsedAt).toEqual(expect.any(String));
  });

  it('does not let a key grant roles it does not hold', async () => {
    const res = await t.graphql(t.keys.finance, 'mutation { createApiKey(input: { name: "x", roles: [PARTNER] }) { key userErrors { code field message } } }');
    expect(res.data!.createApiKey).toMatchObject({ key: null, userErrors: [{ code: 'FORBIDDEN', field: ['input', 'roles'] }] });
  });

  it('refuses roles the organisation kind cannot hold, even to ADMIN', async () => {
    const viewer = await t.graphql(t.keys.partner, VIEWER);
    const res = await t.graphql(t.keys.admin, `mutation($org: ID!) { createApiKey(input: { name: "x", roles: [VENDOR], organizationId: $org }) { key userErrors { code message } } }`,
      { org: viewer.data!.viewer.organization.id });
    expect(res.data!.createApiKey.key).toBeNull();
    expect(res.data!.createApiKey.userErrors[0]).toMatchObject({ code: 'INVALID', message: expect.stringContaining('PARTNER organisation cannot hold the roles VENDOR') });
  });

  it('answers FORBIDDEN for a role the key lacks, naming the roles needed', async () => {
    const res = await t.graphql(t.keys.partner, 'mutation { createModel(input: { slug: "nope", name: "n", task: TENSOR }) { model { id } } }');
    expect(res.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(res.errors![0].message).toContain('VENDOR');
    const count = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM model WHERE slug = 'nope'`);
    expect(count[0].n).toBe(0);
  });

  it('lets only ADMIN create organisations, with a supported currency', async () => {
    const denied = await t.graphql(t.keys.vendor, 'mutation { createOrganization(input: { name: "Fabrikam", kind: PARTNER }) { organization { id } } }');
    expect(denied.errors![0].extensions!.code).toBe('FORBIDDEN');
    const badCurrency = await t.graphql(t.keys.admin, 'mutation { createOrganization(input: { name: "Fabrikam", kind: PARTNER, billingCurrency: "XYZ" }) { organization { id } userErrors { code field } } }');
    expect(badCurrency.data!.createOrganization).toEqual({ organization: null, userErrors: [{ code: 'INVALID', field: ['input', 'billingCurrency'] }] });
    const created = await t.graphql(t.keys.admin, 'mutation { createOrganization(input: { name: "Fabrikam", kind: PARTNER, billingCurrency: "EUR" }) { organization { name kind billingCurrency } userErrors { code } } }');
    expect(created.data!.createOrganization.organization).toEqual({ name: 'Fabrikam', kind: 'PARTNER', billingCurrency: 'EUR' });
  });

  it("answers NOT_FOUND for another organisation's objects", async () => {
    const vendorKeys = await t.graphql(t.keys.vendor, '{ apiKeys(first: 10) { nodes { id } } }');
    const vendorKeyId = vendorKeys.data!.apiKeys.nodes[0].id;
    const revoke = await t.graphql(t.keys.partner, `mutation($id: ID!) { revokeApiKey(input: { apiKeyId: $id }) { apiKey { id } userErrors { code } } }`, { id: vendorKeyId });
    expect(revoke.data!.revokeApiKey).toEqual({ apiKey: null, userErrors: [{ code: 'NOT_FOUND' }] });
    const node = await t.graphql(t.keys.partner, `query($id: ID!) { node(id: $id) { id } }`, { id: vendorKeyId });
    expect(node.data!.node).toBeNull();
    expect((await t.graphql(t.keys.vendor, VIEWER)).status).toBe(200);
  });
});
