import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { Empty, Loaded } from '../components/states';
import { downloadWithKey } from '../download';
import { graphql } from '../graphql-client';
import { invoiceActions, LineTier, linesAddUp, MoneyValue, periodLabel, tierRange, tiersAddUp } from '../invoice-math';
import { formatCount, formatMoney, formatUnitPrice } from '../money';
import { useQuery } from '../use-query';

interface InvoiceLine {
  id: string;
  kind: 'FLAT_FEE' | 'USAGE';
  description: string;
  meter: string | null;
  quantity: string;
  billableUnits: string;
  unitPrice: string | null;
  /** How the plan priced a USAGE line when it was rated; null: a flat fee, or a meter the plan does not charge. */
  pricing: 'STANDARD' | 'GRADUATED' | 'VOLUME' | 'PACKAGE' | null;
  /** The tiers of a GRADUATED or VOLUME line as rated, adding up to `amount`. */
  tiers: LineTier[];
  servicePeriodStart: string;
  servicePeriodEnd: string;
  amount: MoneyValue;
}

interface InvoiceDetail {
  id: string;
  number: string;
  status: string;
  currency: string;
  periodStart: string;
  periodEnd: string;
  graceUntil: string;
  finalizedAt: string | null;
  voidedAt: string | null;
  paidAt: string | null;
  stripeInvoiceId: string | null;
  immutable: boolean;
  organization: { name: string };
  subtotal: MoneyValue;
  total: MoneyValue;
  lines: InvoiceLine[];
  reconciliation: { ok: boolean; checkedAt: string; lines: Array<{ line: { id: string } | null; meter: string; expected: string; actual: string }> };
  creditNotes: Array<{ id: string; number: string; reason: string; amount: MoneyValue; createdAt: string }>;
}

export const INVOICE_QUERY = `query ConsoleInvoice($id: ID!) { invoice(id: $id) {
  id number status currency periodStart periodEnd graceUntil finalizedAt voidedAt paidAt stripeInvoiceId immutable
  organization { name } subtotal { amountMinor currency } total { amountMinor currency }
  lines { id kind description meter quantity billableUnits unitPrice servicePeriodStart servicePeriodEnd amount { amountMinor currency }
    pricing tiers { fromUnit toUnit units unitPrice amount { amountMinor currency } } }
  reconciliation { ok checkedAt lines { line { id } meter expected actual } }
  creditNotes { id number reason amount { amountMinor currency } createdAt } } }`;

const FINALIZE = `mutation ConsoleFinalize($id: ID!) { finalizeInvoice(input: { invoiceId: $id }) { invoice { id status number } userErrors { code message } } }`;
const VOID = `mutation ConsoleVoid($id: ID!, $reason: String!) { voidInvoice(input: { invoiceId: $id, reason: $reason }) { invoice { id status } creditNote { number } userErrors { code message } } }`;

const at = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '—');

/** The quantity column: units (USAGE) or the days and hours a flat fee covered. */
function quantityText(line: InvoiceLine): string {
  if (line.kind === 'USAGE') return formatCount(line.quantity);
  const seconds = BigInt(line.quantity);
  const days = seconds / 86400n;
  const hours = (seconds % 86400n) / 3600n;
  return `${days} d${hours ? ` ${hours} h` : ''}`;
}

const TIERED: Record<string, string> = { GRADUATED: 'graduated', VOLUME: 'volume' };

/** The unit price column: the line's price, or what priced it (a tiered line's tiers follow it as rows). */
function unitPriceText(line: InvoiceLine, currency: string): string {
  if (line.unitPrice) return formatUnitPrice(line.unitPrice, currency);
  if (line.kind === 'FLAT_FEE') return 'monthly fee, prorated';
  if (line.kind === 'USAGE' && line.pricing === null && line.description.endsWith('(not charged by the plan)')) return 'not charged';
  if (line.pricing && TIERED[line.pricing]) {
    if (line.tiers.length === 0) return `${TIERED[line.pricing]} tiers; no billable units`;
    return `${TIERED[line.pricing]} tiers, ${line.tiers.length === 1 ? 'one tier' : `${line.tiers.length} tiers`} below`;
  }
  return '—';
}

