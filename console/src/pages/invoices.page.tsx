/**
 * Finance: invoices. The billing API (invoices, their lines, reconciliation, finalize and void,
 * CSV exports) is not on this server yet; until it is, the page says so instead of failing.
 */
export function InvoicesPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Invoices</h1>
      <div class="state state-coming" role="status" data-state="invoices-coming">
        <strong>Invoices are coming.</strong> This server's API has no invoices yet: the invoice list and detail (lines with
        quantity, unit price, tiers and amount; reconciliation; finalize and void; CSV downloads) appear here once billing
        ships. Usage is already on the <a href="#/usage">Usage</a> page.
      </div>
    </section>
  );
}
