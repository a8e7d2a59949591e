import { DataSource } from 'typeorm';
import { Organization } from '../../schema/accounts/organization.entity';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';
import type { StripeClient } from './stripe-client.factory';
import type { StripeOutbox } from './stripe-outbox.service';

/** Organisation -> Stripe customer, created once (outbox entry CUSTOMER, idempotency key `customer:<org id>`). */
export class StripeCustomerService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeClient,
    private readonly outbox: StripeOutbox,
  ) {
    outbox.register(StripeOutboxKind.CUSTOMER, (entry) => this.create(entry));
  }

  /** The organisation's Stripe customer id, creating the customer now when it has none yet. */
  async ensure(organizationId: string, now: Date): Promise<string> {
    const entry = await this.outbox.enqueue(this.dataSource.manager, StripeOutboxKind.CUSTOMER, organizationId, now);
    if (entry.stripeId) return entry.stripeId;
    const id = await this.create(entry);
    await this.outbox.complete(entry, id, now);
    return id;
  }

  private async create(entry: StripeOutboxEntry): Promise<string> {
    if (entry.stripeId) return entry.stripeId;
    const organization = await this.dataSource.getRepository(Organization).findOneByOrFail({ id: entry.localId });
    const customer = await this.stripe.customers.create(
      { name: organization.name, metadata: { organization_id: organization.id } },
      { idempotencyKey: entry.idempotencyKey },
    );
    return customer.id;
  }
}