/**
 * A tiered line's tiers as rows under it, each with the billable units it priced, its price and its
 * share of the line amount (the API's, which add up to the line exactly; checked here in BigInt).
 */
function TierRows({ line, currency }: { line: InvoiceLine; currency: string }) {
  const kind = line.pricing === 'VOLUME' ? 'Volume tier' : 'Tier';
  return (
    <>
      {line.tiers.map((tier, i) => (
        <tr class="tier-row" data-tier-of={line.id} data-tier={i}>
          <th scope="row" class="tier-name"><span aria-hidden="true">↳ </span>{kind} {tierRange(tier, formatCount)}<span class="visually-hidden"> of {line.description}</span></th>
          <td />
          <td />
          <td class="num tier-units">{formatCount(String(tier.units))}</td>
          <td class="num tier-price">{formatUnitPrice(tier.unitPrice, currency)}</td>
          <td class="num money tier-amount">{formatMoney(tier.amount.amountMinor, tier.amount.currency)}</td>
          <td />
        </tr>
      ))}
    </>
  );
}

/** Finance: one invoice, every line, the reconciliation, credit notes; ADMIN finalizes and voids (with confirmation). */
export function InvoiceDetailPage({ apiKey, invoiceId, mayChange }: { apiKey: string; invoiceId: string; mayChange: boolean }) {
  const [reload, setReload] = useState(0);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const state = useQuery<{ invoice: InvoiceDetail }>(apiKey, INVOICE_QUERY, { id: invoiceId }, reload);
  return (
    <section aria-labelledby="page-title">
      <p><a href="#/invoices">← All invoices</a></p>
      <Loaded state={state} what="the invoice">
        {({ invoice }) => <Invoice invoice={invoice} apiKey={apiKey} mayChange={mayChange} notice={notice}
          onChanged={(text) => { setNotice({ kind: 'ok', text }); setReload(reload + 1); }} onFailed={(text) => setNotice({ kind: 'error', text })} />}
      </Loaded>
    </section>
  );
}

