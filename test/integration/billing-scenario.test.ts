import { parse } from 'csv-parse/sync';
import { demoModels, DemoModelRef, runInference, subscribe, createPartner } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';
import { CHANGE_PLAN, CLOSE, createPlanWith, FINALIZE, gql, INVOICE_FIELDS, organizationOf, TestClock, VOID } from '../support/billing-fixtures';

/**
 * A billing cycle with an injected clock: subscribe on October 1st, a month of usage across two
 * plans (an upgrade on the 16th), close on November 1st, a late event and a correction in the
 * grace period (the draft is refreshed, not duplicated), finalize, reconcile, export, void.
 */
describe('billing scenario: a month across two plans, close, grace, finalize', () => {
  const clock = new TestClock(new Date('2026-10-01T00:00:00.000Z'));
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  let partner: string;
  let orgId: string;
  let subscriptionId: string;
  let starter: string;
  let pro: string;
  let invoiceId: string;

  const sentiment = () => models['review-sentiment'];
  const infer = async (at: string, texts: string[]) => {
    clock.set(at);
    const res = await runInference(t, partner, { modelId: sentiment().id, texts });
    expect(res.errors).toBeUndefined();
    expect(res.data!.runInference.userErrors).toEqual([]);
  };
  const invoice = async (key = t.keys.admin) => (await gql(t, key, `query($id: ID!) { invoice(id: $id) { ${INVOICE_FIELDS} reconciliation { ok checkedAt lines { line { id } expected actual } } } }`, { id: invoiceId })).invoice;
  const requestLines = (inv: any) => inv.lines.filter((l: any) => l.meter === 'REQUESTS');

  beforeAll(async () => {
    t = await startTestServer({ server: { now: clock.now } });
    models = await demoModels(t);
    starter = await createPlanWith(t, sentiment().id, { name: 'Billing Starter', flatFeeMinor: '1000',
      charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.015' }] });
    pro = await createPlanWith(t, sentiment().id, { name: 'Billing Pro', flatFeeMinor: '5000',
      charges: [{ meter: 'REQUESTS', pricing: 'GRADUATED', tiers: [{ upTo: '2', unitPrice: '0' }, { upTo: null, unitPrice: '0.125' }] }] });
    partner = await createPartner(t, 'Fabrikam Billing');
    orgId = await organizationOf(t, partner);
  }, 180_000);
  afterAll(async () => t?.stop());

  it('subscribes, meters a month of usage and upgrades mid-month (now, by the second)', async () => {
    subscriptionId = await subscribe(t, partner, starter);
    await infer('2026-10-05T10:00:00.000Z', ['great product']);
    await infer('2026-10-09T10:00:00.000Z', ['bad', 'fine']);
    clock.set('2026-10-16T00:00:00.000Z');
    const changed = await gql(t, partner, CHANGE_PLAN, { s: subscriptionId, p: pro });
    expect(changed.changeSubscriptionPlan).toMatchObject({ userErrors: [], effectiveAt: '2026-10-16T00:00:00.000Z', subscription: { plan: { name: 'Billing Pro' } } });
    await infer('2026-10-20T10:00:00.000Z', ['a', 'b', 'c']);
    await infer('2026-10-31T23:00:00.000Z', ['d']);
  });

  it('refuses to close a period that has not ended, or a date that is no boundary', async () => {
    clock.set('2026-10-31T23:30:00.000Z');
    const future = await gql(t, t.keys.admin, CLOSE, { end: '2026-11-01T00:00:00.000Z' });
    expect(future.closeBillingPeriod.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'periodEnd'], message: expect.stringMatching(/in the future/) })]);
    const odd = await gql(t, t.keys.admin, CLOSE, { end: '2026-10-15T00:00:00.000Z' });
    expect(odd.closeBillingPeriod.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', message: expect.stringMatching(/not a period boundary/) })]);
    expect((await gql(t, t.keys.admin, `{ invoices(first: 5, filter: { status: [DRAFT] }) { totalCount } }`)).invoices.totalCount).toBe(0);
  });

  it('closes the period into one DRAFT: a prorated flat fee and a usage line per plan window, rated under each plan', async () => {
    clock.set('2026-11-01T00:05:00.000Z');
    const closed = await gql(t, t.keys.admin, CLOSE, { end: '2026-11-01T00:00:00.000Z' });
    expect(closed.closeBillingPeriod).toMatchObject({ userErrors: [], periodStart: '2026-10-01T00:00:00.000Z', created: expect.any(Number) });
    expect(closed.closeBillingPeriod.created).toBeGreaterThanOrEqual(1);
    const list = await gql(t, t.keys.admin, `query($org: ID!) { invoices(first: 10, filter: { organizationId: $org }) { totalCount nodes { id } } }`, { org: orgId });
    expect(list.invoices.totalCount).toBe(1);
    invoiceId = list.invoices.nodes[0].id;
    const draft = await invoice();
    expect(draft).toMatchObject({ status: 'DRAFT', number: expect.stringMatching(/^DRAFT-/), currency: 'USD', graceUntil: '2026-11-01T01:00:00.000Z', stripeInvoiceId: null });
    const fees = draft.lines.filter((l: any) => l.kind === 'FLAT_FEE');
    // 15 of 31 days on Starter (10.00), 16 on Pro (50.00), by the second, rounded once each
    expect(fees.map((l: any) => [l.quantity, l.amount.amountMinor])).toEqual([[15 * 86400, 484], [16 * 86400, 2581]]);
    // one REQUESTS unit per call. Starter: 2 x 0.015 = 0.03; Pro: 2 requests, both in its free first tier
    expect(requestLines(draft).map((l: any) => [l.quantity, l.amount.amountMinor])).toEqual([[2, 3], [2, 0]]);
    const sum = draft.lines.reduce((a: number, l: any) => a + l.amount.amountMinor, 0);
    expect(draft.total.amountMinor).toBe(sum);
    expect(draft.reconciliation.ok).toBe(true);
  });

  it('closing again in the grace period refreshes the draft instead of making another (its unchanged lines left as they were)', async () => {
    const before = (await invoice()).lines.map((l: any) => l.id);
    const again = await gql(t, t.keys.admin, CLOSE, { end: '2026-11-01T00:00:00.000Z' });
    expect((await invoice()).lines.map((l: any) => l.id)).toEqual(before);
    expect(again.closeBillingPeriod).toMatchObject({ created: 0, userErrors: [] });
    expect(again.closeBillingPeriod.refreshed).toBeGreaterThanOrEqual(1);
    const list = await gql(t, t.keys.admin, `query($org: ID!) { invoices(first: 10, filter: { organizationId: $org }) { totalCount } }`, { org: orgId });
    expect(list.invoices.totalCount).toBe(1);
  });

  it('takes a late event and a correction during the grace period into the draft', async () => {
    clock.set('2026-11-01T00:20:00.000Z');
    // a call answered at 23:59:59 whose event committed after the close (a delayed flush)
    const [{ id: sub }] = await t.server.dataSource.query(`SELECT id FROM subscription WHERE organization_id = $1`, [orgId.split('/').pop()]);
    await t.server.dataSource.query(`INSERT INTO usage_event (organization_id, subscription_id, model_id, meter, quantity, occurred_at, idempotency_key)
      SELECT organization_id, subscription_id, model_id, meter, 6, '2026-10-31T23:59:59.000Z', 'late-1' FROM usage_event WHERE subscription_id = $1 AND meter = 'REQUESTS' LIMIT 1`, [sub]);
    await gql(t, t.keys.admin, CLOSE, { end: '2026-11-01T00:00:00.000Z' });
    expect(requestLines(await invoice()).map((l: any) => [l.quantity, l.amount.amountMinor])).toEqual([[2, 3], [8, 75]]);
    // cancel one of the Starter window's events: the draft follows at once
    const events = await gql(t, t.keys.admin, `{ usageEvents(first: 100, filter: { meter: REQUESTS }) { nodes { id quantity occurredAt } } }`);
    const early = events.usageEvents.nodes.find((e: any) => e.occurredAt === '2026-10-09T10:00:00.000Z');
    const canceled = await gql(t, t.keys.admin, `mutation($id: ID!) { cancelUsageEvent(input: { usageEventId: $id, reason: "duplicate upload" }) { usageEvent { canceledAt } userErrors { code message } } }`, { id: early.id });
    expect(canceled.cancelUsageEvent.userErrors).toEqual([]);
    const refreshed = await invoice();
    expect(requestLines(refreshed).map((l: any) => [l.quantity, l.amount.amountMinor])).toEqual([[1, 2], [8, 75]]); // 0.015 rounds half-up to 0.02
    expect(refreshed.reconciliation.ok).toBe(true);
  });

  it('finalizes: a gapless number per organisation, immutable in the database', async () => {
    clock.set('2026-11-01T00:40:00.000Z');
    const done = await gql(t, t.keys.admin, FINALIZE, { id: invoiceId });
    expect(done.finalizeInvoice).toMatchObject({ userErrors: [], invoice: { status: 'FINALIZED', number: 'FABRIKAMBILL-2026-0001' } });
    const again = await gql(t, t.keys.admin, FINALIZE, { id: invoiceId });
    expect(again.finalizeInvoice.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_STATE', message: expect.stringMatching(/already FINALIZED/) })]);
    const id = invoiceId.split('/').pop();
    await expect(t.server.dataSource.query(`UPDATE invoice_line SET amount_minor = 0 WHERE invoice_id = $1`, [id])).rejects.toThrow(/cannot change/);
    await expect(t.server.dataSource.query(`UPDATE invoice SET total_minor = 1 WHERE id = $1`, [id])).rejects.toThrow(/cannot change/);
    await expect(t.server.dataSource.query(`DELETE FROM invoice WHERE id = $1`, [id])).rejects.toThrow(/cannot be deleted/);
    await expect(t.server.dataSource.query(`INSERT INTO invoice_line (invoice_id, kind, description, subscription_id, plan_id, model_id, quantity, billable_units, amount_minor, service_period_start, service_period_end, position)
      SELECT invoice_id, kind, description, subscription_id, plan_id, model_id, 1, 1, 1, service_period_start, service_period_end, 99 FROM invoice_line WHERE invoice_id = $1 LIMIT 1`, [id])).rejects.toThrow(/cannot change/);
    // after the grace period and finalization, corrections are refused
    clock.set('2026-11-02T00:00:00.000Z');
    const events = await gql(t, t.keys.admin, `{ usageEvents(first: 100, filter: { meter: REQUESTS }) { nodes { id occurredAt canceledAt } } }`);
    const open = events.usageEvents.nodes.find((e: any) => !e.canceledAt && e.occurredAt.startsWith('2026-10'));
    const refused = await gql(t, t.keys.admin, `mutation($id: ID!) { cancelUsageEvent(input: { usageEventId: $id, reason: "late" }) { userErrors { code message } } }`, { id: open.id });
    expect(refused.cancelUsageEvent.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_STATE', message: expect.stringMatching(/closed/) })]);
  });

  it('reconciles against usage_event, and names the line when an event was corrected behind its back', async () => {
    const ok = await invoice();
    expect(ok.reconciliation).toMatchObject({ ok: true, checkedAt: expect.any(String) });
    expect(ok.reconciliation.lines.length).toBe(ok.lines.filter((l: any) => l.kind === 'USAGE').length);
    await t.server.dataSource.query(`UPDATE usage_event SET quantity = quantity + 1 WHERE idempotency_key = 'late-1'`);
    const bad = await invoice();
    expect(bad.reconciliation.ok).toBe(false);
    const proLine = requestLines(bad)[1];
    expect(bad.reconciliation.lines.filter((l: any) => l.expected !== l.actual)).toEqual([{ line: { id: proLine.id }, expected: 9, actual: 8 }]);
    await t.server.dataSource.query(`UPDATE usage_event SET quantity = quantity - 1 WHERE idempotency_key = 'late-1'`);
  });

  it('names usage of the period that no line bills (an event written after finalization for a meter the invoice has no line for)', async () => {
    expect((await invoice()).reconciliation.ok).toBe(true);
    await t.server.dataSource.query(`INSERT INTO usage_event (organization_id, subscription_id, model_id, meter, quantity, occurred_at, idempotency_key)
      SELECT organization_id, subscription_id, model_id, 'TRAINING_STEPS', 40, '2026-10-30T12:00:00.000Z', 'unbilled-1' FROM usage_event WHERE idempotency_key = 'late-1'`);
    try {
      const res = await gql(t, t.keys.admin, `query($id: ID!) { invoice(id: $id) { reconciliation { ok lines { line { id } subscription { id } model { id } meter expected actual } } } }`, { id: invoiceId });
      expect(res.invoice.reconciliation.ok).toBe(false);
      expect(res.invoice.reconciliation.lines.filter((l: any) => l.line === null)).toEqual([
        { line: null, subscription: { id: subscriptionId }, model: { id: sentiment().id }, meter: 'TRAINING_STEPS', expected: 40, actual: 0 }]);
      const period = await t.server.services.billing.reconciliation.reconcilePeriod({ db: t.server.dataSource.manager } as never, new Date('2026-10-01T00:00:00.000Z'));
      expect(period).toMatchObject({ ok: false, mismatched: [invoiceId.split('/').pop()] });
    } finally {
      await t.server.dataSource.query(`DELETE FROM usage_event WHERE idempotency_key = 'unbilled-1'`);
    }
    expect((await invoice()).reconciliation.ok).toBe(true);
  });

  it('exports the invoice as RFC 4180 CSV whose lines sum to its total', async () => {
    const finance = await gql(t, t.keys.admin, `mutation($org: ID!) { createApiKey(input: { name: "finance", roles: [FINANCE], organizationId: $org }) { key } }`, { org: orgId });
    const res = await fetch(`${t.url}/v1/invoices/${invoiceId}.csv`, { headers: { authorization: `Bearer ${finance.createApiKey.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await res.text();
    expect(text).toContain('\r\n');
    const rows: Array<Record<string, string>> = parse(text, { columns: true });
    const total = rows.find((r) => r.description === 'Total')!;
    const lines = rows.filter((r) => r.description !== 'Total');
    const cents = (s: string) => Math.round(Number(s) * 100);
    expect(lines.reduce((a, r) => a + cents(r.amount), 0)).toBe(cents(total.amount));
    expect(total.amount).toMatch(/^\d+\.\d{2}$/);
    // another organisation's finance key sees nothing
    const other = await fetch(`${t.url}/v1/invoices/${encodeURIComponent(invoiceId)}.csv`, { headers: { authorization: `Bearer ${t.keys.finance}` } });
    expect(other.status).toBe(404);
  });

  it('pays the vendor its share: per model gross, platform share and net in minor units that add up', async () => {
    const statement = (await gql(t, t.keys.vendor, `{ vendorStatement(period: "2026-10") { platformSharePercent lines { model { id } currency gross { amountMinor } platformShare { amountMinor } netPayable { amountMinor } } totals { currency gross { amountMinor } platformShare { amountMinor } netPayable { amountMinor } } } }`)).vendorStatement;
    expect(statement.platformSharePercent).toBe('20');
    const line = statement.lines.find((l: any) => l.model.id === sentiment().id);
    const inv = await invoice();
    expect(line.gross.amountMinor).toBe(inv.total.amountMinor);
    expect(line.platformShare.amountMinor + line.netPayable.amountMinor).toBe(line.gross.amountMinor);
    for (const total of statement.totals) expect(total.platformShare.amountMinor + total.netPayable.amountMinor).toBe(total.gross.amountMinor);
  });

  it('voids with a credit note that keeps the number; voiding twice or finalizing a void invoice is refused', async () => {
    const voided = await gql(t, t.keys.admin, VOID, { id: invoiceId, reason: 'billed in error' });
    expect(voided.voidInvoice).toMatchObject({ userErrors: [], invoice: { status: 'VOID', number: 'FABRIKAMBILL-2026-0001' },
      creditNote: { number: 'FABRIKAMBILL-2026-0001-CN1', reason: 'billed in error' } });
    expect(voided.voidInvoice.creditNote.amount.amountMinor).toBe((await invoice()).total.amountMinor);
    const twice = await gql(t, t.keys.admin, VOID, { id: invoiceId, reason: 'again' });
    expect(twice.voidInvoice).toMatchObject({ invoice: null, creditNote: null, userErrors: [expect.objectContaining({ code: 'INVALID_STATE', message: expect.stringMatching(/already void/) })] });
    const finalize = await gql(t, t.keys.admin, FINALIZE, { id: invoiceId });
    expect(finalize.finalizeInvoice.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_STATE', message: expect.stringMatching(/void invoice cannot be finalized/) })]);
    const notes = await t.server.dataSource.query(`SELECT count(*)::int AS n FROM credit_note`);
    expect(notes[0].n).toBe(1);
  });
});
