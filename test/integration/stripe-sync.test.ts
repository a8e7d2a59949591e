import { rowIdOf } from '../../schema/common/global-id';
import { Invoice } from '../../schema/billing/invoice.entity';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';
import type { RequestContext } from '../../api/context';
import { StripeWebhookEvent } from '../../schema/stripe/stripe-webhook-event.entity';
import { Subscription } from '../../schema/subscriptions/subscription.entity';
import { insertFinalizedInvoice } from '../support/invoice-fixtures';
import { LocalStripeServer } from '../support/stripe-server/local-stripe-server';
import { demoModels, runInference, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

const SYNC = `mutation($id: ID!) { syncToStripe(input: { invoiceId: $id }) {
  invoice { id status stripeInvoiceId stripeSync { status attempts lastError nextAttemptAt syncedAt } }
  userErrors { field code message } } }`;

/** Stripe kept in step through the outbox, with the real SDK over HTTP against the local Stripe server. */
describe('Stripe sync: outbox, outages, webhooks', () => {
  let local: LocalStripeServer;
  let t: TestServer;
  let modelId: string;
  let subscriptionId: string;
  let invoice: Invoice;
  // NOTE: the outbox runs on the test's clock: `at(ms)` is that long after `base`, two minutes after start-up.
  let base = 0;
  const at = (offsetMs: number) => new Date(base + offsetMs);

  beforeAll(async () => {
    local = await LocalStripeServer.start();
    t = await startTestServer({
      env: { STRIPE_SECRET_KEY: local.secretKey, STRIPE_API_BASE: local.url, STRIPE_WEBHOOK_SECRET: local.webhookSecret },
      server: { manualStripeDrain: true },
    });
    const models = await demoModels(t);
    modelId = models['review-sentiment'].id;
    subscriptionId = rowIdOf(await subscribe(t, t.keys.partner, models['review-sentiment'].plans.Scale), 'Subscription')!;
    invoice = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 1234n, number: 'CONTOSO-2026-1' });
    base = Date.now() + 120_000;
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await local?.stop();
  });

  const outbox = () => t.server.dataSource.getRepository(StripeOutboxEntry).find({ order: { createdAt: 'ASC' } });
  const ours = () => t.server.dataSource.getRepository(Invoice).findOneByOrFail({ id: invoice.id });
  const subscriptionStatus = async () => (await t.server.dataSource.getRepository(Subscription).findOneByOrFail({ id: subscriptionId })).status;
  const webhookUrl = () => `${t.url}/webhooks/stripe`;

  it('refuses syncToStripe for unknown or foreign invoices and for partners', async () => {
    const unknown = await t.graphql(t.keys.admin, SYNC, { id: 'gid://marketplace/Invoice/00000000-0000-4000-8000-000000000000' });
    expect(unknown.data!.syncToStripe.userErrors[0]).toMatchObject({ code: 'NOT_FOUND', field: ['input', 'invoiceId'] });
    const foreignFinance = await t.graphql(t.keys.vendor, SYNC, { id: invoice.globalId });
    expect(foreignFinance.data!.syncToStripe).toMatchObject({ invoice: null, userErrors: [{ code: 'NOT_FOUND' }] });
    const partner = await t.graphql(t.keys.partner, SYNC, { id: invoice.globalId });
    expect(partner.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await outbox()).toHaveLength(0);
  });

  it('with Stripe down, the invoice stays local and the outbox retries with backoff; once up, exactly one of each Stripe object, with our amounts', async () => {
    local.down();
    const queued = await t.graphql(t.keys.finance, SYNC, { id: invoice.globalId });
    expect(queued.data!.syncToStripe).toMatchObject({ userErrors: [], invoice: { id: invoice.globalId, status: 'FINALIZED', stripeInvoiceId: null, stripeSync: { status: 'PENDING', attempts: 0 } } });

    const invoiceEntry = async () => (await outbox()).find((e) => e.kind === 'INVOICE')!;
    expect(await t.server.services.stripe.drain(at(0))).toMatchObject({ done: 0 });
    const failed = await invoiceEntry();
    expect(failed).toMatchObject({ attempts: 1, doneAt: null, stripeId: null, idempotencyKey: `invoice:${invoice.id}` });
    expect(failed.lastError).toBeTruthy();
    expect(failed.nextAttemptAt.getTime()).toBe(base + 2_000);
    // Not due yet (backoff): not attempted again.
    await t.server.services.stripe.drain(at(1_000));
    expect((await invoiceEntry()).attempts).toBe(1);
    expect((await t.server.services.stripe.drain(at(60_000))).done).toBe(0);
    const retried = await invoiceEntry();
    expect(retried.attempts).toBe(2);
    expect(retried.nextAttemptAt.getTime()).toBe(base + 60_000 + 4_000);
    expect(local.counts()).toEqual({ customers: 0, products: 0, prices: 0, invoiceitems: 0, invoices: 0 });
    expect((await ours()).status).toBe('FINALIZED');

    // Up again, but answers get lost after the work is done: each round goes one request further.
    local.up();
    let clock = 120_000;
    for (let round = 0; round < 6; round++) {
      local.failNext(1, 'lost');
      await t.server.services.stripe.drain(at((clock += 3_600_000)));
    }
    local.failNext(0);
    await t.server.services.stripe.drain(at((clock += 3_600_000)));
    const entries = await outbox();
    expect(entries.map((e) => [e.kind, e.doneAt !== null]).sort()).toEqual([['CUSTOMER', true], ['INVOICE', true], ['PRODUCT', true]]);

    const counts = local.counts();
    const charges = await t.server.dataSource.getRepository(PlanCharge).countBy({ planId: (await t.server.dataSource.getRepository(Subscription).findOneByOrFail({ id: subscriptionId })).planId });
    expect(counts).toEqual({ customers: 1, products: 1, prices: 1 + charges, invoiceitems: 2, invoices: 1 });
    const synced = await ours();
    expect(synced.stripeInvoiceId).toMatch(/^in_/);
    const remote = await local.sdk.invoices.retrieve(synced.stripeInvoiceId!);
    expect(remote).toMatchObject({ status: 'open', currency: 'usd', total: Number(invoice.totalMinor), metadata: { invoice_id: invoice.id } });
    expect(remote.lines.data.map((l) => l.amount)).toEqual([4900, 1234]);

    const view = await t.graphql(t.keys.finance, SYNC, { id: invoice.globalId });
    expect(view.data!.syncToStripe.invoice).toMatchObject({ stripeInvoiceId: synced.stripeInvoiceId, stripeSync: { status: 'SYNCED', lastError: null } });
    await t.server.services.stripe.drain(at((clock += 3_600_000)));
    expect(local.counts()).toEqual(counts);
  });

  it('checks signatures on the raw body: bad, stale or missing -> 400 and nothing changed', async () => {
    const [event] = local.events(invoice.stripeInvoiceId ?? (await ours()).stripeInvoiceId!);
    const payload = JSON.stringify(event);
    const post = (headers: Record<string, string>, body = payload) => fetch(webhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const before = await ours();
    const answers = [
      await post({}),
      await post({ 'stripe-signature': local.signatureFor(payload, { secret: 'whsec_other' }) }),
      await post({ 'stripe-signature': local.signatureFor(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }) }),
      await post({ 'stripe-signature': local.signatureFor(payload) }, payload.replace('"livemode":false', '"livemode":true')),
      await post({ 'stripe-signature': 'garbage' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400]);
    expect(((await answers[0].json()) as any).error.message).toMatch(/Stripe-Signature header is missing/);
    expect(await t.server.dataSource.getRepository(StripeWebhookEvent).count()).toBe(0);
    expect(await ours()).toMatchObject({ status: before.status, paidAt: before.paidAt });
  });

  it('answers 500 and records nothing when Stripe cannot be re-read, so that the redelivery is handled', async () => {
    const stripeInvoiceId = (await ours()).stripeInvoiceId!;
    const [finalized] = local.events(stripeInvoiceId).filter((e) => e.type === 'invoice.finalized');
    local.down();
    const [refused] = await local.deliver(webhookUrl(), [finalized]);
    local.up();
    expect(refused.status).toBe(500);
    expect(await t.server.dataSource.getRepository(StripeWebhookEvent).countBy({ id: finalized.id })).toBe(0);
    const [again] = await local.deliver(webhookUrl(), [finalized]);
    expect(again.status).toBe(200);
    expect(await t.server.dataSource.getRepository(StripeWebhookEvent).findOneByOrFail({ id: finalized.id })).toMatchObject({ outcome: 'unchanged (FINALIZED)' });
  });

  it('answers 200 to an unknown event type, records it and changes nothing', async () => {
    const event = { id: 'evt_unknown_type_1', object: 'event', type: 'customer.tax_id.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'txi_1', object: 'tax_id' } } };
    const [delivery] = await local.deliver(webhookUrl(), [event]);
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.body)).toMatchObject({ received: true, ignored: true });
    expect(await t.server.dataSource.getRepository(StripeWebhookEvent).findOneByOrFail({ id: event.id })).toMatchObject({ outcome: 'ignored' });
    expect((await ours()).status).toBe('FINALIZED');
  });

  it('payment_failed -> PAYMENT_FAILED and PAST_DUE (inference FORBIDDEN naming the invoice); paid -> PAID and ACTIVE; replays change nothing', async () => {
    const stripeInvoiceId = (await ours()).stripeInvoiceId!;
    const ok = await runInference(t, t.keys.partner, { modelId, texts: ['fine'] });
    expect(ok.errors).toBeUndefined();

    local.store.declinePayments = true;
    await expect(local.sdk.invoices.pay(stripeInvoiceId)).rejects.toMatchObject({ statusCode: 402 });
    const failedEvents = local.events(stripeInvoiceId).filter((e) => e.type === 'invoice.payment_failed');
    expect((await local.deliver(webhookUrl(), failedEvents)).map((d) => d.status)).toEqual([200]);
    expect((await ours()).status).toBe('PAYMENT_FAILED');
    expect(await subscriptionStatus()).toBe('PAST_DUE');
    const refused = await runInference(t, t.keys.partner, { modelId, texts: ['fine'] });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(refused.errors?.[0].message).toContain('CONTOSO-2026-1');
    expect(refused.errors?.[0].extensions).toMatchObject({ invoiceId: invoice.globalId, invoiceNumber: 'CONTOSO-2026-1' });

    local.store.declinePayments = false;
    await local.sdk.invoices.pay(stripeInvoiceId);
    const all = local.events(stripeInvoiceId);
    await local.deliver(webhookUrl(), all);
    const paid = await ours();
    expect(paid.status).toBe('PAID');
    expect(paid.paidAt).not.toBeNull();
    expect(await subscriptionStatus()).toBe('ACTIVE');
    expect((await runInference(t, t.keys.partner, { modelId, texts: ['fine'] })).errors).toBeUndefined();

    // Once again, five times over, and shuffled (stale payment_failed events after paid among them).
    const recorded = await t.server.dataSource.getRepository(StripeWebhookEvent).count();
    const fiveTimes = [...all, ...all, ...all, ...all, ...all];
    const shuffled = fiveTimes.map((e, i) => ({ e, k: (i * 7919) % 31 })).sort((a, b) => a.k - b.k).map((x) => x.e);
    for (const batch of [all, fiveTimes, shuffled]) {
      const deliveries = await local.deliver(webhookUrl(), batch);
      expect(deliveries.every((d) => d.status === 200 && JSON.parse(d.body).duplicate === true)).toBe(true);
      expect(await ours()).toMatchObject({ status: 'PAID', paidAt: paid.paidAt });
      expect(await subscriptionStatus()).toBe('ACTIVE');
    }
    expect(await t.server.dataSource.getRepository(StripeWebhookEvent).count()).toBe(recorded);
    expect(local.counts().invoices).toBe(1);
  });

  it('handles the same events in any order on a fresh invoice, by re-reading Stripe', async () => {
    const second = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 77n, number: 'CONTOSO-2026-2', periodStart: new Date(Date.UTC(2026, 10, 1)) });
    await t.graphql(t.keys.admin, SYNC, { id: second.globalId });
    await t.server.services.stripe.drain(at(30 * 86_400_000));
    const stripeInvoiceId = (await t.server.dataSource.getRepository(Invoice).findOneByOrFail({ id: second.id })).stripeInvoiceId!;
    local.store.declinePayments = true;
    await expect(local.sdk.invoices.pay(stripeInvoiceId)).rejects.toMatchObject({ statusCode: 402 });
    local.store.declinePayments = false;
    await local.sdk.invoices.pay(stripeInvoiceId);
    // Newest first: paid arrives before payment_failed; the stale failure must not win.
    await local.deliver(webhookUrl(), [...local.events(stripeInvoiceId)].reverse());
    expect((await t.server.dataSource.getRepository(Invoice).findOneByOrFail({ id: second.id })).status).toBe('PAID');
    expect(await subscriptionStatus()).toBe('ACTIVE');
    expect(local.counts()).toMatchObject({ customers: 1, products: 1, invoices: 2 });
  });

  it('voids the Stripe invoice of an invoice voided here, and never sends one voided before its sync', async () => {
    const ctx = { db: t.server.dataSource.manager, now: () => at(60 * 86_400_000) } as RequestContext;
    const voidHere = (id: string) => t.server.dataSource.query(`UPDATE invoice SET status = 'VOID', voided_at = now() WHERE id = $1`, [id]);
    const sent = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 5n, number: 'CONTOSO-2026-3', periodStart: new Date(Date.UTC(2026, 11, 1)) });
    await t.server.services.stripe.onInvoiceFinalized(ctx, sent.id);
    await t.server.services.stripe.drain(ctx.now());
    const stripeInvoiceId = (await t.server.dataSource.getRepository(Invoice).findOneByOrFail({ id: sent.id })).stripeInvoiceId!;
    await voidHere(sent.id);
    await t.server.services.stripe.onInvoiceVoided(ctx, sent.id);
    await t.server.services.stripe.drain(ctx.now());
    expect((await local.sdk.invoices.retrieve(stripeInvoiceId)).status).toBe('void');

    const before = local.counts();
    const unsent = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 6n, number: 'CONTOSO-2027-1', periodStart: new Date(Date.UTC(2027, 0, 1)) });
    await t.server.services.stripe.onInvoiceFinalized(ctx, unsent.id);
    await voidHere(unsent.id);
    await t.server.services.stripe.onInvoiceVoided(ctx, unsent.id);
    await t.server.services.stripe.drain(ctx.now());
    const entries = await t.server.dataSource.getRepository(StripeOutboxEntry).findBy({ localId: unsent.id });
    expect(entries.map((e) => [e.kind, e.doneAt !== null, e.stripeId]).sort()).toEqual([['INVOICE', true, null], ['INVOICE_VOID', true, null]]);
    expect(local.counts()).toEqual(before);
  });
});

