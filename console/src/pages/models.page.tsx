import { Empty, Loaded } from '../components/states';
import { formatCount, formatMoney, formatUnitPrice } from '../money';
import { useQuery } from '../use-query';

interface Charge {
  meter: string;
  pricing: string;
  unitPrice: string | null;
  freeUnits: string;
  packageSize: string | null;
  tiers: Array<{ upTo: string | null; unitPrice: string }>;
}

interface ModelNode {
  id: string;
  slug: string;
  name: string;
  task: string;
  visibility: string;
  versions: { nodes: Array<{ id: string; version: string; status: string; publishedAt: string | null; deprecatedAt: string | null }> };
  plans: Array<{ id: string; name: string; status: string; currency: string; flatFee: { amountMinor: string; currency: string }; charges: Charge[] }>;
}

export const VENDOR_MODELS_QUERY = `query ConsoleModels($vendorId: ID) { models(first: 50, filter: { vendorId: $vendorId }) { totalCount nodes {
  id slug name task visibility
  versions(first: 20) { nodes { id version status publishedAt deprecatedAt } }
  plans { id name status currency flatFee { amountMinor currency } charges { meter pricing unitPrice freeUnits packageSize tiers { upTo unitPrice } } } } } }`;

const at = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '—');

/** How a charge prices its meter, in words: "0.002 per unit, first 1,000 free", tiers one by one. */
function ChargeText({ charge, currency }: { charge: Charge; currency: string }) {
  const free = BigInt(charge.freeUnits) > 0n ? `, first ${formatCount(charge.freeUnits)} free each period` : '';
  if (charge.tiers.length === 0) {
    const per = charge.pricing === 'PACKAGE' && charge.packageSize ? `per ${formatCount(charge.packageSize)} units` : 'per unit';
    return <span>{charge.unitPrice ? formatUnitPrice(charge.unitPrice, currency) : '—'} {per}{free}</span>;
  }
  let from = 1n;
  return (
    <span>{charge.pricing === 'VOLUME' ? 'the tier the total falls in prices every unit' : 'each tier prices its own units'}{free}:
      <ol class="tiers">
        {charge.tiers.map((tier) => {
          const text = tier.upTo === null ? `${formatCount(from.toString())} and up` : `${formatCount(from.toString())} to ${formatCount(tier.upTo)}`;
          if (tier.upTo !== null) from = BigInt(tier.upTo) + 1n;
          return <li>{text}: {formatUnitPrice(tier.unitPrice, currency)} per unit</li>;
        })}
      </ol>
    </span>
  );
}

/** Vendor: its models, every version with its status, and the plans with their prices. */
export function ModelsPage({ apiKey, vendorId }: { apiKey: string; vendorId: string | null }) {
  const state = useQuery<{ models: { totalCount: number; nodes: ModelNode[] } }>(apiKey, VENDOR_MODELS_QUERY, { vendorId });
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Models</h1>
      <Loaded state={state} what="models">
        {({ models }) => models.nodes.length === 0
          ? <Empty>No models yet. Create one with <code>createModel</code> and publish a version.</Empty>
          : (
            <ul class="cards">
              {models.nodes.map((m) => (
                <li class="card model" data-model={m.slug}>
                  <h2>{m.name} <span class="muted">· <code>{m.slug}</code> · {m.task} · {m.visibility}</span></h2>
                  <table class="data versions">
                    <caption>Versions of {m.name}</caption>
                    <thead><tr><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Published</th><th scope="col">Deprecated</th></tr></thead>
                    <tbody>
                      {m.versions.nodes.map((v) => (
                        <tr><th scope="row">{v.version}</th><td><span class={`badge badge-${v.status.toLowerCase()}`}>{v.status}</span></td><td>{at(v.publishedAt)}</td><td>{at(v.deprecatedAt)}</td></tr>
                      ))}
                    </tbody>
                  </table>
                  <h3>Plans</h3>
                  {m.plans.length === 0 ? <Empty>No plans.</Empty> : (
                    <ul class="plans">
                      {m.plans.map((p) => (
                        <li class="plan" data-plan={p.name}>
                          <strong>{p.name}</strong> <span class={`badge badge-${p.status.toLowerCase()}`}>{p.status}</span> · monthly fee{' '}
                          <span class="money">{formatMoney(p.flatFee.amountMinor, p.flatFee.currency)}</span>
                          <ul>{p.charges.map((c) => <li><strong>{c.meter}</strong> ({c.pricing}): <ChargeText charge={c} currency={p.currency} /></li>)}</ul>
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          )}
      </Loaded>
    </section>
  );
}
