import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { Plan } from '../../schema/catalogue/plan.entity';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { PricingModel } from '../../schema/catalogue/catalogue.enums';
import { StripeOutboxEntry, StripeOutboxKind } from '../../schema/stripe/stripe-outbox.entity';
import { currencyExponent, MoneyDecimal } from '../common/money';
import type { StripeClient } from './stripe-client.factory';
import type { StripeOutbox } from './stripe-outbox.service';

/** A unit price in major units ("0.001" USD) as Stripe's decimal minor units ("0.1" cents). */
function minorDecimal(unitPrice: string, currency: string): Stripe.Decimal {
  return Stripe.Decimal.from(new MoneyDecimal(unitPrice).mul(new MoneyDecimal(10).pow(currencyExponent(currency))).toFixed());
}

/** The Stripe price parameters of one charge of a plan (per unit, tiered, or per package). */
function chargePrice(charge: PlanCharge, currency: string): Partial<Stripe.PriceCreateParams> {
  const recurring = { interval: 'month' as const, usage_type: 'metered' as const };
  if (charge.pricing === PricingModel.GRADUATED || charge.pricing === PricingModel.VOLUME) {
    return {
      recurring, billing_scheme: 'tiered', tiers_mode: charge.pricing === PricingModel.GRADUATED ? 'graduated' : 'volume',
      tiers: charge.tiers.map((t) => ({ up_to: t.upTo === null ? 'inf' as const : Number(t.upTo), unit_amount_decimal: minorDecimal(t.unitPrice, currency) })),
    };
  }
  const perPackage = charge.pricing === PricingModel.PACKAGE && charge.packageSize ? { transform_quantity: { divide_by: Number(charge.packageSize), round: 'up' as const } } : {};
  return { recurring, unit_amount_decimal: minorDecimal(charge.unitPrice ?? '0', currency), ...perPackage };
}

/**
 * Plan -> Stripe product with its prices (the flat fee, one per charge), created once (outbox
 * entry PRODUCT). Prices describe the plan in Stripe's dashboard; invoices carry our own amounts.
 */
export class StripeProductService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeClient,
    private readonly outbox: StripeOutbox,
  ) {
    outbox.register(StripeOutboxKind.PRODUCT, (entry) => this.create(entry));
  }

  /** The plan's Stripe product id, creating product and prices now when it has none yet. */
  async ensure(planId: string, now: Date): Promise<string> {
    const entry = await this.outbox.enqueue(this.dataSource.manager, StripeOutboxKind.PRODUCT, planId, now);
    if (entry.doneAt && entry.stripeId) return entry.stripeId;
    const id = await this.create(entry);
    await this.outbox.complete(entry, id, now);
    return id;
  }

  private async create(entry: StripeOutboxEntry): Promise<string> {
    const plan = await this.dataSource.getRepository(Plan).findOneOrFail({ where: { id: entry.localId }, relations: { model: true } });
    const charges = await this.dataSource.getRepository(PlanCharge).find({ where: { planId: plan.id }, order: { position: 'ASC' } });
    const key = entry.idempotencyKey;
    const resumed = entry.stripeId;
    const productId = resumed ?? (await this.stripe.products.create(
      { name: `${plan.model?.name ?? 'Model'}: ${plan.name}`, metadata: { plan_id: plan.id, model_id: plan.modelId } },
      { idempotencyKey: `${key}:product` },
    )).id;
    if (!entry.stripeId) await this.outbox.saveStripeId(entry, productId);
    const currency = plan.currency.toLowerCase();
    // NOTE: a resumed entry skips the prices Stripe already has (idempotency keys expire after a day).
    const existing = resumed ? new Set((await this.stripe.prices.list({ product: productId, limit: 100 })).data.map((p) => p.metadata.price_key)) : new Set<string>();
    if (!existing.has('flat')) await this.stripe.prices.create(
      { product: productId, currency, unit_amount: Number(plan.flatFeeMinor), recurring: { interval: 'month' }, nickname: 'flat fee', metadata: { plan_id: plan.id, price_key: 'flat' } },
      { idempotencyKey: `${key}:price:flat` },
    );
    for (const charge of charges) {
      if (existing.has(charge.id)) continue;
      await this.stripe.prices.create(
        { product: productId, currency, nickname: charge.meter, metadata: { plan_id: plan.id, price_key: charge.id, meter: charge.meter, pricing: charge.pricing }, ...chargePrice(charge, plan.currency) } as Stripe.PriceCreateParams,
        { idempotencyKey: `${key}:price:${charge.id}` },
      );
    }
    return productId;
  }
}
