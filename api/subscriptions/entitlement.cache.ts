import { DataSource, Not } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { effectiveStatus, Subscription, SubscriptionStatus } from '../../schema/subscriptions/subscription.entity';

/** What lets an organisation call a model: its live subscription and that subscription's plan. */
export interface Entitlement {
  subscription: Subscription;
  plan: Plan;
  /** For a PAST_DUE subscription: the oldest of its invoices whose payment failed (inference names it when refusing). */
  unpaidInvoice?: { id: string; number: string | null };
}

interface Entry {
  value: Promise<Entitlement | null>;
  /** Set once `value` has resolved, so an expired entry can be served while it reloads. */
  loaded?: Entitlement | null;
  expiresAt: number;
}

/**
 * The live subscription (and plan) of each (organisation, model), cached for `ttlMs` so that
 * inference checks entitlement without a database round trip; an expired entry is still used
 * once it has loaded while a fresh one loads in the background. Subscribing or canceling on this
 * replica invalidates at once; NOTE: on other replicas a change takes effect within about `ttlMs`.
 */
export class EntitlementCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlMs: number,
  ) {}

  /** The entitlement in force at `now`, or null (none, or canceled). Concurrent misses share one query. */
  async find(organizationId: string, modelId: string, now: Date): Promise<Entitlement | null> {
    const key = `${organizationId}|${modelId}`;
    let entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= now.getTime()) entry = this.refresh(key, organizationId, modelId, now, entry);
    const entitlement = entry.loaded !== undefined ? entry.loaded : await entry.value;
    if (!entitlement || effectiveStatus(entitlement.subscription, now) === SubscriptionStatus.CANCELED) return null;
    return entitlement;
  }

  /** Starts a reload; until it lands, the previous value (if any) keeps being served. */
  private refresh(key: string, organizationId: string, modelId: string, now: Date, previous?: Entry): Entry {
    const entry: Entry = { value: this.load(organizationId, modelId), loaded: previous?.loaded, expiresAt: now.getTime() + this.ttlMs };
    this.entries.set(key, entry);
    entry.value.then((value) => (entry.loaded = value), () => this.entries.get(key) === entry && this.entries.delete(key));
    return entry;
  }

  invalidate(organizationId: string, modelId: string): void {
    this.entries.delete(`${organizationId}|${modelId}`);
  }

  private async load(organizationId: string, modelId: string): Promise<Entitlement | null> {
    const subscription = await this.dataSource.getRepository(Subscription).findOne({
      where: { organizationId, modelId, status: Not(SubscriptionStatus.CANCELED) },
      relations: { plan: true },
    });
    if (!subscription?.plan) return null;
    if (subscription.status !== SubscriptionStatus.PAST_DUE) return { subscription, plan: subscription.plan };
    const unpaid: Array<{ id: string; number: string | null }> = await this.dataSource.query(
      `SELECT i.id, i.number FROM invoice i WHERE i.status = 'PAYMENT_FAILED'
         AND EXISTS (SELECT 1 FROM invoice_line l WHERE l.invoice_id = i.id AND l.subscription_id = $1)
       ORDER BY i.period_start LIMIT 1`,
      [subscription.id],
    );
    return { subscription, plan: subscription.plan, unpaidInvoice: unpaid[0] };
  }
}
