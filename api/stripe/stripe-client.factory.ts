import Stripe from 'stripe';
import type { StripeConfig } from '../config';

/** The SDK client, or null when STRIPE_SECRET_KEY is unset (then nothing calls Stripe). */
export type StripeClient = Stripe;

/** Stripe's error for an idempotency key reused with other parameters: retrying cannot help. */
export function isPermanentStripeError(error: unknown): boolean {
  if (!(error instanceof Stripe.errors.StripeError)) return false;
  return error.type === 'StripeIdempotencyError' || error.type === 'StripeInvalidRequestError' || error.type === 'StripeAuthenticationError';
}

/**
 * Builds the SDK client from the configuration: `STRIPE_API_BASE` (e.g. http://127.0.0.1:12111)
 * sends its requests to another host, as tests do with the local Stripe-compatible server.
 */
export function createStripeClient(config: StripeConfig, options: { maxNetworkRetries?: number; timeoutMs?: number } = {}): StripeClient | null {
  if (!config.secretKey) return null;
  const base = config.apiBase ? new URL(config.apiBase) : null;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: options.maxNetworkRetries ?? 1,
    timeout: options.timeoutMs ?? 20_000,
    ...(base ? {
      host: base.hostname,
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
    } : {}),
  });
}

/** Checks a webhook's signature on its raw body (300 s tolerance) and returns the event; throws when bad or stale. */
export function constructWebhookEvent(rawBody: Buffer, signature: string, secret: string, toleranceSeconds = 300): Stripe.Event {
  return Stripe.webhooks.constructEvent(rawBody, signature, secret, toleranceSeconds);
}
