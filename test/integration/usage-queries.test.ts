import { buildDemoModels } from '../../inference';
import { RequestContext } from '../../api/context';
import { UsageBucketSize, UsageGroupBy } from '../../schema/metering/metering.inputs';
import { createPartner, demoModels, DemoModelRef, runInference, subscribe, usageTotals } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';
import { uploadFile } from '../support/upload';

const FEATURES = { features: { type: 'float32', dims: [1, 5], data: [0.1, 0.2, 0.3, 0.4, 0.5] } };
const USAGE = `query($filter: UsageFilter!, $bucket: UsageBucketSize, $groupBy: [UsageGroupBy!]) {
  usage(filter: $filter, bucket: $bucket, groupBy: $groupBy) { start end meter quantity model { slug } apiKey { id } subscription { id } } }`;

/**
 * The server's clock: real time running from the middle of a month (a fixed day), so that what
 * depends on the calendar (the open period, the closed one before it, its grace period, DAY
 * buckets) is the same whenever the suite runs, the first hour of a month included.
 */
const clock = (() => {
  const [pinned, started] = [Date.parse('2026-10-15T12:00:00.000Z'), Date.now()];
  return { now: () => new Date(pinned + (Date.now() - started)) };
})();

function window(hours = 24) {
  const now = clock.now().getTime();
  return { from: new Date(now - hours * 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() };
}

/** A second vendor with its own published model (the credit-risk network under another slug) and a plan. */
async function otherVendorModel(t: TestServer): Promise<{ vendorKey: string; modelId: string; planId: string }> {
  const org = await t.graphql(t.keys.admin, 'mutation { createOrganization(input: { name: "Fourth Coffee AI", kind: VENDOR }) { organization { id } } }');
  const issued = await t.graphql(t.keys.admin, 'mutation($org: ID!) { createApiKey(input: { name: "v", roles: [VENDOR], organizationId: $org }) { key } }', { org: org.data!.createOrganization.organization.id });
  const vendorKey = issued.data!.createApiKey.key;
  const demo = buildDemoModels().find((m) => m.key === 'credit-risk')!;
  const file = await uploadFile(t.url, vendorKey, 'model', Buffer.from(demo.onnx));
  const model = await t.graphql(vendorKey, 'mutation { createModel(input: { slug: "risk-two", name: "Risk two", task: TENSOR }) { model { id } } }');
  const modelId = model.data!.createModel.model.id;
  const published = await t.graphql(vendorKey, 'mutation($m: ID!, $f: ID!) { publishModelVersion(input: { modelId: $m, fileId: $f, version: "1.0.0" }) { version { id } userErrors { message } } }', { m: modelId, f: file.body.id });
  expect(published.data!.publishModelVersion.userErrors).toEqual([]);
  const plan = await t.graphql(vendorKey, 'mutation($m: ID!) { createPlan(input: { modelId: $m, name: "Basic", currency: "USD", charges: [] }) { plan { id } } }', { m: modelId });
  return { vendorKey, modelId, planId: plan.data!.createPlan.plan.id };
}

describe('usage queries and corrections', () => {
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  let other: string;
  let otherVendor: Awaited<ReturnType<typeof otherVendorModel>>;
  beforeAll(async () => {
    t = await startTestServer({ server: { now: clock.now } });
    models = await demoModels(t);
    other = await createPartner(t, 'Margie Travel');
    otherVendor = await otherVendorModel(t);
    await subscribe(t, t.keys.partner, models['review-sentiment'].plans['Scale']);
    await subscribe(t, t.keys.partner, models['credit-risk'].plans['Scale']);
    await subscribe(t, t.keys.partner, otherVendor.planId);
    await subscribe(t, other, models['review-sentiment'].plans['Pay as you go']);
    for (let i = 0; i < 3; i++) await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: [`call ${i} was great`], requestId: `sent-${i}` });
    for (let i = 0; i < 2; i++) await runInference(t, t.keys.partner, { modelId: models['credit-risk'].id, inputs: FEATURES });
    await runInference(t, t.keys.partner, { modelId: otherVendor.modelId, inputs: FEATURES });
    for (let i = 0; i < 4; i++) await runInference(t, other, { modelId: models['review-sentiment'].id, texts: ['fine'] });
  });
  afterAll(async () => t?.stop());

  it("sums the partner's REQUESTS per model in DAY buckets aligned to UTC days", async () => {
    const res = await t.graphql(t.keys.partner, USAGE, { filter: { ...window(), meter: 'REQUESTS' }, bucket: 'DAY', groupBy: ['MODEL'] });
    expect(res.errors).toBeUndefined();
    const byModel: Record<string, number> = {};
    for (const b of res.data!.usage) {
      byModel[b.model.slug] = (byModel[b.model.slug] ?? 0) + b.quantity;
      expect(b.start).toMatch(/T00:00:00.000Z$/);
      expect(Date.parse(b.end) - Date.parse(b.start)).toBe(86_400_000);
    }
    expect(byModel).toEqual({ 'review-sentiment': 3, 'credit-risk': 2, 'risk-two': 1 });
  });

  it('buckets by UTC hours and days whatever the database session\'s time zone', async () => {
    const principal = await t.server.services.apiKeys.authenticate(t.keys.partner, clock.now());
    const filter = { from: new Date(clock.now().getTime() - 48 * 3_600_000), to: new Date(clock.now().getTime() + 3_600_000) };
    for (const [bucket, aligned] of [[UsageBucketSize.DAY, /T00:00:00.000Z$/], [UsageBucketSize.HOUR, /:00:00.000Z$/]] as const) {
      // Chatham is UTC+13:45: a bucket cut in session time would start at :15 or :45
      const buckets = await t.server.dataSource.transaction(async (db) => {
        await db.query("SET LOCAL TIME ZONE 'Pacific/Chatham'");
        const ctx = { principal, db, services: t.server.services, now: clock.now } as unknown as RequestContext;
        return t.server.services.usageQueries.buckets(ctx, filter as never, bucket, [UsageGroupBy.MODEL]);
      });
      expect(buckets.length).toBeGreaterThan(0);
      buckets.forEach((b) => expect(b.start.toISOString()).toMatch(aligned));
      expect(buckets.filter((b) => b.meter === 'REQUESTS').reduce((n, b) => n + Number(b.quantity), 0)).toBe(6);
    }
  });

  it('splits by meter always, and by API key and subscription on request (HOUR buckets)', async () => {
    const res = await t.graphql(t.keys.partner, USAGE, { filter: window(), bucket: 'HOUR', groupBy: ['API_KEY', 'SUBSCRIPTION'] });
    const buckets = res.data!.usage;
    const meters = new Set(buckets.map((b: any) => b.meter));
    expect(meters.has('REQUESTS') && meters.has('INPUT_TOKENS')).toBe(true);
    const keys = buckets.map((b: any) => `${b.start}|${b.meter}|${b.apiKey.id}|${b.subscription.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(buckets.every((b: any) => b.apiKey?.id && b.subscription?.id)).toBe(true);
    expect(Date.parse(buckets[0].end) - Date.parse(buckets[0].start)).toBe(3_600_000);
    const requests = buckets.filter((b: any) => b.meter === 'REQUESTS');
    expect(new Set(requests.map((b: any) => b.subscription.id)).size).toBe(3);
    expect(requests.reduce((n: number, b: any) => n + b.quantity, 0)).toBe(6);
  });

  it('narrows by model and by subscription', async () => {
    const byModel = await usageTotals(t, t.keys.partner, { ...window(48), modelId: models['credit-risk'].id });
    expect(byModel.REQUESTS).toBe(2);
    const subs = await t.graphql(t.keys.partner, '{ subscriptions { nodes { id model { slug } } } }');
    const sentimentSub = subs.data!.subscriptions.nodes.find((n: any) => n.model.slug === 'review-sentiment').id;
    expect((await usageTotals(t, t.keys.partner, { ...window(48), subscriptionId: sentimentSub })).REQUESTS).toBe(3);
  });

  it("shows a FINANCE key its organisation's usage, and another partner only its own", async () => {
    expect((await usageTotals(t, t.keys.finance, window(48))).REQUESTS).toBe(6);
    expect((await usageTotals(t, other, window(48))).REQUESTS).toBe(4);
  });

  it("shows a vendor its models' usage across subscribers, and nothing of other vendors' models", async () => {
    const res = await t.graphql(t.keys.vendor, USAGE, { filter: { ...window(), meter: 'REQUESTS' }, groupBy: ['MODEL', 'SUBSCRIPTION'] });
    const byModel: Record<string, number> = {};
    for (const b of res.data!.usage) byModel[b.model.slug] = (byModel[b.model.slug] ?? 0) + b.quantity;
    expect(byModel).toEqual({ 'review-sentiment': 7, 'credit-risk': 2 });
    expect(res.data!.usage.every((b: any) => b.subscription === null)).toBe(true);
    expect(await usageTotals(t, otherVendor.vendorKey, window(48))).toEqual({ REQUESTS: 1 });
    expect((await usageTotals(t, t.keys.admin, window(48))).REQUESTS).toBe(10);
  });

  it.each([
    ['from after to', { from: clock.now().toISOString(), to: new Date(clock.now().getTime() - 1000).toISOString() }, 'HOUR', /before/],
    ['over 31 days of HOUR buckets', { from: new Date(clock.now().getTime() - 40 * 86_400_000).toISOString(), to: clock.now().toISOString() }, 'HOUR', /31 days/],
    ['a malformed model id', { ...window(), modelId: 'nope' }, 'DAY', /filter.modelId/],
  ])('refuses %s with BAD_USER_INPUT', async (_what, filter, bucket, message) => {
    const res = await t.graphql(t.keys.partner, USAGE, { filter, bucket });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(message);
  });

  it('lets an ADMIN cancel an event of the open period: it stays, flagged, and no longer counts (totals and quota)', async () => {
    const found = await t.graphql(t.keys.admin, '{ usageEvents(first: 5, filter: { idempotencyKey: "sent-1", meter: REQUESTS }) { totalCount nodes { id meter quantity } } }');
    expect(found.data!.usageEvents.totalCount).toBe(1);
    const eventId = found.data!.usageEvents.nodes[0].id;
    const before = await usageTotals(t, t.keys.partner, window(48));
    const cancel = 'mutation($id: ID!, $reason: String!) { cancelUsageEvent(input: { usageEventId: $id, reason: $reason }) { usageEvent { id canceledAt cancelReason } userErrors { code } } }';
    const denied = await t.graphql(t.keys.partner, cancel, { id: eventId, reason: 'mine' });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const res = await t.graphql(t.keys.admin, cancel, { id: eventId, reason: 'duplicate call from a client bug' });
    expect(res.data!.cancelUsageEvent.usageEvent).toMatchObject({ id: eventId, cancelReason: 'duplicate call from a client bug' });
    expect(res.data!.cancelUsageEvent.usageEvent.canceledAt).toBeTruthy();
    expect((await usageTotals(t, t.keys.partner, window(48))).REQUESTS).toBe(before.REQUESTS - 1);
    const again = await t.graphql(t.keys.admin, cancel, { id: eventId, reason: 'again' });
    expect(again.data!.cancelUsageEvent.userErrors[0].code).toBe('INVALID_STATE');
    const listed = await t.graphql(t.keys.partner, 'query($id: ID!) { node(id: $id) { ... on UsageEvent { canceledAt quantity } } }', { id: eventId });
    expect(listed.data!.node.canceledAt).toBeTruthy();
    const quota = await t.graphql(t.keys.partner, '{ subscriptions { nodes { model { slug } quota { meter used } } } }');
    const sentiment = quota.data!.subscriptions.nodes.find((n: any) => n.model.slug === 'review-sentiment');
    expect(sentiment.quota.find((q: any) => q.meter === 'REQUESTS').used).toBe(2);
  });

  it('refuses to cancel an event of a closed period (before this calendar month, its grace period over)', async () => {
    const [org] = await t.server.dataSource.query(`SELECT id FROM organization WHERE name = 'Contoso'`);
    const [model] = await t.server.dataSource.query(`SELECT id FROM model WHERE slug = 'credit-risk'`);
    const now = clock.now();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 86_400_000);
    const [row] = await t.server.dataSource.query(
      `INSERT INTO usage_event (organization_id, model_id, meter, quantity, occurred_at, idempotency_key)
       VALUES ($1, $2, 'REQUESTS', 1, $3, 'old-call') RETURNING id`, [org.id, model.id, lastMonth]);
    const res = await t.graphql(t.keys.admin, 'mutation($id: ID!) { cancelUsageEvent(input: { usageEventId: $id, reason: "late" }) { userErrors { code message } } }', { id: `gid://marketplace/UsageEvent/${row.id}` });
    expect(res.data!.cancelUsageEvent.userErrors[0]).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('closed') });
  });
});
