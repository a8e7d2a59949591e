import { createPartner, demoModels, DemoModelRef, runInference, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';
import { CLOSE, createPlanWith, FINALIZE, gql, organizationOf, TestClock } from '../support/billing-fixtures';

const JAN_END = '2027-02-01T00:00:00.000Z';
const LINES = `pricing kind meter billableUnits unitPrice amount { amountMinor currency }
  tiers { fromUnit toUnit units unitPrice amount { amountMinor currency formatted } }`;
const INVOICE = `query($id: ID!) { invoice(id: $id) { id status total { amountMinor } lines { ${LINES} } } }`;
const PREVIEW = `query($org: ID!) { invoicePreview(organizationId: $org) { lines { ${LINES} } } }`;
const INVOICE_OF = `query($org: ID!) { invoices(filter: { organizationId: $org }) { nodes { id } } }`;
/** Prices that leave a fraction of a cent in every tier. */
const ODD_TIERS = [{ upTo: '3', unitPrice: '0.0015' }, { upTo: '6', unitPrice: '0.0025' }, { upTo: null, unitPrice: '0.0035' }];

type Line = { pricing: string | null; kind: string; meter: string | null; amount: { amountMinor: number }; tiers: Array<{ fromUnit: number; toUnit: number | null; units: number; unitPrice: string; amount: { amountMinor: number; formatted: string } }> };
const requestsLine = (lines: Line[]) => lines.find((l) => l.meter === 'REQUESTS')!;
const tierRows = (line: Line) => line.tiers.map((t) => [t.fromUnit, t.toUnit, t.units, t.unitPrice, t.amount.amountMinor]);
const tierSum = (line: Line) => line.tiers.reduce((sum, t) => sum + BigInt(t.amount.amountMinor), 0n);

/**
 * InvoiceLine.tiers through GraphQL on a real database: the tiers a GRADUATED or VOLUME line was
 * rated with, each tier's share of the line (adding up to it in minor units), written with the
 * line when the draft is written or refreshed and kept once the invoice is finalized.
 */
describe('invoice line tiers', () => {
  const clock = new TestClock(new Date('2027-01-01T00:00:00.000Z'));
  let t: TestServer;
  let models: Record<string, DemoModelRef>;
  let graduated: string;
  const keys: Record<string, string> = {};
  const orgs: Record<string, string> = {};

  const calls = async (key: string, n: number, day: number) => {
    for (let i = 0; i < n; i++) {
      clock.set(`2027-01-${String(day).padStart(2, '0')}T08:00:0${i}.000Z`);
      const res = await runInference(t, key, { modelId: models['review-sentiment'].id, texts: ['fine'] });
      expect(res.data!.runInference.userErrors).toEqual([]);
    }
  };
  const invoiceOf = async (org: string) => {
    const { invoices } = await gql(t, t.keys.admin, INVOICE_OF, { org });
    return (await gql(t, t.keys.admin, INVOICE, { id: invoices.nodes[0].id })).invoice;
  };

  beforeAll(async () => {
    t = await startTestServer({ server: { now: clock.now } });
    models = await demoModels(t);
    graduated = await createPlanWith(t, models['review-sentiment'].id, { name: 'Tiers Graduated', flatFeeMinor: '500', charges: [{ meter: 'REQUESTS', pricing: 'GRADUATED', tiers: ODD_TIERS }] });
    const volume = await createPlanWith(t, models['review-sentiment'].id, { name: 'Tiers Volume', charges: [{ meter: 'REQUESTS', pricing: 'VOLUME', tiers: ODD_TIERS }] });
    const standard = await createPlanWith(t, models['review-sentiment'].id, { name: 'Tiers Standard', charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.0015' }] });
    for (const [name, plan] of [['Graduated Co', graduated], ['Volume Co', volume], ['Standard Co', standard]]) {
      keys[name] = await createPartner(t, name);
      orgs[name] = await organizationOf(t, keys[name]);
      await subscribe(t, keys[name], plan);
    }
    await calls(keys['Graduated Co'], 8, 5);
    await calls(keys['Volume Co'], 5, 6);
    await calls(keys['Standard Co'], 5, 7);
  }, 240_000);
  afterAll(async () => t?.stop());

  it('previews a GRADUATED line with one tier per tier reached, sharing the once-rounded amount by largest remainder', async () => {
    clock.set('2027-01-20T00:00:00.000Z');
    const [preview] = (await gql(t, keys['Graduated Co'], PREVIEW, { org: orgs['Graduated Co'] })).invoicePreview;
    const line = requestsLine(preview.lines);
    // 3 x 0.0015 + 3 x 0.0025 + 2 x 0.0035 = 0.45 + 0.75 + 0.70 = 1.9 cents, rounded once to 2; the two largest fractions get a cent each.
    expect(line).toMatchObject({ pricing: 'GRADUATED', billableUnits: 8, unitPrice: null, amount: { amountMinor: 2 } });
    expect(tierRows(line)).toEqual([[1, 3, 3, '0.0015', 0], [4, 6, 3, '0.0025', 1], [7, null, 2, '0.0035', 1]]);
    expect(line.tiers.map((tier: Line['tiers'][number]) => tier.amount.formatted)).toEqual(['$0.00', '$0.01', '$0.01']);
    expect(preview.lines.find((l: Line) => l.kind === 'FLAT_FEE')).toMatchObject({ pricing: null, tiers: [] });
  });

  it('writes the tiers with the lines at close: GRADUATED per tier, VOLUME the one tier, none for STANDARD or uncharged meters', async () => {
    clock.set('2027-02-01T00:10:00.000Z');
    const closed = await gql(t, t.keys.admin, CLOSE, { end: JAN_END });
    expect(closed.closeBillingPeriod).toMatchObject({ created: 3, userErrors: [] });

    const graduatedInvoice = await invoiceOf(orgs['Graduated Co']);
    expect(tierRows(requestsLine(graduatedInvoice.lines))).toEqual([[1, 3, 3, '0.0015', 0], [4, 6, 3, '0.0025', 1], [7, null, 2, '0.0035', 1]]);
    const volumeLine = requestsLine((await invoiceOf(orgs['Volume Co'])).lines);
    // 5 units fall in the 4..6 tier, which prices all five: 1.25 cents -> 1.
    expect(volumeLine).toMatchObject({ pricing: 'VOLUME', amount: { amountMinor: 1 } });
    expect(tierRows(volumeLine)).toEqual([[4, 6, 5, '0.0025', 1]]);
    const standardInvoice = await invoiceOf(orgs['Standard Co']);
    expect(requestsLine(standardInvoice.lines)).toMatchObject({ pricing: 'STANDARD', unitPrice: '0.0015', amount: { amountMinor: 1 }, tiers: [] });
    for (const invoice of [graduatedInvoice, standardInvoice]) {
      for (const line of invoice.lines as Line[]) {
        if (line.tiers.length) expect(tierSum(line)).toBe(BigInt(line.amount.amountMinor));
        if (line.meter === 'INPUT_TOKENS') expect(line).toMatchObject({ pricing: null, tiers: [] }); // not charged by these plans
      }
    }
  });

  it('re-rates the tiers when a draft in grace is refreshed, and keeps them once the invoice is finalized, whatever the plan says later', async () => {
    // The vendor's tier table changes while the draft is still in grace: the refresh rates the line anew.
    const cheaper = [{ upTo: '4', unitPrice: '0.001' }, { upTo: null, unitPrice: '0.002' }];
    await t.server.dataSource.query(`UPDATE plan_charge SET tiers = $2::jsonb WHERE plan_id = $1`, [graduated.split('/').pop(), JSON.stringify(cheaper)]);
    clock.set('2027-02-01T00:30:00.000Z');
    const refreshed = await gql(t, t.keys.admin, CLOSE, { end: JAN_END });
    expect(refreshed.closeBillingPeriod.refreshed).toBeGreaterThanOrEqual(1);
    const draft = await invoiceOf(orgs['Graduated Co']);
    // 4 x 0.001 + 4 x 0.002 = 1.2 cents -> 1: 0.4 and 0.8, the cent to the larger fraction.
    expect(tierRows(requestsLine(draft.lines))).toEqual([[1, 4, 4, '0.001', 0], [5, null, 4, '0.002', 1]]);

    const done = await gql(t, t.keys.admin, FINALIZE, { id: draft.id });
    expect(done.finalizeInvoice.userErrors).toEqual([]);
    const finalized = await invoiceOf(orgs['Graduated Co']);
    expect(finalized.status).toBe('FINALIZED');

    await t.server.dataSource.query(`UPDATE plan_charge SET tiers = $2::jsonb WHERE plan_id = $1`, [graduated.split('/').pop(), JSON.stringify(ODD_TIERS)]);
    clock.set('2027-02-20T00:00:00.000Z');
    await gql(t, t.keys.admin, CLOSE, { end: JAN_END });
    const later = await invoiceOf(orgs['Graduated Co']);
    expect(later.lines).toEqual(finalized.lines);
    expect(tierRows(requestsLine(later.lines))).toEqual([[1, 4, 4, '0.001', 0], [5, null, 4, '0.002', 1]]);
    // And the database itself refuses to rewrite a finalized line's tiers.
    await expect(t.server.dataSource.query(`UPDATE invoice_line SET rated_tiers = '[]' WHERE invoice_id = $1`, [draft.id.split('/').pop()])).rejects.toThrow(/cannot change/);
  });
});
