import { parse } from 'csv-parse/sync';
import { createPartner, demoModels, DemoModelRef, runInference, subscribe } from '../support/subscription-fixtures';
import { startReplica, startTestServer, TestServer } from '../support/test-server';
import { CHANGE_PLAN, CLOSE, createPlanWith, FINALIZE, gql, INVOICE_FIELDS, organizationOf, TestClock } from '../support/billing-fixtures';

const JAN_END = '2027-02-01T00:00:00.000Z';
const INVOICE = `query($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} } }`;
const PREVIEW = `query($org: ID!) { invoicePreview(organizationId: $org) { currency periodStart periodEnd total { amountMinor } lines { kind meter quantity amount { amountMinor } } } }`;
const ORG_INVOICES = `query($org: ID!) { invoices(first: 10, filter: { organizationId: $org }) { totalCount nodes { id number status periodStart total { amountMinor } } } }`;

/**
 * Billing's rules one at a time, with an injected clock in January 2027: concurrent closers,
 * preview = close, downgrades at period end, cancel-now proration, the period-end job,
 * gapless numbers across periods, finance visibility, and every kind of bad input.
 */
describe('billing rules', () => {
  const clock = new TestClock(new Date('2027-01-01T00:00:00.000Z'));
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  let starter: string;
  let pro: string;
  let euro: string;
  const keys: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const subs: Record<string, string> = {};

  const sentiment = () => models['review-sentiment'];
  const infer = async (key: string, at: string) => {
    clock.set(at);
    const res = await runInference(t, key, { modelId: sentiment().id, texts: ['ok'] });
    expect(res.data!.runInference.userErrors).toEqual([]);
  };
  const invoicesOf = async (org: string) => (await gql(t, t.keys.admin, ORG_INVOICES, { org })).invoices;

  beforeAll(async () => {
    t = await startTestServer({ server: { now: clock.now } });
    models = await demoModels(t);
    starter = await createPlanWith(t, sentiment().id, { name: 'Rules Starter', flatFeeMinor: '1000', charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.5' }] });
    pro = await createPlanWith(t, sentiment().id, { name: 'Rules Pro', flatFeeMinor: '3100', charges: [{ meter: 'REQUESTS', pricing: 'PACKAGE', unitPrice: '2', packageSize: '10' }] });
    euro = await createPlanWith(t, sentiment().id, { name: 'Rules Euro', currency: 'EUR', flatFeeMinor: '3100', charges: [] });
    for (const name of ['Litware', 'Tailspin', 'Wingtip']) {
      keys[name] = await createPartner(t, name);
      orgs[name] = await organizationOf(t, keys[name]);
    }
    subs.Litware = await subscribe(t, keys.Litware, starter);
    subs.Tailspin = await subscribe(t, keys.Tailspin, pro);
    subs.Wingtip = await subscribe(t, keys.Wingtip, starter);
  }, 180_000);
  afterAll(async () => t?.stop());

  it('previews the open period from the same code path as the close', async () => {
    await infer(keys.Litware, '2027-01-12T08:00:00.000Z');
    await infer(keys.Litware, '2027-01-13T08:00:00.000Z');
    clock.set('2027-01-20T00:00:00.000Z');
    const [preview] = (await gql(t, keys.Litware, PREVIEW, { org: orgs.Litware })).invoicePreview;
    expect(preview).toMatchObject({ currency: 'USD', periodStart: '2027-01-01T00:00:00.000Z', periodEnd: JAN_END, total: { amountMinor: 1000 + 100 } });
    expect(preview.lines.filter((l: any) => l.kind !== 'USAGE' || l.meter === 'REQUESTS').map((l: any) => [l.kind, l.meter, l.quantity, l.amount.amountMinor]))
      .toEqual([['FLAT_FEE', null, 31 * 86400, 1000], ['USAGE', 'REQUESTS', 2, 100]]);
    const written = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM invoice`);
    expect(written[0].n).toBe(0);
    // another organisation's preview is NOT_FOUND to a finance key
    const foreign = await t.graphql(keys.Litware, PREVIEW, { org: orgs.Tailspin });
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    (globalThis as any).litwarePreview = preview;
  });

  it('downgrades at the end of the period, upgrades now; refuses another model\'s plan and another currency', async () => {
    clock.set('2027-01-15T00:00:00.000Z');
    const down = await gql(t, keys.Tailspin, CHANGE_PLAN, { s: subs.Tailspin, p: starter });
    expect(down.changeSubscriptionPlan).toMatchObject({ userErrors: [], effectiveAt: JAN_END, subscription: { plan: { name: 'Rules Pro' } } });
    const otherModel = await gql(t, keys.Tailspin, CHANGE_PLAN, { s: subs.Tailspin, p: Object.values(models['credit-risk'].plans)[0] });
    expect(otherModel.changeSubscriptionPlan).toMatchObject({ subscription: null, userErrors: [expect.objectContaining({ code: 'INVALID', field: ['input', 'planId'], message: expect.stringMatching(/another model/) })] });
    const currency = await gql(t, keys.Tailspin, CHANGE_PLAN, { s: subs.Tailspin, p: euro });
    expect(currency.changeSubscriptionPlan.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', message: expect.stringMatching(/EUR.*USD|currency/) })]);
    const foreign = await gql(t, keys.Litware, CHANGE_PLAN, { s: subs.Tailspin, p: starter });
    expect(foreign.changeSubscriptionPlan.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const periods = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM subscription_plan_period`);
    expect(periods[0].n).toBe(2);
  });

  it('cancel-now prorates the flat fee by the second', async () => {
    clock.set('2027-01-11T00:00:00.000Z');
    const res = await gql(t, keys.Wingtip, `mutation($id: ID!) { cancelSubscription(input: { subscriptionId: $id, atPeriodEnd: false }) { userErrors { message } } }`, { id: subs.Wingtip });
    expect(res.cancelSubscription.userErrors).toEqual([]);
  });

  it('two closers racing on one period make one invoice per organisation', async () => {
    clock.set('2027-02-01T00:01:00.000Z');
    const racers = [t, ...(t.database.url ? [await startReplica(t, { server: { now: clock.now } })] : [])];
    try {
      const results = await Promise.all([0, 1, 2, 3].map((i) => gql(racers[i % racers.length], t.keys.admin, CLOSE, { end: JAN_END })));
      const created = results.reduce((a, r) => a + r.closeBillingPeriod.created, 0);
      const [{ n }] = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM invoice WHERE period_start = '2027-01-01T00:00:00Z'`);
      expect(created).toBe(n);
      for (const org of Object.values(orgs)) expect((await invoicesOf(org)).totalCount).toBe(1);
    } finally {
      if (racers[1]) await racers[1].stop();
    }
  });

  it('closes what the preview showed; a downgrade waits for the period end; cancel-now prorated', async () => {
    const litware = (await invoicesOf(orgs.Litware)).nodes[0];
    const preview = (globalThis as any).litwarePreview;
    const draft = (await gql(t, t.keys.admin, INVOICE, { id: litware.id })).invoice;
    expect(draft.total.amountMinor).toBe(preview.total.amountMinor);
    expect(draft.lines.map((l: any) => [l.kind, l.meter, l.quantity, l.amount.amountMinor])).toEqual(preview.lines.map((l: any) => [l.kind, l.meter, l.quantity, l.amount.amountMinor]));
    const tailspin = (await gql(t, t.keys.admin, INVOICE, { id: (await invoicesOf(orgs.Tailspin)).nodes[0].id })).invoice;
    expect(tailspin.lines.filter((l: any) => l.kind === 'FLAT_FEE').map((l: any) => [l.description, l.amount.amountMinor])).toEqual([[expect.stringContaining('Rules Pro'), 3100]]);
    const wingtip = (await gql(t, t.keys.admin, INVOICE, { id: (await invoicesOf(orgs.Wingtip)).nodes[0].id })).invoice;
    // 10 of 31 days of 10.00
    expect(wingtip.lines.filter((l: any) => l.kind === 'FLAT_FEE').map((l: any) => [l.quantity, l.amount.amountMinor])).toEqual([[10 * 86400, 323]]);
  });

  it('the period-end job puts due plan changes into force and finalizes drafts past their grace period', async () => {
    const early = await t.server.services.billing.jobs.runPeriodEnd(() => new Date('2027-02-01T00:30:00.000Z'));
    expect(early).toMatchObject({ planChangesApplied: 1, finalized: [] });
    const plan = await gql(t, t.keys.admin, `query($id: ID!) { node(id: $id) { ... on PlanSubscription { plan { name } } } }`, { id: subs.Tailspin });
    expect(plan.node.plan.name).toBe('Rules Starter');
    const late = await t.server.services.billing.jobs.runPeriodEnd(() => new Date('2027-02-01T01:30:00.000Z'));
    expect(late.finalized.length).toBeGreaterThanOrEqual(3);
    const litware = (await invoicesOf(orgs.Litware)).nodes[0];
    expect(litware).toMatchObject({ status: 'FINALIZED', number: 'LITWARE-2027-0001' });
    const again = await t.server.services.billing.jobs.runPeriodEnd(() => new Date('2027-02-01T01:35:00.000Z'));
    expect(again).toMatchObject({ closed: false, finalized: [] });
  });

  it('numbers the next period\'s invoice next: gapless per organisation', async () => {
    await infer(keys.Litware, '2027-02-10T08:00:00.000Z');
    clock.set('2027-03-01T00:10:00.000Z');
    await gql(t, t.keys.admin, CLOSE, { end: '2027-03-01T00:00:00.000Z' });
    const feb = (await invoicesOf(orgs.Litware)).nodes.find((n: any) => n.periodStart === JAN_END);
    const done = await gql(t, t.keys.admin, FINALIZE, { id: feb.id });
    expect(done.finalizeInvoice.invoice.number).toBe('LITWARE-2027-0002');
  });

  it('finance sees its own organisation\'s invoices only; node(id) resolves an Invoice', async () => {
    const own = await gql(t, keys.Litware, `{ invoices(first: 10) { totalCount nodes { id organization { name } } } }`);
    expect(own.invoices.totalCount).toBe(2);
    expect(own.invoices.nodes.every((n: any) => n.organization.name === 'Litware')).toBe(true);
    const theirs = (await invoicesOf(orgs.Tailspin)).nodes[0].id;
    const foreign = await t.graphql(keys.Litware, INVOICE, { id: theirs });
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const node = await gql(t, t.keys.admin, `query($id: ID!) { node(id: $id) { __typename id ... on Invoice { number } } }`, { id: theirs });
    expect(node.node).toMatchObject({ __typename: 'Invoice', id: theirs });
    expect((await gql(t, keys.Litware, `query($id: ID!) { node(id: $id) { id } }`, { id: theirs })).node).toBeNull();
    const partnerOnly = await t.graphql(t.keys.partner, `{ invoices(first: 1) { totalCount } }`);
    expect(partnerOnly.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const filtered = await gql(t, t.keys.admin, `{ invoices(first: 50, filter: { status: [FINALIZED], from: "2027-02-01T00:00:00Z", to: "2027-03-01T00:00:00Z" }) { nodes { periodStart status } } }`);
    expect(filtered.invoices.nodes.length).toBeGreaterThan(0);
    expect(filtered.invoices.nodes.every((n: any) => n.periodStart === JAN_END && n.status === 'FINALIZED')).toBe(true);
  });

  it('answers unknown or malformed invoice ids NOT_FOUND, and leaves nothing half-written', async () => {
    const unknown = 'gid://marketplace/Invoice/00000000-0000-4000-8000-000000000000';
    expect((await t.graphql(t.keys.admin, INVOICE, { id: unknown })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await t.graphql(t.keys.admin, INVOICE, { id: 'not-an-id' })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const finalize = await gql(t, t.keys.admin, FINALIZE, { id: unknown });
    expect(finalize.finalizeInvoice).toMatchObject({ invoice: null, userErrors: [expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'invoiceId'] })] });
    const draftVoid = await gql(t, t.keys.admin, `mutation($id: ID!) { voidInvoice(input: { invoiceId: $id, reason: "x" }) { userErrors { code message } } }`, { id: unknown });
    expect(draftVoid.voidInvoice.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const [{ n }] = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM credit_note`);
    expect(n).toBe(0);
  });

  it('exports usage as CSV with a total row per meter, and refuses ranges over a year', async () => {
    const url = (q: string) => `${t.url}/v1/usage.csv?${q}`;
    const auth = { headers: { authorization: `Bearer ${keys.Litware}` } };
    const res = await fetch(url('from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z'), auth);
    expect(res.status).toBe(200);
    const rows: Array<Record<string, string>> = parse(await res.text(), { columns: true });
    const requests = rows.filter((r) => r.meter === 'REQUESTS');
    expect(requests.find((r) => r.occurred_at === 'Total')!.quantity).toBe('3');
    expect(rows.every((r) => r.occurred_at === 'Total' || r.organization_id === orgs.Litware.split('/').pop())).toBe(true);
    // amounts: each event's share of its rated line (Starter: 0.50 a request), decimal strings in the currency's exponent, totals that add up
    const events = rows.filter((r) => r.occurred_at !== 'Total');
    expect(events.every((r) => /^\d+\.\d{2}$/.test(r.amount) && r.currency === 'USD')).toBe(true);
    expect(requests.filter((r) => r.occurred_at !== 'Total').map((r) => r.amount)).toEqual(['0.50', '0.50', '0.50']);
    expect(requests.find((r) => r.occurred_at === 'Total')).toMatchObject({ amount: '1.50', currency: 'USD' });
    const grand = rows.filter((r) => r.occurred_at === 'Total' && r.meter === '');
    const cents = (s: string) => Math.round(Number(s) * 100);
    expect(grand).toEqual([expect.objectContaining({ amount: expect.any(String), currency: 'USD' })]);
    expect(cents(grand[0].amount)).toBe(events.reduce((a, r) => a + cents(r.amount), 0));
    const tooLong = await fetch(url('from=2025-01-01T00:00:00Z&to=2027-01-02T00:00:00Z'), auth);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as any).error.message).toMatch(/over a year/);
    expect((await fetch(url('from=yesterday'), auth)).status).toBe(400);
    expect((await fetch(url('from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z'))).status).toBe(401);
    expect((await fetch(url('from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z'), { headers: { authorization: `Bearer ${t.keys.partner}` } })).status).toBe(403);
  });
});
