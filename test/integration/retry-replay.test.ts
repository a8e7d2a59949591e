import { createPlan, demoModels, RUN_INFERENCE, subscribe, usageTotals } from '../support/subscription-fixtures';
import { RestartableServer } from '../support/restartable-server';

jest.setTimeout(180_000);

describe('retries are cheap: a repeated requestId is answered from the stored answer first', () => {
  let t: RestartableServer;
  let modelId: string;

  beforeAll(async () => {
    t = await RestartableServer.start();
    const models = await demoModels(t);
    modelId = models['review-sentiment'].id;
    const planId = await createPlan(t, modelId, 'Two a minute', { requestsPerMinute: 2 });
    await subscribe(t, t.keys.partner, planId);
  });
  afterAll(async () => t?.stop());

  async function call(requestId: string) {
    const response = await fetch(`${t.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}` },
      body: JSON.stringify({ query: RUN_INFERENCE, variables: { input: { modelId, texts: ['works as promised'], requestId } } }),
    });
    return { serverTiming: response.headers.get('server-timing') ?? '', body: (await response.json()) as any };
  }

  it('after a restart, replays before the rate limit and the engine: the retry spends no token and bills nothing', async () => {
    const first = await call('retry-after-restart');
    expect(first.body.errors).toBeUndefined();
    expect(first.serverTiming).toMatch(/engine/);
    await t.restart();
    const again = await call('retry-after-restart');
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data.runInference.replayed).toBe(true);
    expect(again.body.data.runInference.predictions).toEqual(first.body.data.runInference.predictions);
    // the engine never ran for the retry
    expect(again.serverTiming).not.toMatch(/engine/);
    // two a minute: the retry took none of them, so a second call fits and a third does not
    const second = await call('a-second-call');
    expect(second.body.errors).toBeUndefined();
    const third = await call('a-third-call');
    expect(third.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect((await usageTotals(t, t.keys.partner)).REQUESTS).toBe(2);
  });

  it('answers a reused requestId with another input IDEMPOTENCY_CONFLICT from the stored answer', async () => {
    const response = await t.graphql(t.keys.partner, RUN_INFERENCE, { input: { modelId, texts: ['something else'], requestId: 'retry-after-restart' } });
    expect(response.data!.runInference.userErrors[0].code).toBe('IDEMPOTENCY_CONFLICT');
  });
});