function Invoice({ invoice, apiKey, mayChange, notice, onChanged, onFailed }: {
  invoice: InvoiceDetail; apiKey: string; mayChange: boolean; notice: { kind: 'ok' | 'error'; text: string } | null;
  onChanged: (text: string) => void; onFailed: (text: string) => void;
}) {
  const { sum, equal } = linesAddUp(invoice.lines, invoice.subtotal);
  const actions = invoiceActions(invoice.status);
  const reconciled = new Map(invoice.reconciliation.lines.flatMap((r) => (r.line ? [[r.line.id, r] as const] : [])));
  // usage of the period that no line bills (its events, no line to show them on)
  const unbilled = invoice.reconciliation.lines.filter((r) => !r.line);
  const money = (m: MoneyValue) => formatMoney(m.amountMinor, m.currency);
  return (
    <div class="invoice" data-invoice={invoice.id} data-status={invoice.status}>
      <h1 id="page-title" tabIndex={-1}>Invoice {invoice.number} <span class={`badge badge-${invoice.status.toLowerCase()}`}>{invoice.status}</span></h1>
      <dl class="facts">
        <dt>Organisation</dt><dd>{invoice.organization.name}</dd>
        <dt>Period</dt><dd>{periodLabel(invoice.periodStart, invoice.periodEnd)} ({at(invoice.periodStart)} to {at(invoice.periodEnd)}, end exclusive)</dd>
        <dt>Total</dt><dd class="money invoice-total">{money(invoice.total)}</dd>
        <dt>{invoice.status === 'DRAFT' ? 'Refreshed until' : 'Finalized'}</dt><dd>{invoice.status === 'DRAFT' ? at(invoice.graceUntil) : at(invoice.finalizedAt)}</dd>
        {invoice.voidedAt && <><dt>Voided</dt><dd>{at(invoice.voidedAt)}</dd></>}
        <dt>Stripe</dt><dd class="stripe-status">{invoice.stripeInvoiceId ? <>kept in step as <code>{invoice.stripeInvoiceId}</code>{invoice.paidAt ? `, paid ${at(invoice.paidAt)}` : ''}</> : 'not synced to Stripe'}</dd>
      </dl>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => downloadWithKey(apiKey, `/v1/invoices/${encodeURIComponent(invoice.id)}.csv`, 'invoice.csv').then((name) => onChanged(`Downloaded ${name}.`), (e) => onFailed(`Could not download the CSV: ${e.message}`))}>Download CSV</button>
        {mayChange && actions.finalize && <FinalizeButton apiKey={apiKey} invoice={invoice} onChanged={onChanged} onFailed={onFailed} />}
        {mayChange && actions.void && <VoidButton apiKey={apiKey} invoice={invoice} onChanged={onChanged} onFailed={onFailed} />}
      </div>
      {notice && <p class={`state state-${notice.kind === 'ok' ? 'notice' : 'error'}`} role={notice.kind === 'ok' ? 'status' : 'alert'}>{notice.text}</p>}

      {invoice.lines.length === 0 ? <Empty>This invoice has no lines.</Empty> : (
        <table class="data invoice-lines">
          <caption>Lines of {invoice.number}; amounts in {invoice.currency}</caption>
          <thead><tr>
            <th scope="col">Description</th><th scope="col">Service period (UTC)</th><th scope="col" class="num">Quantity</th>
            <th scope="col" class="num">Billable</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th><th scope="col">Reconciled</th>
          </tr></thead>
          <tbody>
            {invoice.lines.map((line) => {
              const check = reconciled.get(line.id);
              const tiers = tiersAddUp(line.tiers, line.amount);
              return (
                <>
                <tr data-line={line.id} data-kind={line.kind} data-tiers={line.tiers.length} data-tiers-add-up={line.tiers.length ? String(tiers.equal) : undefined}>
                  <th scope="row">{line.description}{line.meter && <span class="muted"> · {line.meter}</span>}</th>
                  <td>{line.servicePeriodStart.slice(0, 10)} to {line.servicePeriodEnd.slice(0, 10)}</td>
                  <td class="num">{quantityText(line)}</td>
                  <td class="num">{line.kind === 'USAGE' ? formatCount(line.billableUnits) : '—'}</td>
                  <td class="num unit-price">{unitPriceText(line, invoice.currency)}</td>
                  <td class="num money line-amount">{money(line.amount)}</td>
                  <td>{!check ? '—' : check.expected === check.actual
                    ? <span class="badge badge-published">matches events</span>
                    : <span class="badge badge-canceled">events {formatCount(check.expected)} ≠ {formatCount(check.actual)}</span>}
                    {line.tiers.length > 0 && !tiers.equal && <span class="badge badge-canceled">tiers add up to {formatMoney(tiers.sum, line.amount.currency)}</span>}</td>
                </tr>
                <TierRows line={line} currency={invoice.currency} />
                </>
              );
            })}
          </tbody>
          <tfoot>
            <tr><th scope="row" colSpan={5}>Subtotal</th><td class="num money">{money(invoice.subtotal)}</td><td /></tr>
            <tr><th scope="row" colSpan={5}>Total</th><td class="num money">{money(invoice.total)}</td><td /></tr>
          </tfoot>
        </table>
      )}
      <p class={`state ${equal ? 'state-notice' : 'state-error'} lines-sum`} role="status">
        {equal ? `The lines add up to the subtotal (${formatMoney(sum, invoice.currency)}).` : `The lines add up to ${formatMoney(sum, invoice.currency)}, not the subtotal ${money(invoice.subtotal)}.`}
      </p>
      <p class={`state ${invoice.reconciliation.ok ? 'state-notice' : 'state-error'} reconciliation`} role="status">
        Reconciliation at {at(invoice.reconciliation.checkedAt)}: {invoice.reconciliation.ok ? 'every usage line equals its usage events.' : `${[
          invoice.reconciliation.lines.some((r) => r.line && r.expected !== r.actual) ? 'some usage lines differ from their events (see the last column)' : null,
          unbilled.length ? `usage that no line bills: ${unbilled.map((r) => `${r.meter} ${formatCount(r.expected)}`).join(', ')}` : null,
        ].filter(Boolean).join('; ')}.`}
      </p>
      {invoice.creditNotes.length > 0 && (
        <>
          <h2>Credit notes</h2>
          <ul class="credit-notes">{invoice.creditNotes.map((c) => <li><strong>{c.number}</strong>: {money(c.amount)} · {c.reason} · {at(c.createdAt)}</li>)}</ul>
        </>
      )}
    </div>
  );
}

