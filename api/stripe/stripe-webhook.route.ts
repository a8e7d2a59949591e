import express, { Router } from 'express';
import type { Logger } from '../logger';
import type { StripeWebhookService } from './stripe-webhook.service';

/**
 * `POST /webhooks/stripe`. The body is read raw (the signature covers its exact bytes), on this
 * route only; register it before any JSON body parser.
 */
export function stripeWebhookRouter(deps: { webhooks: StripeWebhookService; logger: Logger }): Router {
  const router = Router();
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    try {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await deps.webhooks.receive(raw, req.header('stripe-signature') ?? undefined, new Date());
      res.status(answer.status).json(answer.body);
    } catch (error) {
      deps.logger.error({ err: error }, 'a Stripe webhook could not be handled; Stripe will deliver it again');
      res.status(500).json({ error: { code: 'INTERNAL', message: 'The event could not be handled now; it will be retried' } });
    }
  });
  return router;
}
