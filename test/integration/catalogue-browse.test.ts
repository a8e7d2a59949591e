import { startTestServer, TestServer } from '../support/test-server';

describe('catalogue browsing (demo data, real HTTP)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.stop());

  it('lists the demo models with their signatures and plans to the partner', async () => {
    const res = await t.graphql(t.keys.partner, `{ models(first: 10) { totalCount edges { node { slug latestVersion { signature { inputs { name } } } plans { name } } } } }`);
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.models.edges.map((e: any) => e.node);
    expect(res.data!.models.totalCount).toBe(3);
    const sentiment = nodes.find((n: any) => n.slug === 'review-sentiment');
    expect(sentiment.latestVersion.signature.inputs.map((i: any) => i.name).sort()).toEqual(['token_ids', 'token_weights']);
    expect(sentiment.plans.map((p: any) => p.name)).toEqual(['Pay as you go', 'Scale']);
    expect(res.extensions?.cost).toEqual({ requested: expect.any(Number), limit: expect.any(Number) });
  });
});
