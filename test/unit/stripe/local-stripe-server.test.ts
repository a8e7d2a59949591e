import http from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { LocalStripeServer } from '../../support/stripe-server/local-stripe-server';

/** The local Stripe-compatible server, reached by the real SDK over HTTP. */
describe('LocalStripeServer', () => {
  let local: LocalStripeServer;
  let stripe: Stripe;

  beforeEach(async () => {
    local = await LocalStripeServer.start();
    stripe = new Stripe(local.secretKey, { ...local.sdkOptions(), maxNetworkRetries: 0 });
  });
  afterEach(() => local.stop());

  it('keeps customers, products and prices with Stripe-shaped ids and fields', async () => {
    const customer = await stripe.customers.create({ name: 'Contoso', metadata: { organization_id: 'o1' } });
    expect(customer).toMatchObject({ object: 'customer', name: 'Contoso', livemode: false, metadata: { organization_id: 'o1' } });
    expect(customer.id).toMatch(/^cus_/);
    expect(typeof customer.created).toBe('number');
    const product = await stripe.products.create({ name: 'Basic' });
    const price = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1200, nickname: 'flat fee' });
    expect(product.id).toMatch(/^prod_/);
    expect(price).toMatchObject({ object: 'price', product: product.id, unit_amount: 1200, currency: 'usd' });
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
    expect((await stripe.prices.list({ product: product.id })).data.map((p) => p.id)).toEqual([price.id]);
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('runs an invoice through draft -> open -> paid with items whose amounts add up', async () => {
    const customer = await stripe.customers.create({ name: 'Contoso' });
    const draft = await stripe.invoices.create({ customer: customer.id, currency: 'usd', auto_advance: false, metadata: { invoice_id: 'i1' } });
    expect(draft).toMatchObject({ object: 'invoice', status: 'draft', total: 0, metadata: { invoice_id: 'i1' } });
    expect(draft.id).toMatch(/^in_/);
    await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1234, currency: 'usd', description: 'usage' });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 5000, currency: 'usd', description: 'flat fee' });
    const open = await stripe.invoices.finalizeInvoice(draft.id!);
    expect(open).toMatchObject({ status: 'open', total: 6234, amount_due: 6234 });
    expect(open.lines.data.map((l) => l.amount)).toEqual([1234, 5000]);
    await expect(stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1, currency: 'usd' })).rejects.toMatchObject({ statusCode: 400 });
    const paid = await stripe.invoices.pay(draft.id!);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 6234, amount_remaining: 0 });
    expect(local.events(draft.id).map((e) => e.type)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.payment_succeeded', 'invoice.paid']);
    expect((await stripe.invoices.list({ customer: customer.id })).data).toHaveLength(1);
    await expect(stripe.invoices.voidInvoice(draft.id!)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('declines payments on demand (402, invoice.payment_failed) and voids open invoices', async () => {
    const customer = await stripe.customers.create({});
    const invoice = await stripe.invoices.create({ customer: customer.id, currency: 'usd' });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 100, currency: 'usd' });
    await stripe.invoices.finalizeInvoice(invoice.id!);
    local.store.declinePayments = true;
    await expect(stripe.invoices.pay(invoice.id!)).rejects.toMatchObject({ statusCode: 402, type: 'StripeCardError' });
    expect((await stripe.invoices.retrieve(invoice.id!)).attempt_count).toBe(1);
    expect(local.events(invoice.id).map((e) => e.type)).toContain('invoice.payment_failed');
    expect((await stripe.invoices.voidInvoice(invoice.id!)).status).toBe('void');
  });

  it('replays the first answer for the same idempotency key and body, and refuses another body', async () => {
    const first = await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'customer:o1' });
    const again = await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'customer:o1' });
    expect(again.id).toBe(first.id);
    await expect(stripe.customers.create({ name: 'B' }, { idempotencyKey: 'customer:o1' })).rejects.toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
    expect(local.counts().customers).toBe(1);
  });

  it('fails the next requests with 500, before or after doing the work', async () => {
    local.failNext(1);
    await expect(stripe.customers.create({ name: 'A' }, { idempotencyKey: 'k1' })).rejects.toMatchObject({ statusCode: 500 });
    expect(local.counts().customers).toBe(0);
    local.failNext(1, 'lost');
    await expect(stripe.customers.create({ name: 'B' }, { idempotencyKey: 'k2' })).rejects.toMatchObject({ statusCode: 500 });
    expect(local.counts().customers).toBe(1);
    const retried = await stripe.customers.create({ name: 'B' }, { idempotencyKey: 'k2' });
    expect(retried.name).toBe('B');
    expect(local.counts().customers).toBe(1);
  });

  it('refuses connections while down, and serves again once up', async () => {
    local.down();
    await expect(stripe.customers.create({ name: 'A' })).rejects.toMatchObject({ type: 'StripeConnectionError' });
    local.up();
    await stripe.customers.create({ name: 'A' });
    expect(local.counts().customers).toBe(1);
  });

  it('refuses a wrong API key', async () => {
    const other = new Stripe('sk_test_wrong', { ...local.sdkOptions(), maxNetworkRetries: 0 });
    await expect(other.customers.create({})).rejects.toMatchObject({ statusCode: 401 });
  });

  it('delivers its events signed, so that constructEvent accepts them and rejects tampering', async () => {
    const customer = await stripe.customers.create({});
    const invoice = await stripe.invoices.create({ customer: customer.id, currency: 'usd' });
    await stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 100, currency: 'usd' });
    await stripe.invoices.finalizeInvoice(invoice.id!);
    const received: Array<{ body: string; signature: string }> = [];
    const endpoint = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c)).on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature']) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/`;
      const deliveries = await local.deliver(url, local.events(invoice.id));
      expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
      const events = received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, local.webhookSecret, 300));
      expect(events.map((e) => e.type)).toEqual(['invoice.created', 'invoice.finalized']);
      expect(events[0].id).toMatch(/^evt_/);
      expect(() => stripe.webhooks.constructEvent(received[0].body + ' ', received[0].signature, local.webhookSecret, 300)).toThrow();
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });
});
