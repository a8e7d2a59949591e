import type { TestServer } from './test-server';

/** A clock tests move by hand: the server's request contexts read it. */
export class TestClock {
  constructor(private at: Date) {}
  now = (): Date => new Date(this.at.getTime());
  set(iso: string): void {
    this.at = new Date(iso);
  }
}

/** Runs a GraphQL operation and throws on `errors[]`; returns `data`. */
export async function gql<T = any>(t: Pick<TestServer, 'graphql'>, key: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await t.graphql<T>(key, query, variables);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!;
}

/** Creates a plan as the vendor from a full CreatePlanInput (without modelId); returns its global id. */
export async function createPlanWith(t: TestServer, modelId: string, input: Record<string, unknown>): Promise<string> {
  const data = await gql(t, t.keys.vendor, `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { field message } } }`, {
    input: { currency: 'USD', flatFeeMinor: '0', ...input, modelId },
  });
  if (data.createPlan.userErrors.length) throw new Error(JSON.stringify(data.createPlan.userErrors));
  return data.createPlan.plan.id;
}

/** The organisation (global id) of a key. */
export async function organizationOf(t: TestServer, key: string): Promise<string> {
  return (await gql(t, key, '{ viewer { organization { id } } }')).viewer.organization.id;
}

export const INVOICE_FIELDS = `id number status currency periodStart periodEnd graceUntil stripeInvoiceId
  subtotal { amountMinor currency formatted } total { amountMinor formatted }
  lines { id kind description meter quantity billableUnits unitPrice servicePeriodStart servicePeriodEnd amount { amountMinor } model { id } }`;

export const CLOSE = `mutation($end: DateTime!) { closeBillingPeriod(input: { periodEnd: $end }) { periodStart periodEnd created refreshed unchanged userErrors { field code message } } }`;
export const FINALIZE = `mutation($id: ID!) { finalizeInvoice(input: { invoiceId: $id }) { invoice { id number status total { amountMinor } } userErrors { field code message } } }`;
export const VOID = `mutation($id: ID!, $reason: String!) { voidInvoice(input: { invoiceId: $id, reason: $reason }) { invoice { id number status } creditNote { number amount { amountMinor } reason } userErrors { field code message } } }`;
export const CHANGE_PLAN = `mutation($s: ID!, $p: ID!) { changeSubscriptionPlan(input: { subscriptionId: $s, planId: $p }) { subscription { id plan { id name } } effectiveAt userErrors { field code message } } }`;
export const INVOICES = `query($filter: InvoiceFilter) { invoices(first: 50, filter: $filter) { totalCount nodes { ${'id number status currency periodStart total { amountMinor }'} } } }`;
