import { Empty, Loaded } from '../components/states';
import { QuotaBar, QuotaUsage } from '../components/quota-bar';
import { useQuery } from '../use-query';
import { formatMoney } from '../money';

interface SubscriptionNode {
  id: string;
  status: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  model: { slug: string; name: string };
  plan: { name: string; flatFee: { amountMinor: string; currency: string } };
  quota: QuotaUsage[];
}

export const SUBSCRIPTIONS_QUERY = `{ subscriptions(first: 100) { totalCount nodes {
  id status cancelAtPeriodEnd currentPeriodStart currentPeriodEnd
  model { slug name } plan { name flatFee { amountMinor currency } }
  quota { meter limit used remaining resetsAt } } } }`;

const day = (iso: string) => iso.slice(0, 10);

/** Partner: the organisation's subscriptions, each with its quota bars for this period. */
export function SubscriptionsPage({ apiKey }: { apiKey: string }) {
  const state = useQuery<{ subscriptions: { totalCount: number; nodes: SubscriptionNode[] } }>(apiKey, SUBSCRIPTIONS_QUERY);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Subscriptions</h1>
      <Loaded state={state} what="subscriptions">
        {({ subscriptions }) => subscriptions.nodes.length === 0
          ? <Empty>No subscriptions yet. Subscribe to a plan of a model (the <code>subscribe</code> mutation) and its quota appears here.</Empty>
          : (
            <ul class="cards">
              {subscriptions.nodes.map((s) => (
                <li class="card subscription" data-model={s.model.slug}>
                  <h2>{s.model.name} <span class="muted">· {s.plan.name}</span></h2>
                  <p>
                    <span class={`badge badge-${s.status.toLowerCase()}`}>{s.status}</span>{' '}
                    {s.cancelAtPeriodEnd && <span class="badge">ends at period end</span>}{' '}
                    Period {day(s.currentPeriodStart)} to {day(s.currentPeriodEnd)} (UTC, end exclusive) ·
                    monthly fee <span class="money">{formatMoney(s.plan.flatFee.amountMinor, s.plan.flatFee.currency)}</span>
                  </p>
                  {s.quota.length === 0 ? <Empty>No metered usage on this plan.</Empty> : s.quota.map((q) => <QuotaBar quota={q} />)}
                </li>
              ))}
            </ul>
          )}
      </Loaded>
    </section>
  );
}
