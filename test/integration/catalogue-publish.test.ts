import { buildTabularMlp } from '../../inference';
import { startTestServer, TestServer } from '../support/test-server';
import { uploadFile } from '../support/upload';

const MAX_UPLOAD = 8 * 1024 * 1024; // the demo sentiment model is about 4 MB

const CREATE_MODEL = `mutation($input: CreateModelInput!) { createModel(input: $input) { model { id slug task tags } userErrors { code field message } } }`;
const PUBLISH = `mutation($input: PublishModelVersionInput!) { publishModelVersion(input: $input) {
  version { id version status sha256 bytes signature { inputs { name type shape dimensions } outputs { name type shape } } labels }
  userErrors { code field message } } }`;
const CREATE_PLAN = `mutation($input: CreatePlanInput!) { createPlan(input: $input) {
  plan { id name currency flatFee { amountMinor currency formatted } limits { requestsPerMinute monthlyCaps { meter quantity } }
    charges { meter pricing unitPrice packageSize freeUnits tiers { upTo unitPrice } } }
  userErrors { code field message } } }`;

describe('publishing to the catalogue', () => {
  let t: TestServer;
  let modelId: string;
  const mlp = buildTabularMlp({ inputSize: 4, hiddenSizes: [8], outputSize: 3, seed: 7 });

  beforeAll(async () => {
    t = await startTestServer({ env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD) } });
    const res = await t.graphql(t.keys.vendor, CREATE_MODEL, { input: { slug: 'iris-mlp', name: 'Iris MLP', task: 'TENSOR', tags: ['tabular'] } });
    modelId = res.data!.createModel.model.id;
  });
  afterAll(async () => t?.stop());

  async function versionCount(): Promise<number> {
    const rows = await t.server.dataSource.query('SELECT count(*)::int AS n FROM model_version');
    return rows[0].n;
  }

  it('publishes an uploaded ONNX file with the signature read from it', async () => {
    const upload = await uploadFile(t.url, t.keys.vendor, 'model', mlp);
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ id: expect.stringMatching(/^gid:\/\/marketplace\/File\//), bytes: mlp.length, purpose: 'model', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const res = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId, fileId: upload.body.id, version: '1.0.0' } });
    expect(res.data!.publishModelVersion.userErrors).toEqual([]);
    const version = res.data!.publishModelVersion.version;
    expect(version).toMatchObject({ version: '1.0.0', status: 'PUBLISHED', sha256: upload.body.sha256, bytes: mlp.length });
    expect(version.signature.inputs).toEqual([{ name: 'features', type: 'float32', shape: [null, 4], dimensions: ['batch', '4'] }]);
    expect(version.signature.outputs[0]).toMatchObject({ name: 'scores', shape: [null, 3] });

    const partner = await t.graphql(t.keys.partner, '{ models(first: 10, filter: { tag: "tabular" }) { nodes { slug latestVersion { version } } } }');
    expect(partner.data!.models.nodes.map((m: any) => m.slug)).toContain('iris-mlp');
  });

  it('refuses a second version with the same version string (CONFLICT)', async () => {
    const upload = await uploadFile(t.url, t.keys.vendor, 'model', mlp);
    const res = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId, fileId: upload.body.id, version: '1.0.0' } });
    expect(res.data!.publishModelVersion).toMatchObject({ version: null, userErrors: [{ code: 'CONFLICT', field: ['input', 'version'] }] });
  });

  it.each([
    ['a file that is not ONNX', Buffer.from('this is certainly not a protobuf model file '.repeat(20))],
    ['a truncated ONNX file', Buffer.from(buildTabularMlp({ inputSize: 4, hiddenSizes: [8], outputSize: 3, seed: 8 })).subarray(0, 300)],
  ])('refuses %s with INVALID_MODEL and the loader\'s reason, publishing nothing', async (_what, bytes) => {
    const before = await versionCount();
    const upload = await uploadFile(t.url, t.keys.vendor, 'model', bytes);
    expect(upload.status).toBe(201);
    const res = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId, fileId: upload.body.id, version: '9.9.9' } });
    const payload = res.data!.publishModelVersion;
    expect(payload.version).toBeNull();
    expect(payload.userErrors[0]).toMatchObject({ code: 'INVALID_MODEL', field: ['input', 'fileId'] });
    expect(payload.userErrors[0].message.length).toBeGreaterThan(40);
    expect(await versionCount()).toBe(before);
  });

  it('refuses a text classifier without labels or tokenizer spec', async () => {
    const created = await t.graphql(t.keys.vendor, CREATE_MODEL, { input: { slug: 'text-mlp', name: 'Text?', task: 'TEXT_CLASSIFICATION' } });
    const upload = await uploadFile(t.url, t.keys.vendor, 'model', mlp);
    const res = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId: created.data!.createModel.model.id, fileId: upload.body.id, version: '1' } });
    expect(res.data!.publishModelVersion.userErrors[0]).toMatchObject({ code: 'INVALID_MODEL', field: ['input', 'preprocessing'] });
  });

  it('refuses a file of another organisation and a dataset file', async () => {
    const dataset = await uploadFile(t.url, t.keys.partner, 'dataset', Buffer.from('text,label\nhello,positive\n'));
    expect(dataset.status).toBe(201);
    const res = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId, fileId: dataset.body.id, version: '2.0.0' } });
    expect(res.data!.publishModelVersion.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'fileId'] })]);
  });

  it('deprecates a published version once', async () => {
    const model = await t.graphql(t.keys.vendor, `query($id: ID!) { model(id: $id) { versions(first: 5) { nodes { id } } } }`, { id: modelId });
    const versionId = model.data!.model.versions.nodes[0].id;
    const mutation = `mutation($id: ID!) { deprecateModelVersion(input: { versionId: $id }) { version { status } userErrors { code } } }`;
    expect((await t.graphql(t.keys.vendor, mutation, { id: versionId })).data!.deprecateModelVersion).toEqual({ version: { status: 'DEPRECATED' }, userErrors: [] });
    expect((await t.graphql(t.keys.vendor, mutation, { id: versionId })).data!.deprecateModelVersion).toEqual({ version: null, userErrors: [{ code: 'INVALID_STATE' }] });
    expect((await t.graphql(t.keys.partner, mutation, { id: versionId })).errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  describe('models', () => {
    it.each([
      ['an invalid slug', { slug: 'Bad Slug!', name: 'x', task: 'TENSOR' }, 'slug must be'],
      ['too many tags', { slug: 'many-tags', name: 'x', task: 'TENSOR', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags must be at most 20'],
      ['an empty name', { slug: 'empty-name', name: '', task: 'TENSOR' }, 'name must be 1 to 120'],
    ])('refuses %s with BAD_USER_INPUT naming the problem', async (_what, input, message) => {
      const res = await t.graphql(t.keys.vendor, CREATE_MODEL, { input });
      expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0].message).toContain(message);
    });

    it('refuses an unknown task enum value', async () => {
      const res = await t.graphql(t.keys.vendor, CREATE_MODEL, { input: { slug: 'x-task', name: 'x', task: 'IMAGE' } });
      expect(res.status).toBe(400);
      expect(res.errors![0].message).toContain('IMAGE');
    });

    it('refuses a duplicate slug with CONFLICT and creates nothing', async () => {
      const res = await t.graphql(t.keys.vendor, CREATE_MODEL, { input: { slug: 'review-sentiment', name: 'Copy', task: 'TENSOR' } });
      expect(res.data!.createModel).toMatchObject({ model: null, userErrors: [{ code: 'CONFLICT', field: ['input', 'slug'] }] });
      const rows = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM model WHERE slug = 'review-sentiment'`);
      expect(rows[0].n).toBe(1);
    });

    it('keeps drafts (no published version) out of partners\' sight', async () => {
      const created = await t.graphql(t.keys.vendor, CREATE_MODEL, { input: { slug: 'draft-only', name: 'Draft', task: 'TENSOR' } });
      const id = created.data!.createModel.model.id;
      expect((await t.graphql(t.keys.vendor, `query($id: ID!) { model(id: $id) { slug } }`, { id })).data!.model).toEqual({ slug: 'draft-only' });
      expect((await t.graphql(t.keys.partner, `query($id: ID!) { model(id: $id) { slug } }`, { id })).data!.model).toBeNull();
      expect((await t.graphql(t.keys.partner, `query($id: ID!) { node(id: $id) { id } }`, { id })).data!.node).toBeNull();
    });
  });

  describe('plans', () => {
    it('creates a plan with tiered and package charges, money in minor units', async () => {
      const res = await t.graphql(t.keys.vendor, CREATE_PLAN, { input: {
        modelId, name: 'Growth', currency: 'USD', flatFeeMinor: '4900',
        charges: [
          { meter: 'REQUESTS', pricing: 'GRADUATED', tiers: [{ upTo: '1000', unitPrice: '0.01' }, { unitPrice: '0.005' }] },
          { meter: 'INPUT_TOKENS', pricing: 'PACKAGE', unitPrice: '0.5', packageSize: '1000', freeUnits: '10000' },
        ],
        limits: { requestsPerMinute: 100, monthlyCaps: [{ meter: 'REQUESTS', quantity: '50000' }] },
      } });
      const payload = res.data!.createPlan;
      expect(payload.userErrors).toEqual([]);
      expect(payload.plan.flatFee).toEqual({ amountMinor: 4900, currency: 'USD', formatted: '$49.00' });
      expect(payload.plan.charges[0]).toEqual({ meter: 'REQUESTS', pricing: 'GRADUATED', unitPrice: null, packageSize: null, freeUnits: 0, tiers: [{ upTo: 1000, unitPrice: '0.01' }, { upTo: null, unitPrice: '0.005' }] });
      expect(payload.plan.charges[1]).toMatchObject({ pricing: 'PACKAGE', unitPrice: '0.5', packageSize: 1000, freeUnits: 10000 });
      expect(payload.plan.limits).toEqual({ requestsPerMinute: 100, monthlyCaps: [{ meter: 'REQUESTS', quantity: 50000 }] });
    });

    it('formats JPY without decimals', async () => {
      const res = await t.graphql(t.keys.vendor, CREATE_PLAN, { input: { modelId, name: 'Japan', currency: 'JPY', flatFeeMinor: '1200', charges: [] } });
      expect(res.data!.createPlan.plan.flatFee.formatted).toBe('¥1,200');
    });

    it.each([
      ['STANDARD without unitPrice', [{ meter: 'REQUESTS', pricing: 'STANDARD' }], 'unitPrice'],
      ['a float-looking price', [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '1e-3' }], 'unitPrice'],
      ['GRADUATED tiers out of order', [{ meter: 'REQUESTS', pricing: 'GRADUATED', tiers: [{ upTo: '100', unitPrice: '1' }, { upTo: '50', unitPrice: '1' }, { unitPrice: '1' }] }], 'tiers'],
      ['VOLUME with a bounded last tier', [{ meter: 'REQUESTS', pricing: 'VOLUME', tiers: [{ upTo: '100', unitPrice: '1' }] }], 'tiers'],
      ['PACKAGE without packageSize', [{ meter: 'REQUESTS', pricing: 'PACKAGE', unitPrice: '1' }], 'packageSize'],
      ['the same meter twice', [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '1' }, { meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '2' }], 'meter'],
    ])('refuses %s, naming the field, and writes nothing', async (_what, charges, field) => {
      const before = await t.server.dataSource.query('SELECT count(*)::int AS n FROM plan');
      const res = await t.graphql(t.keys.vendor, CREATE_PLAN, { input: { modelId, name: 'Bad', currency: 'USD', flatFeeMinor: '0', charges } });
      expect(res.data!.createPlan.plan).toBeNull();
      expect(res.data!.createPlan.userErrors[0]).toMatchObject({ code: 'INVALID', field: expect.arrayContaining([field]) });
      const after = await t.server.dataSource.query('SELECT count(*)::int AS n FROM plan');
      expect(after[0].n).toBe(before[0].n);
    });

    it('refuses an unsupported currency and a negative fee', async () => {
      const currency = await t.graphql(t.keys.vendor, CREATE_PLAN, { input: { modelId, name: 'X', currency: 'ABC', flatFeeMinor: '0', charges: [] } });
      expect(currency.data!.createPlan.userErrors[0]).toMatchObject({ code: 'INVALID', field: ['input', 'currency'] });
      const fee = await t.graphql(t.keys.vendor, CREATE_PLAN, { input: { modelId, name: 'X', currency: 'USD', flatFeeMinor: '-1', charges: [] } });
      expect(fee.data!.createPlan.userErrors[0]).toMatchObject({ code: 'INVALID', field: ['input', 'flatFeeMinor'] });
    });
  });

  describe('uploads', () => {
    it('answers 413 past the size limit and stores nothing', async () => {
      const before = await t.server.dataSource.query('SELECT count(*)::int AS n FROM stored_file');
      const res = await uploadFile(t.url, t.keys.vendor, 'model', Buffer.alloc(MAX_UPLOAD + 1024, 1));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      const after = await t.server.dataSource.query('SELECT count(*)::int AS n FROM stored_file');
      expect(after[0].n).toBe(before[0].n);
    });

    it('answers 413 for a chunked upload past the limit (no Content-Length)', async () => {
      const chunks = (async function* () {
        for (let i = 0; i < 5; i++) yield new Uint8Array(MAX_UPLOAD / 2);
      })();
      const response = await fetch(`${t.url}/v1/files?purpose=model`, {
        method: 'POST', headers: { authorization: `Bearer ${t.keys.vendor}` }, body: chunks as any, duplex: 'half',
      } as RequestInit).catch((error) => ({ status: -1, error }));
      expect([413, -1]).toContain((response as Response).status);
      if ((response as Response).status === 413) expect(((await (response as Response).json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses an unknown key as the GraphQL endpoint does, saying so', async () => {
      const res = await uploadFile(t.url, 'mk_00000000_' + 'A'.repeat(43), 'model', Buffer.from('x'));
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ code: 'UNAUTHENTICATED', message: 'The API key is malformed, unknown or revoked' });
    });

    it.each([
      ['no key', null, 'model', 401, 'UNAUTHENTICATED'],
      ['a partner uploading a model', 'partner', 'model', 403, 'FORBIDDEN'],
      ['an unknown purpose', 'vendor', 'weights', 400, 'BAD_USER_INPUT'],
    ])('refuses %s', async (_what, who, purpose, status, code) => {
      const key = who ? (t.keys as any)[who] : null;
      const res = await uploadFile(t.url, key, purpose, Buffer.from('x'));
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });

    it('refuses an empty body', async () => {
      const res = await uploadFile(t.url, t.keys.vendor, 'model', Buffer.alloc(0));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('empty');
    });
  });
});