type ActionProps = { apiKey: string; invoice: InvoiceDetail; onChanged: (text: string) => void; onFailed: (text: string) => void };

/** A button that opens a modal confirmation (native <dialog>: focus kept inside, Escape cancels). */
function ConfirmButton({ label, title, children, confirmLabel, onConfirm, danger }: {
  label: string; title: string; children: ComponentChildren; confirmLabel: string; onConfirm: (form: HTMLFormElement) => Promise<void>; danger?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const id = `dialog-${label.toLowerCase().replace(/\W+/g, '-')}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await onConfirm(event.target as HTMLFormElement);
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  };
  return (
    <>
      <button type="button" class={danger ? 'danger' : ''} onClick={() => dialog.current?.showModal()}>{label}</button>
      <dialog ref={dialog} aria-labelledby={`${id}-title`}>
        <form method="dialog" onSubmit={submit}>
          <h2 id={`${id}-title`}>{title}</h2>
          {children}
          <div class="actions">
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>Cancel</button>
            <button type="submit" class={danger ? 'danger' : ''} disabled={busy}>{confirmLabel}</button>
          </div>
        </form>
      </dialog>
    </>
  );
}

function FinalizeButton({ apiKey, invoice, onChanged, onFailed }: ActionProps) {
  return (
    <ConfirmButton label="Finalize" title={`Finalize ${invoice.number}?`} confirmLabel="Finalize invoice" onConfirm={async () => {
      try {
        const data = await graphql<{ finalizeInvoice: { invoice: { number: string } | null; userErrors: Array<{ message: string }> } }>(apiKey, FINALIZE, { id: invoice.id });
        const result = data.finalizeInvoice;
        if (result.userErrors.length || !result.invoice) onFailed(`Not finalized: ${result.userErrors.map((e) => e.message).join('; ')}`);
        else onChanged(`Finalized as ${result.invoice.number}.`);
      } catch (error) {
        onFailed(`Not finalized: ${(error as Error).message}`);
      }
    }}>
      <p>It gets its number and can no longer change: the database refuses any edit of its amounts and lines.
        Total {formatMoney(invoice.total.amountMinor, invoice.total.currency)}.</p>
    </ConfirmButton>
  );
}

function VoidButton({ apiKey, invoice, onChanged, onFailed }: ActionProps) {
  return (
    <ConfirmButton danger label="Void" title={`Void ${invoice.number}?`} confirmLabel="Void invoice" onConfirm={async (form) => {
      const reason = (form.elements.namedItem('reason') as HTMLInputElement).value.trim();
      try {
        const data = await graphql<{ voidInvoice: { creditNote: { number: string } | null; userErrors: Array<{ message: string }> } }>(apiKey, VOID, { id: invoice.id, reason });
        const result = data.voidInvoice;
        if (result.userErrors.length || !result.creditNote) onFailed(`Not voided: ${result.userErrors.map((e) => e.message).join('; ')}`);
        else onChanged(`Voided; credit note ${result.creditNote.number} issued.`);
      } catch (error) {
        onFailed(`Not voided: ${(error as Error).message}`);
      }
    }}>
      <p>It keeps its number and a credit note for its total ({formatMoney(invoice.total.amountMinor, invoice.total.currency)}) is issued.</p>
      <label for="void-reason">Reason (printed on the credit note)</label>
      <input id="void-reason" name="reason" required minLength={3} />
    </ConfirmButton>
  );
}
