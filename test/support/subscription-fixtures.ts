import type { TestServer as FullTestServer } from './test-server';

/** What these helpers need of a server: its demo keys and a GraphQL client. */
type TestServer = Pick<FullTestServer, 'graphql' | 'keys'>;

/** A demo model as the partner sees it: global id, slug and plans by name. */
export interface DemoModelRef {
  id: string;
  slug: string;
  plans: Record<string, string>;
}

/** The demo models by slug (ids and plan ids), as the partner browses them. */
export async function demoModels(t: TestServer): Promise<Record<string, DemoModelRef>> {
  const res = await t.graphql(t.keys.partner, '{ models(first: 20) { nodes { id slug plans { id name } } } }');
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const out: Record<string, DemoModelRef> = {};
  for (const m of res.data!.models.nodes) {
    out[m.slug] = { id: m.id, slug: m.slug, plans: Object.fromEntries(m.plans.map((p: { id: string; name: string }) => [p.name, p.id])) };
  }
  return out;
}

export const SUBSCRIBE = `mutation($planId: ID!) { subscribe(input: { planId: $planId }) {
  subscription { id status cancelAtPeriodEnd currentPeriodStart currentPeriodEnd plan { id name } model { id slug }
    quota { meter limit used remaining resetsAt } }
  userErrors { field code message } } }`;

export const RUN_INFERENCE = `mutation($input: RunInferenceInput!) { runInference(input: $input) {
  outputs predictions { label score scores { label score } } embeddings usage { meter quantity }
  modelVersion { id version } requestId replayed userErrors { field code message } } }`;

/** Subscribes `key`'s organisation to a plan; returns the subscription's global id. */
export async function subscribe(t: TestServer, key: string, planId: string): Promise<string> {
  const res = await t.graphql(key, SUBSCRIBE, { planId });
  if (res.errors || res.data!.subscribe.userErrors.length) throw new Error(JSON.stringify(res.errors ?? res.data!.subscribe.userErrors));
  return res.data!.subscribe.subscription.id;
}

/** Creates a plan on a demo model as the vendor; returns its global id. */
export async function createPlan(t: TestServer, modelId: string, name: string, limits: Record<string, unknown>): Promise<string> {
  const res = await t.graphql(t.keys.vendor, `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }`, {
    input: { modelId, name, currency: 'USD', flatFeeMinor: '0', charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.001' }], limits },
  });
  if (res.errors || res.data!.createPlan.userErrors.length) throw new Error(JSON.stringify(res.errors ?? res.data!.createPlan.userErrors));
  return res.data!.createPlan.plan.id;
}

/** Committed REQUESTS/INPUT_TOKENS/COMPUTE_MS totals of the caller's scope over all time (DAY buckets, this month). */
export async function usageTotals(t: TestServer, key: string, filter: Record<string, unknown> = {}): Promise<Record<string, number>> {
  const from = new Date(Date.now() - 2 * 86_400_000).toISOString();
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const res = await t.graphql(key, `query($filter: UsageFilter!) { usage(filter: $filter, bucket: DAY, groupBy: [METER]) { meter quantity } }`, {
    filter: { from, to, ...filter },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const totals: Record<string, number> = {};
  for (const b of res.data!.usage) totals[b.meter] = (totals[b.meter] ?? 0) + Number(b.quantity);
  return totals;
}

/** Creates a partner organisation as ADMIN and returns a PARTNER + FINANCE key of it. */
export async function createPartner(t: TestServer, name: string): Promise<string> {
  const org = await t.graphql(t.keys.admin, `mutation($name: String!) { createOrganization(input: { name: $name, kind: PARTNER }) { organization { id } userErrors { message } } }`, { name });
  const organizationId = org.data!.createOrganization.organization.id;
  const key = await t.graphql(t.keys.admin, `mutation($org: ID!) { createApiKey(input: { name: "test", roles: [PARTNER, FINANCE], organizationId: $org }) { key userErrors { message } } }`, { org: organizationId });
  if (!key.data?.createApiKey.key) throw new Error(JSON.stringify(key));
  return key.data.createApiKey.key;
}

/** Sum of every meter's committed usage of the caller's scope (0 when none). */
export async function totalUnits(t: TestServer, key: string): Promise<number> {
  return Object.values(await usageTotals(t, key)).reduce((a, b) => a + b, 0);
}

/** Runs inference and returns the GraphQL response. */
export function runInference(t: TestServer, key: string, input: Record<string, unknown>) {
  return t.graphql(key, RUN_INFERENCE, { input });
}
