import { useState } from 'preact/hooks';
import { Empty, Loaded } from '../components/states';
import { formatMoney } from '../money';
import { previousMonth } from '../revenue-period';
import { useQuery } from '../use-query';

type Money = { amountMinor: string; currency: string };

interface Statement {
  periodStart: string;
  periodEnd: string;
  platformSharePercent: string;
  vendor: { name: string };
  lines: Array<{ currency: string; model: { slug: string; name: string }; gross: Money; platformShare: Money; netPayable: Money }>;
  totals: Array<{ currency: string; gross: Money; platformShare: Money; netPayable: Money }>;
}

export const STATEMENT_QUERY = `query ConsoleStatement($period: String!, $vendorId: ID) { vendorStatement(period: $period, vendorId: $vendorId) {
  periodStart periodEnd platformSharePercent vendor { name }
  lines { currency model { slug name } gross { amountMinor currency } platformShare { amountMinor currency } netPayable { amountMinor currency } }
  totals { currency gross { amountMinor currency } platformShare { amountMinor currency } netPayable { amountMinor currency } } } }`;

const VENDORS_QUERY = '{ models(first: 100) { nodes { vendor { id name kind } } } }';

/** Vendor: its revenue statement for a month, per model: gross, the platform's share, net payable. ADMIN picks the vendor. */
export function RevenuePage({ apiKey, pickVendor }: { apiKey: string; pickVendor: boolean }) {
  const [period, setPeriod] = useState(previousMonth(new Date()));
  const [vendorId, setVendorId] = useState<string>('');
  const vendors = useQuery<{ models: { nodes: Array<{ vendor: { id: string; name: string } }> } }>(apiKey, VENDORS_QUERY, pickVendor ? {} : null);
  const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(period);
  const ready = valid && (!pickVendor || vendorId !== '');
  const state = useQuery<{ vendorStatement: Statement }>(apiKey, STATEMENT_QUERY, ready ? { period, vendorId: pickVendor ? vendorId : null } : null);
  const money = (m: Money) => formatMoney(m.amountMinor, m.currency);
  const vendorOptions = vendors.status === 'done'
    ? [...new Map(vendors.data.models.nodes.map((n) => [n.vendor.id, n.vendor.name])).entries()] : [];
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Revenue</h1>
      <p>What subscribers were invoiced for each model in a month (finalized and paid invoices; void ones excluded), the platform's share and what is paid out.</p>
      <div class="controls">
        <span><label for="revenue-period">Month (UTC)</label>{' '}
          <input id="revenue-period" type="month" value={period} onInput={(e) => setPeriod((e.target as HTMLInputElement).value)} aria-invalid={valid ? undefined : 'true'} /></span>
        {pickVendor && (
          <span><label for="revenue-vendor">Vendor</label>{' '}
            <select id="revenue-vendor" value={vendorId} onChange={(e) => setVendorId((e.target as HTMLSelectElement).value)}>
              <option value="">choose a vendor</option>
              {vendorOptions.map(([id, name]) => <option value={id}>{name}</option>)}
            </select></span>
        )}
      </div>
      {!valid ? <p class="state state-error" role="alert">Enter a month as YYYY-MM.</p>
        : !ready ? <Empty>Choose a vendor.</Empty>
          : (
            <Loaded state={state} what="the revenue statement">
              {({ vendorStatement: s }) => s.lines.length === 0
                ? <Empty>No invoiced revenue for {s.vendor.name} in {period}.</Empty>
                : (
                  <table class="data statement">
                    <caption>{s.vendor.name}, {period}: platform share {s.platformSharePercent}%</caption>
                    <thead><tr><th scope="col">Model</th><th scope="col" class="num">Gross</th><th scope="col" class="num">Platform share</th><th scope="col" class="num">Net payable</th></tr></thead>
                    <tbody>
                      {s.lines.map((l) => (
                        <tr data-model={l.model.slug}><th scope="row">{l.model.name}</th><td class="num">{money(l.gross)}</td><td class="num">{money(l.platformShare)}</td><td class="num">{money(l.netPayable)}</td></tr>
                      ))}
                    </tbody>
                    <tfoot>
                      {s.totals.map((total) => (
                        <tr><th scope="row">Total ({total.currency})</th><td class="num">{money(total.gross)}</td><td class="num">{money(total.platformShare)}</td><td class="num">{money(total.netPayable)}</td></tr>
                      ))}
                    </tfoot>
                  </table>
                )}
            </Loaded>
          )}
    </section>
  );
}
