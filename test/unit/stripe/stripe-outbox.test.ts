import { configFromEnv } from '../../../api/config';
import { createStripeClient } from '../../../api/stripe/stripe-client.factory';
import { backoffDelayMs, idempotencyKeyOf, updatedRows } from '../../../api/stripe/stripe-outbox.service';
import { StripeOutboxKind } from '../../../schema/stripe/stripe-outbox.entity';

describe('Stripe outbox rules', () => {
  it.each([
    [1, 2_000], [2, 4_000], [3, 8_000], [10, 1_024_000], [12, 3_600_000], [500, 3_600_000],
  ])('after %i attempt(s) waits %i ms', (attempts, delay) => {
    expect(backoffDelayMs(attempts, { baseDelayMs: 2_000, maxDelayMs: 3_600_000 })).toBe(delay);
  });

  it('derives idempotency keys from our ids', () => {
    expect(idempotencyKeyOf(StripeOutboxKind.INVOICE, 'a1')).toBe('invoice:a1');
    expect(idempotencyKeyOf(StripeOutboxKind.CUSTOMER, 'o1')).toBe('customer:o1');
  });

  it('reads the rows of an UPDATE ... RETURNING as TypeORM answers them', () => {
    expect(updatedRows([[{ id: 'x' }], 1])).toEqual([{ id: 'x' }]);
    expect(updatedRows([{ id: 'y' }])).toEqual([{ id: 'y' }]);
  });
});

describe('Stripe configuration', () => {
  it('has no client without STRIPE_SECRET_KEY', () => {
    expect(createStripeClient(configFromEnv({}).stripe)).toBeNull();
  });

  it('points the SDK at STRIPE_API_BASE', () => {
    const config = configFromEnv({ STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_API_BASE: 'http://127.0.0.1:12111', STRIPE_WEBHOOK_SECRET: 'whsec_x' }).stripe;
    expect(config).toEqual({ secretKey: 'sk_test_x', apiBase: 'http://127.0.0.1:12111', webhookSecret: 'whsec_x' });
    expect(createStripeClient(config)).not.toBeNull();
  });

  it('refuses a malformed STRIPE_API_BASE, naming it', () => {
    expect(() => configFromEnv({ STRIPE_API_BASE: '127.0.0.1:12111' })).toThrow(/STRIPE_API_BASE/);
  });
});