describe('The outbox worker (pg-boss)', () => {
  let local: LocalStripeServer;
  let t: TestServer;

  beforeAll(async () => {
    local = await LocalStripeServer.start();
    t = await startTestServer({ env: { STRIPE_SECRET_KEY: local.secretKey, STRIPE_API_BASE: local.url, STRIPE_WEBHOOK_SECRET: local.webhookSecret } });
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await local?.stop();
  });

  it('syncs an invoice finalized through the billing hook, and one asked for by syncToStripe, with no drain called by hand', async () => {
    const models = await demoModels(t);
    const subscriptionId = rowIdOf(await subscribe(t, t.keys.partner, models['review-sentiment'].plans.Scale), 'Subscription')!;
    const hooked = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 10n, number: 'CONTOSO-2026-1' });
    await t.server.services.stripe.onInvoiceFinalized({ db: t.server.dataSource.manager, now: () => new Date() } as RequestContext, hooked.id);
    const asked = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 20n, number: 'CONTOSO-2026-2', periodStart: new Date(Date.UTC(2026, 10, 1)) });
    expect((await t.graphql(t.keys.finance, SYNC, { id: asked.globalId })).data!.syncToStripe.userErrors).toEqual([]);
    const synced = async () => (await t.server.dataSource.getRepository(StripeOutboxEntry).findBy({ kind: StripeOutboxKind.INVOICE })).filter((e) => e.doneAt).length;
    for (let waited = 0; (await synced()) < 2 && waited < 120_000; waited += 500) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await synced()).toBe(2);
    expect(local.counts()).toMatchObject({ customers: 1, products: 1, invoices: 2, invoiceitems: 4 });
  }, 180_000);
});

