import { seedDemo } from '../../api/seed/demo-seed';
import { gql } from '../support/billing-fixtures';
import { demoModels, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

/** `npm start`'s seed: Contoso has last month's invoice, finalized, the moment the server is up. */
describe('demo seed with a billed period', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ seed: false });
    t.keys = (await seedDemo(t.server, t.dataDir, { billedPeriod: true }))!;
  }, 180_000);
  afterAll(async () => t?.stop());

  it('shows Contoso\'s finance a finalized invoice for last month that reconciles', async () => {
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString();
    const data = await gql(t, t.keys.finance, `{ invoices(first: 5) { totalCount nodes { number status periodStart total { amountMinor formatted }
      lines { kind meter quantity amount { amountMinor } } reconciliation { ok } } } }`);
    expect(data.invoices.totalCount).toBe(1);
    const [invoice] = data.invoices.nodes;
    expect(invoice).toMatchObject({ status: 'FINALIZED', periodStart: lastMonth, number: `CONTOSO-${lastMonth.slice(0, 4)}-0001`, reconciliation: { ok: true } });
    expect(invoice.total.amountMinor).toBeGreaterThan(0);
    expect(invoice.lines.find((l: any) => l.meter === 'REQUESTS').quantity).toBe(240);
    expect(invoice.lines.reduce((a: number, l: any) => a + l.amount.amountMinor, 0)).toBe(invoice.total.amountMinor);
  });

  it('leaves Contoso free to subscribe to the model afresh', async () => {
    const models = await demoModels(t);
    await expect(subscribe(t, t.keys.partner, models['review-sentiment'].plans['Scale'])).resolves.toMatch(/^gid:/);
  });
});
