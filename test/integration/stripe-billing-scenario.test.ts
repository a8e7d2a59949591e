import { LocalStripeServer } from '../support/stripe-server/local-stripe-server';
import { CLOSE, createPlanWith, FINALIZE, gql, INVOICE_FIELDS, organizationOf, TestClock } from '../support/billing-fixtures';
import { createPartner, demoModels, runInference, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

/**
 * The billing cycle through Stripe, with an injected clock: usage in October, close, finalize
 * (billing's hook queues the sync), Stripe down during the sync then up: exactly one Stripe
 * invoice with our amounts; invoice.paid -> PAID; its webhooks replayed once, five times and
 * shuffled leave the same state.
 */
describe('billing through Stripe: close -> finalize -> sync (Stripe down, then up) -> paid', () => {
  const clock = new TestClock(new Date('2026-10-01T00:00:00.000Z'));
  let local: LocalStripeServer;
  let t: TestServer;
  let partner: string;
  let orgId: string;
  let invoiceId: string;

  const invoice = async () => (await gql(t, t.keys.admin, `query($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} stripeSync { status attempts lastError } } }`, { id: invoiceId })).invoice;

  beforeAll(async () => {
    local = await LocalStripeServer.start();
    t = await startTestServer({
      env: { STRIPE_SECRET_KEY: local.secretKey, STRIPE_API_BASE: local.url, STRIPE_WEBHOOK_SECRET: local.webhookSecret, BILLING_JOBS: 'false' },
      server: { now: clock.now, manualStripeDrain: true },
    });
    const sentiment = (await demoModels(t))['review-sentiment'];
    const plan = await createPlanWith(t, sentiment.id, { name: 'Stripe Metered', flatFeeMinor: '2500', charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.333' }] });
    partner = await createPartner(t, 'Tailspin Stripe');
    orgId = await organizationOf(t, partner);
    await subscribe(t, partner, plan);
    for (const [at, texts] of [['2026-10-03T09:00:00.000Z', ['good']], ['2026-10-20T09:00:00.000Z', ['bad', 'meh', 'great']]] as const) {
      clock.set(at);
      const res = await runInference(t, partner, { modelId: sentiment.id, texts: [...texts] });
      expect(res.errors).toBeUndefined();
    }
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await local?.stop();
  });

  it('queues the sync when the invoice is finalized, keeps it local while Stripe is down, and sends it once when Stripe is back', async () => {
    clock.set('2026-11-01T02:00:00.000Z');
    expect((await gql(t, t.keys.admin, CLOSE, { end: '2026-11-01T00:00:00.000Z' })).closeBillingPeriod.userErrors).toEqual([]);
    const list = await gql(t, t.keys.admin, `query($org: ID!) { invoices(first: 5, filter: { organizationId: $org }) { nodes { id } } }`, { org: orgId });
    invoiceId = list.invoices.nodes[0].id;
    expect((await invoice()).stripeSync).toMatchObject({ status: 'NOT_SYNCED' });

    local.down();
    const finalized = await gql(t, t.keys.admin, FINALIZE, { id: invoiceId });
    expect(finalized.finalizeInvoice.userErrors).toEqual([]);
    expect((await invoice()).stripeSync).toMatchObject({ status: 'PENDING', attempts: 0 });
    await t.server.services.stripe.drain(new Date('2026-11-01T02:00:01.000Z'));
    const waiting = await invoice();
    expect(waiting).toMatchObject({ status: 'FINALIZED', stripeInvoiceId: null, stripeSync: { status: 'RETRYING', attempts: 1 } });
    expect(waiting.stripeSync.lastError).toBeTruthy();

    local.up();
    await t.server.services.stripe.drain(new Date('2026-11-01T03:00:00.000Z'));
    await t.server.services.stripe.drain(new Date('2026-11-01T04:00:00.000Z'));
    const synced = await invoice();
    expect(synced.stripeSync).toMatchObject({ status: 'SYNCED', lastError: null });
    expect(local.counts()).toMatchObject({ customers: 1, products: 1, invoices: 1, invoiceitems: synced.lines.length });
    const remote = await local.sdk.invoices.retrieve(synced.stripeInvoiceId);
    expect(remote.status).toBe('open');
    expect(remote.total).toBe(synced.total.amountMinor);
    expect(remote.lines.data.map((l) => [l.metadata.invoice_line_id, l.amount]).sort())
      .toEqual(synced.lines.map((l: any) => [l.id.split('/').pop(), l.amount.amountMinor]).sort());
  });

  it('invoice.paid -> PAID; the same webhooks once more, five times and shuffled change nothing', async () => {
    const { stripeInvoiceId } = await invoice();
    await local.sdk.invoices.pay(stripeInvoiceId);
    const events = local.events(stripeInvoiceId);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['invoice.finalized', 'invoice.paid']));
    const url = `${t.url}/webhooks/stripe`;
    expect((await local.deliver(url, events)).every((d) => d.status === 200)).toBe(true);
    const paid = await invoice();
    expect(paid.status).toBe('PAID');
    const replays = [events, [...events, ...events, ...events, ...events, ...events], [...events, ...events].reverse()];
    for (const batch of replays) {
      expect((await local.deliver(url, batch)).every((d) => d.status === 200)).toBe(true);
      expect(await invoice()).toEqual(paid);
    }
    expect(local.counts()).toMatchObject({ customers: 1, invoices: 1 });
  });
});