describe('Without STRIPE_SECRET_KEY', () => {
  let local: LocalStripeServer;
  let t: TestServer;

  beforeAll(async () => {
    local = await LocalStripeServer.start();
    t = await startTestServer({ env: { STRIPE_API_BASE: local.url, STRIPE_WEBHOOK_SECRET: local.webhookSecret } });
  }, 300_000);
  afterAll(async () => {
    await t?.stop();
    await local?.stop();
  });

  it('keeps invoices local: syncToStripe says Stripe is off, webhooks are refused, nothing calls Stripe', async () => {
    const models = await demoModels(t);
    const subscriptionId = rowIdOf(await subscribe(t, t.keys.partner, models['review-sentiment'].plans.Scale), 'Subscription')!;
    const invoice = await insertFinalizedInvoice(t.server.dataSource, subscriptionId, { usageMinor: 5n, number: 'CONTOSO-2026-1' });
    const res = await t.graphql(t.keys.admin, SYNC, { id: invoice.globalId });
    expect(res.data!.syncToStripe.userErrors[0]).toMatchObject({ code: 'INVALID_STATE' });
    expect(res.data!.syncToStripe.userErrors[0].message).toContain('STRIPE_SECRET_KEY');
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1' } } });
    const hook = await fetch(`${t.url}/webhooks/stripe`, { method: 'POST', headers: { 'stripe-signature': local.signatureFor(payload) }, body: payload });
    expect(hook.status).toBe(400);
    expect(await t.server.services.stripe.drain()).toEqual({ done: 0, failed: 0 });
    expect(await t.server.dataSource.getRepository(StripeOutboxEntry).count()).toBe(0);
    expect(local.requests).toEqual([]);
  });
});
