import { useState } from 'preact/hooks';
import { Empty, Loaded } from '../components/states';
import { formatMoney } from '../money';
import { periodLabel } from '../invoice-math';
import { useQuery } from '../use-query';

export const INVOICE_STATUSES = ['DRAFT', 'FINALIZED', 'PAID', 'PAYMENT_FAILED', 'VOID'] as const;

interface InvoiceRow {
  id: string;
  number: string;
  status: string;
  currency: string;
  periodStart: string;
  periodEnd: string;
  organization: { name: string };
  total: { amountMinor: string; currency: string };
}

export const INVOICES_QUERY = `query ConsoleInvoices($filter: InvoiceFilter) { invoices(first: 100, filter: $filter) { totalCount nodes {
  id number status currency periodStart periodEnd organization { name } total { amountMinor currency } } } }`;

/** Finance: invoices (its organisation's; ADMIN: everyone's), newest period first, filtered by status. */
export function InvoicesPage({ apiKey, showOrganization }: { apiKey: string; showOrganization: boolean }) {
  const [status, setStatus] = useState<string>('');
  const state = useQuery<{ invoices: { totalCount: number; nodes: InvoiceRow[] } }>(apiKey, INVOICES_QUERY, { filter: status ? { status: [status] } : null });
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Invoices</h1>
      <div class="controls">
        <span><label for="invoice-status">Status</label>{' '}
          <select id="invoice-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {INVOICE_STATUSES.map((s) => <option value={s}>{s}</option>)}
          </select>
        </span>
      </div>
      <Loaded state={state} what="invoices">
        {({ invoices }) => invoices.nodes.length === 0
          ? <Empty>No {status ? `${status} ` : ''}invoices. Invoices are drafted when a billing period closes.</Empty>
          : (
            <table class="data invoices">
              <caption>{invoices.totalCount} invoice{invoices.totalCount === 1 ? '' : 's'}{status ? ` with status ${status}` : ''}; periods in UTC</caption>
              <thead><tr>
                <th scope="col">Number</th>{showOrganization && <th scope="col">Organisation</th>}
                <th scope="col">Period</th><th scope="col">Status</th><th scope="col" class="num">Total</th>
              </tr></thead>
              <tbody>
                {[...invoices.nodes].reverse().map((inv) => (
                  <tr data-invoice={inv.id}>
                    <th scope="row"><a href={`#/invoices/${encodeURIComponent(inv.id)}`}>{inv.number}</a></th>
                    {showOrganization && <td>{inv.organization.name}</td>}
                    <td>{periodLabel(inv.periodStart, inv.periodEnd)}</td>
                    <td><span class={`badge badge-${inv.status.toLowerCase()}`}>{inv.status}</span></td>
                    <td class="num money">{formatMoney(inv.total.amountMinor, inv.total.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </Loaded>
    </section>
  );
}
