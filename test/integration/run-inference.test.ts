import { createPartner, createPlan, demoModels, DemoModelRef, runInference, subscribe, totalUnits, usageTotals } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

const FEATURES = [0.4, 0.2, 0.7, 0.1, 0.5, 0.9, 0.8, 0.3, 0.6, 0.2];

describe('runInference (demo models, real HTTP)', () => {
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  beforeAll(async () => {
    t = await startTestServer();
    models = await demoModels(t);
    await subscribe(t, t.keys.partner, models['review-sentiment'].plans['Scale']);
    await subscribe(t, t.keys.partner, models['review-embedder'].plans['Pay as you go']);
    await subscribe(t, t.keys.partner, models['credit-risk'].plans['Scale']);
  });
  afterAll(async () => t?.stop());

  it('classifies "I love this product" as positive, scores every label and bills the call', async () => {
    const before = await usageTotals(t, t.keys.partner);
    const res = await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: ['I love this product', 'Terrible. It broke after one day.'] });
    expect(res.errors).toBeUndefined();
    const answer = res.data!.runInference;
    expect(answer.predictions.map((p: any) => p.label)).toEqual(['positive', 'negative']);
    expect(answer.predictions[0].scores.map((s: any) => s.label).sort()).toEqual(['negative', 'neutral', 'positive']);
    expect(answer.predictions[0].scores.reduce((sum: number, s: any) => sum + s.score, 0)).toBeCloseTo(1, 4);
    expect(answer.outputs.probabilities.dims).toEqual([2, 3]);
    expect(answer.modelVersion.version).toBe('1.0.0');
    const usage = Object.fromEntries(answer.usage.map((u: any) => [u.meter, Number(u.quantity)]));
    expect(usage.REQUESTS).toBe(1);
    expect(usage.INPUT_TOKENS).toBeGreaterThan(4);
    const after = await usageTotals(t, t.keys.partner);
    expect(after.REQUESTS - (before.REQUESTS ?? 0)).toBe(1);
    expect(after.INPUT_TOKENS - (before.INPUT_TOKENS ?? 0)).toBe(usage.INPUT_TOKENS);
  });

  it('embeds texts as L2-normalised vectors, one per text', async () => {
    const res = await runInference(t, t.keys.partner, { modelId: models['review-embedder'].id, texts: ['fast shipping', 'great battery life', 'awful support'] });
    expect(res.errors).toBeUndefined();
    const vectors: number[][] = res.data!.runInference.embeddings;
    expect(vectors).toHaveLength(3);
    for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    expect(res.data!.runInference.predictions).toBeNull();
  });

  it('serves a TENSOR model from JSON tensors, with raw outputs and labelled predictions', async () => {
    const res = await runInference(t, t.keys.partner, { modelId: models['credit-risk'].id, inputs: { features: { type: 'float32', dims: [2, 5], data: FEATURES } } });
    expect(res.errors).toBeUndefined();
    const answer = res.data!.runInference;
    expect(answer.outputs.scores).toMatchObject({ type: 'float32', dims: [2, 3] });
    expect(answer.outputs.scores.data).toHaveLength(6);
    expect(answer.predictions).toHaveLength(2);
    expect(answer.usage.map((u: any) => u.meter)).not.toContain('INPUT_TOKENS');
  });

  it('answers a repeated requestId with the stored answer and bills it once', async () => {
    const input = { modelId: models['review-sentiment'].id, texts: ['decent value for the money'], requestId: 'retry-me-1' };
    const before = await usageTotals(t, t.keys.partner);
    const first = await runInference(t, t.keys.partner, input);
    const again = await runInference(t, t.keys.partner, { ...input, texts: [...input.texts] });
    expect(first.data!.runInference.replayed).toBe(false);
    expect(again.data!.runInference).toMatchObject({ replayed: true, requestId: 'retry-me-1', predictions: first.data!.runInference.predictions, usage: first.data!.runInference.usage });
    const after = await usageTotals(t, t.keys.partner);
    expect(after.REQUESTS - (before.REQUESTS ?? 0)).toBe(1);
  });

  it('refuses the same requestId with a different input (IDEMPOTENCY_CONFLICT) and bills nothing more', async () => {
    const modelId = models['review-sentiment'].id;
    await runInference(t, t.keys.partner, { modelId, texts: ['first input'], requestId: 'conflict-1' });
    const before = await totalUnits(t, t.keys.partner);
    const res = await runInference(t, t.keys.partner, { modelId, texts: ['another input'], requestId: 'conflict-1' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.runInference.userErrors).toEqual([expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT', field: ['input', 'requestId'] })]);
    expect(res.data!.runInference.outputs).toBeNull();
    expect(await totalUnits(t, t.keys.partner)).toBe(before);
  });

  const badInputs: Array<[string, () => Record<string, unknown>, string, RegExp]> = [
    ['an unknown model', () => ({ modelId: 'gid://marketplace/Model/00000000-0000-4000-8000-000000000000', texts: ['hi'] }), 'NOT_FOUND', /not found/],
    ['a tensor of the wrong dtype', () => ({ modelId: models['credit-risk'].id, inputs: { features: { type: 'float64', dims: [1, 5], data: FEATURES.slice(0, 5) } } }), 'BAD_USER_INPUT', /"features".*float32/],
    ['a tensor of the wrong shape', () => ({ modelId: models['credit-risk'].id, inputs: { features: { type: 'float32', dims: [1, 4], data: FEATURES.slice(0, 4) } } }), 'BAD_USER_INPUT', /"features".*dimension 1 must be 5/],
    ['data that does not fill the dims', () => ({ modelId: models['credit-risk'].id, inputs: { features: { type: 'float32', dims: [2, 5], data: FEATURES.slice(0, 7) } } }), 'BAD_USER_INPUT', /10 values/],
    ['an input the model does not have', () => ({ modelId: models['credit-risk'].id, inputs: { pixels: { type: 'float32', dims: [1], data: [1] } } }), 'BAD_USER_INPUT', /"pixels" is not an input/],
    ['texts for a TENSOR model', () => ({ modelId: models['credit-risk'].id, texts: ['hello'] }), 'BAD_USER_INPUT', /TENSOR model/],
    ['too many texts', () => ({ modelId: models['review-sentiment'].id, texts: Array.from({ length: 65 }, (_, i) => `text ${i}`) }), 'BAD_USER_INPUT', /at most 64/],
    ['an empty text list', () => ({ modelId: models['review-sentiment'].id, texts: [] }), 'BAD_USER_INPUT', /at least one text/],
    ['an empty text', () => ({ modelId: models['review-sentiment'].id, texts: ['fine', '  '] }), 'BAD_USER_INPUT', /texts\[1\] is empty/],
    ['no texts for a text model', () => ({ modelId: models['review-sentiment'].id }), 'BAD_USER_INPUT', /needs "texts"/],
  ];

  it.each(badInputs)('refuses %s with a clear error and bills nothing', async (_what, input, code, message) => {
    const before = await totalUnits(t, t.keys.partner);
    const res = await runInference(t, t.keys.partner, input());
    expect(res.errors?.[0].extensions?.code).toBe(code);
    expect(res.errors?.[0].message).toMatch(message);
    expect(res.data?.runInference ?? null).toBeNull();
    expect(await totalUnits(t, t.keys.partner)).toBe(before);
  });

  it('tells where a call\'s time went in a Server-Timing header: the model\'s queue and compute, then the usage commit', async () => {
    const post = (query: string, variables?: Record<string, unknown>) => fetch(`${t.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}` }, body: JSON.stringify({ query, variables }),
    });
    const call = (requestId: string) => post('mutation($input: RunInferenceInput!) { runInference(input: $input) { replayed } }', {
      input: { modelId: models['review-sentiment'].id, texts: ['timed call'], requestId },
    });
    const started = performance.now();
    const response = await call('timed-1');
    const elapsed = performance.now() - started;
    const timing = response.headers.get('server-timing')!;
    const span = (name: string) => Number(new RegExp(`${name};dur=(\\d+\\.\\d{3});desc="([^"]+)"`).exec(timing)?.[1]);
    expect(timing).toMatch(/^engine;dur=\d+\.\d{3};desc="model queue and compute", usage;dur=\d+\.\d{3};desc="usage commit"$/);
    expect(span('engine')).toBeGreaterThan(0);
    expect(span('usage')).toBeGreaterThan(0);
    expect(span('engine') + span('usage')).toBeLessThan(elapsed);
    // a replay runs nothing and writes nothing; a query without inference times nothing
    const replay = await call('timed-1');
    expect(((await replay.json()) as any).data.runInference.replayed).toBe(true);
    expect(replay.headers.get('server-timing')).toBeNull();
    expect((await post('{ viewer { id } }')).headers.get('server-timing')).toBeNull();
  });

  it('refuses an organisation without a subscription with FORBIDDEN naming the model, and bills nothing', async () => {
    const stranger = await createPartner(t, 'Tailspin Toys');
    const res = await runInference(t, stranger, { modelId: models['review-sentiment'].id, texts: ['hello'] });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0].message).toContain('review-sentiment');
    expect(await totalUnits(t, stranger)).toBe(0);
  });

  it('rate limits per subscription per minute, with retryAfterSeconds, and bills only what ran', async () => {
    const fabrikam = await createPartner(t, 'Fabrikam');
    await subscribe(t, fabrikam, await createPlan(t, models['credit-risk'].id, 'Two a minute', { requestsPerMinute: 2 }));
    const call = () => runInference(t, fabrikam, { modelId: models['credit-risk'].id, inputs: { features: { type: 'float32', dims: [1, 5], data: FEATURES.slice(0, 5) } } });
    expect((await call()).errors).toBeUndefined();
    expect((await call()).errors).toBeUndefined();
    const refused = await call();
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused.errors![0].extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await usageTotals(t, fabrikam)).REQUESTS).toBe(2);
    // the wait is also in a Retry-After header, for HTTP clients that back off without reading errors
    const raw = await fetch(`${t.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fabrikam}` },
      body: JSON.stringify({ query: 'mutation($input: RunInferenceInput!) { runInference(input: $input) { replayed } }', variables: { input: { modelId: models['credit-risk'].id, inputs: { features: { type: 'float32', dims: [1, 5], data: FEATURES.slice(0, 5) } } } } }),
    });
    const body = (await raw.json()) as any;
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(raw.headers.get('retry-after')).toBe(String(body.errors[0].extensions.retryAfterSeconds));
    expect((await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fabrikam}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }) })).headers.get('retry-after')).toBeNull();
  });

  it('refuses calls past a monthly cap with QUOTA_EXCEEDED and shows the quota used up', async () => {
    const litware = await createPartner(t, 'Litware');
    await subscribe(t, litware, await createPlan(t, models['review-sentiment'].id, 'Two a month', { monthlyCaps: [{ meter: 'REQUESTS', quantity: '2' }] }));
    const call = () => runInference(t, litware, { modelId: models['review-sentiment'].id, texts: ['nice'] });
    expect((await call()).errors).toBeUndefined();
    expect((await call()).errors).toBeUndefined();
    const refused = await call();
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', meter: 'REQUESTS', limit: '2' });
    expect((await usageTotals(t, litware)).REQUESTS).toBe(2);
    const quota = await t.graphql(litware, '{ subscriptions { nodes { quota { meter limit used remaining } } } }');
    expect(quota.data!.subscriptions.nodes[0].quota).toContainEqual({ meter: 'REQUESTS', limit: 2, used: 2, remaining: 0 });
  });

  it('stops serving a subscription canceled now, and bills nothing after', async () => {
    const northwind = await createPartner(t, 'Adventure Works');
    const subscriptionId = await subscribe(t, northwind, models['review-embedder'].plans['Pay as you go']);
    expect((await runInference(t, northwind, { modelId: models['review-embedder'].id, texts: ['hello'] })).errors).toBeUndefined();
    const canceled = await t.graphql(northwind, 'mutation($id: ID!) { cancelSubscription(input: { subscriptionId: $id, atPeriodEnd: false }) { subscription { status } userErrors { code } } }', { id: subscriptionId });
    expect(canceled.data!.cancelSubscription.subscription.status).toBe('CANCELED');
    const res = await runInference(t, northwind, { modelId: models['review-embedder'].id, texts: ['hello again'] });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await usageTotals(t, northwind)).REQUESTS).toBe(1);
  });

  it('is for partners: a vendor key is refused with FORBIDDEN', async () => {
    const res = await runInference(t, t.keys.vendor, { modelId: models['review-sentiment'].id, texts: ['hello'] });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
