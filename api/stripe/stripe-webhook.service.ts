import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { StripeWebhookEvent } from '../../schema/stripe/stripe-webhook-event.entity';
import type { Logger } from '../logger';
import { constructWebhookEvent } from './stripe-client.factory';

/** An HTTP answer to Stripe: 2xx = handled or ignored, 400 = refused (never retried usefully), 5xx = retry later. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Handles one event type in two steps: `prepare` reads what it needs from Stripe outside any
 * transaction (it may throw: Stripe unreachable, then the event is not recorded and Stripe
 * redelivers it); the returned `apply` changes our data in the transaction that records the event
 * id, and names the outcome.
 */
export type WebhookEventHandler = (event: Stripe.Event) => Promise<(db: EntityManager) => Promise<string>>;

const refused = (message: string): WebhookAnswer => ({ status: 400, body: { error: { code: 'BAD_REQUEST', message } } });

/**
 * `POST /webhooks/stripe`: checks the signature on the raw body (300 s tolerance), records each
 * event id once (a redelivered event changes nothing), and hands known types to their handler;
 * unknown types are answered 200 and logged.
 */
export class StripeWebhookService {
  private readonly handlers = new Map<string, WebhookEventHandler>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly secret: string | undefined,
    private readonly logger: Logger,
    private readonly toleranceSeconds = 300,
  ) {}

  on(type: string, handler: WebhookEventHandler): void {
    this.handlers.set(type, handler);
  }

  async receive(rawBody: Buffer, signature: string | undefined, now: Date): Promise<WebhookAnswer> {
    if (!this.secret) return refused('Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET is unset)');
    if (!signature) return refused('The Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = constructWebhookEvent(rawBody, signature, this.secret, this.toleranceSeconds);
    } catch (error) {
      return refused(`The Stripe-Signature header does not verify: ${(error as Error).message}`);
    }
    const events = this.dataSource.getRepository(StripeWebhookEvent);
    if (await events.existsBy({ id: event.id })) return { status: 200, body: { received: true, duplicate: true } };
    const handler = this.handlers.get(event.type);
    if (!handler) {
      this.logger.info({ eventId: event.id, type: event.type }, 'Stripe webhook of a type this server does not handle: ignored');
      await this.record(this.dataSource.manager, event, 'ignored', now);
      return { status: 200, body: { received: true, ignored: true } };
    }
    const apply = await handler(event);
    const outcome = await this.dataSource.transaction(async (db) => {
      if (!(await this.record(db, event, 'pending', now))) return 'duplicate';
      const result = await apply(db);
      await db.update(StripeWebhookEvent, { id: event.id }, { outcome: result });
      return result;
    });
    return { status: 200, body: { received: true, outcome } };
  }

  /** Inserts the event id; false when it was already there. */
  private async record(db: EntityManager, event: Stripe.Event, outcome: string, now: Date): Promise<boolean> {
    const object = event.data?.object as { id?: string } | undefined;
    const rows: unknown[] = await db.query(
      'INSERT INTO stripe_webhook_event (id, type, object_id, outcome, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id',
      [event.id, event.type, object?.id ?? null, outcome, now],
    );
    return rows.length > 0;
  }
}
