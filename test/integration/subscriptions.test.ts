import { createPartner, demoModels, DemoModelRef, runInference, SUBSCRIBE } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

const CANCEL = `mutation($id: ID!, $atPeriodEnd: Boolean) { cancelSubscription(input: { subscriptionId: $id, atPeriodEnd: $atPeriodEnd }) {
  subscription { id status cancelAtPeriodEnd canceledAt endsAt currentPeriodEnd } userErrors { field code message } } }`;

function nextMonthStart(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
}

describe('subscriptions', () => {
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  beforeAll(async () => {
    t = await startTestServer();
    models = await demoModels(t);
  });
  afterAll(async () => t?.stop());

  it('subscribes to a plan: ACTIVE, this calendar month as the period, quota per capped or charged meter', async () => {
    const res = await t.graphql(t.keys.partner, SUBSCRIBE, { planId: models['review-sentiment'].plans['Scale'] });
    expect(res.data!.subscribe.userErrors).toEqual([]);
    const subscription = res.data!.subscribe.subscription;
    expect(subscription).toMatchObject({ status: 'ACTIVE', cancelAtPeriodEnd: false, plan: { name: 'Scale' }, model: { slug: 'review-sentiment' } });
    expect(subscription.id).toMatch(/^gid:\/\/marketplace\/Subscription\//);
    expect(Date.parse(subscription.currentPeriodStart)).toBeLessThanOrEqual(Date.now());
    expect(subscription.currentPeriodEnd).toBe(nextMonthStart());
    expect(subscription.quota).toEqual([
      { meter: 'REQUESTS', limit: 10_000_000, used: 0, remaining: 10_000_000, resetsAt: nextMonthStart() },
      { meter: 'COMPUTE_MS', limit: null, used: 0, remaining: null, resetsAt: nextMonthStart() },
    ]);
  });

  it('counts committed usage in the quota', async () => {
    await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: ['great'] });
    await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: ['bad'] });
    const res = await t.graphql(t.keys.partner, '{ subscriptions { nodes { model { slug } quota { meter limit used remaining } } } }');
    const sentiment = res.data!.subscriptions.nodes.find((n: any) => n.model.slug === 'review-sentiment');
    expect(sentiment.quota[0]).toEqual({ meter: 'REQUESTS', limit: 10_000_000, used: 2, remaining: 9_999_998 });
  });

  it('refuses a second live subscription to the same model with CONFLICT', async () => {
    const res = await t.graphql(t.keys.partner, SUBSCRIBE, { planId: models['review-sentiment'].plans['Pay as you go'] });
    expect(res.data!.subscribe.subscription).toBeNull();
    expect(res.data!.subscribe.userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: ['input', 'planId'] })]);
  });

  it('lets only one of two concurrent subscriptions to a model through', async () => {
    const key = await createPartner(t, 'Coho Winery');
    const both = await Promise.all(['Pay as you go', 'Scale'].map((plan) => t.graphql(key, SUBSCRIBE, { planId: models['credit-risk'].plans[plan] })));
    const codes = both.map((r) => r.data!.subscribe.userErrors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'OK']);
  });

  it('refuses an unknown plan with NOT_FOUND', async () => {
    const res = await t.graphql(t.keys.partner, SUBSCRIBE, { planId: 'gid://marketplace/Plan/00000000-0000-4000-8000-000000000000' });
    expect(res.data!.subscribe.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
  });

  it('cancels at period end: still serving until then, still the live one; then now: CANCELED, and a new one may start', async () => {
    const key = await createPartner(t, 'Proseware');
    const created = await t.graphql(key, SUBSCRIBE, { planId: models['review-embedder'].plans['Pay as you go'] });
    const id = created.data!.subscribe.subscription.id;
    const atEnd = await t.graphql(key, CANCEL, { id, atPeriodEnd: true });
    expect(atEnd.data!.cancelSubscription.subscription).toMatchObject({ status: 'ACTIVE', cancelAtPeriodEnd: true, endsAt: nextMonthStart(), currentPeriodEnd: nextMonthStart() });
    expect(atEnd.data!.cancelSubscription.subscription.canceledAt).toBeTruthy();
    expect((await runInference(t, key, { modelId: models['review-embedder'].id, texts: ['still here'] })).errors).toBeUndefined();
    const again = await t.graphql(key, SUBSCRIBE, { planId: models['review-embedder'].plans['Scale'] });
    expect(again.data!.subscribe.userErrors[0].code).toBe('CONFLICT');

    const now = await t.graphql(key, CANCEL, { id, atPeriodEnd: false });
    expect(now.data!.cancelSubscription.subscription).toMatchObject({ status: 'CANCELED', cancelAtPeriodEnd: false });
    expect(Date.parse(now.data!.cancelSubscription.subscription.endsAt)).toBeLessThanOrEqual(Date.now());
    expect((await runInference(t, key, { modelId: models['review-embedder'].id, texts: ['gone'] })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const twice = await t.graphql(key, CANCEL, { id, atPeriodEnd: false });
    expect(twice.data!.cancelSubscription.userErrors[0].code).toBe('INVALID_STATE');
    const fresh = await t.graphql(key, SUBSCRIBE, { planId: models['review-embedder'].plans['Scale'] });
    expect(fresh.data!.subscribe.subscription.status).toBe('ACTIVE');
  });

  it("lists only the caller's organisation's subscriptions, and hides others' from node()", async () => {
    const key = await createPartner(t, 'Lucerne Publishing');
    const mine = await t.graphql(t.keys.partner, '{ subscriptions(first: 10) { totalCount nodes { id model { slug } } } }');
    expect(mine.data!.subscriptions.nodes.map((n: any) => n.model.slug)).toEqual(['review-sentiment']);
    const theirs = await t.graphql(key, '{ subscriptions { totalCount } }');
    expect(theirs.data!.subscriptions.totalCount).toBe(0);
    const id = mine.data!.subscriptions.nodes[0].id;
    expect((await t.graphql(t.keys.partner, 'query($id: ID!) { node(id: $id) { id } }', { id })).data!.node).toEqual({ id });
    expect((await t.graphql(key, 'query($id: ID!) { node(id: $id) { id } }', { id })).data!.node).toBeNull();
    const cancel = await t.graphql(key, CANCEL, { id, atPeriodEnd: false });
    expect(cancel.data!.cancelSubscription.userErrors[0].code).toBe('NOT_FOUND');
  });

  it('is for partners: a finance-only key may not subscribe', async () => {
    const res = await t.graphql(t.keys.finance, SUBSCRIBE, { planId: models['credit-risk'].plans['Scale'] });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
