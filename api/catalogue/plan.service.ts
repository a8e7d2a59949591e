import { CreatePlanInput } from '../../schema/catalogue/catalogue.inputs';
import { Plan } from '../../schema/catalogue/plan.entity';
import { PlanCharge } from '../../schema/catalogue/plan-charge.entity';
import { UserError, UserErrorCode } from '../../schema/common/user-error.type';
import { RequestContext } from '../context';
import { isSupportedCurrency, supportedCurrencies } from '../common/money';
import { failure, failures, Result, success, transactionalResult } from '../common/result';
import { chargeErrors } from '../billing/charge-models/charge-model.factory';
import type { ModelService } from './model.service';

function limitErrors(input: CreatePlanInput): UserError[] {
  const caps = input.limits?.monthlyCaps ?? [];
  const seen = new Set<string>();
  return caps.flatMap((cap, i) => {
    const errors: UserError[] = [];
    if (cap.quantity < 0n) errors.push(new UserError(UserErrorCode.INVALID, `monthlyCaps[${i}].quantity must not be negative`, ['input', 'limits', 'monthlyCaps', String(i)]));
    if (seen.has(cap.meter)) errors.push(new UserError(UserErrorCode.INVALID, `monthlyCaps has ${cap.meter} twice`, ['input', 'limits', 'monthlyCaps', String(i)]));
    seen.add(cap.meter);
    return errors;
  });
}

/** Price plans of a model: a flat monthly fee plus one charge per meter. */
export class PlanService {
  constructor(private readonly models: ModelService) {}

  async create(ctx: RequestContext, input: CreatePlanInput): Promise<Result<Plan>> {
    const model = await this.models.findOwned(ctx, input.modelId);
    if (!model) return failure(UserErrorCode.NOT_FOUND, 'Model not found', ['input', 'modelId']);
    if (!isSupportedCurrency(input.currency)) {
      return failure(UserErrorCode.INVALID, `currency ${input.currency} is not supported; use one of ${supportedCurrencies().join(', ')}`, ['input', 'currency']);
    }
    if (input.flatFeeMinor < 0n) return failure(UserErrorCode.INVALID, 'flatFeeMinor must not be negative', ['input', 'flatFeeMinor']);
    const errors = [...chargeErrors(input.charges), ...limitErrors(input)];
    if (errors.length > 0) return failures(errors);
    return transactionalResult(ctx, async (tx) => {
      const plan = await tx.db.save(tx.db.create(Plan, {
        modelId: model.id,
        name: input.name.trim(),
        currency: input.currency,
        flatFeeMinor: input.flatFeeMinor,
        limits: {
          requestsPerMinute: input.limits?.requestsPerMinute ?? null,
          monthlyCaps: (input.limits?.monthlyCaps ?? []).map((cap) => ({ meter: cap.meter, quantity: cap.quantity.toString() })),
        },
      }));
      await tx.db.save(input.charges.map((charge, position) => tx.db.create(PlanCharge, {
        planId: plan.id,
        meter: charge.meter,
        pricing: charge.pricing,
        unitPrice: charge.unitPrice ?? null,
        tiers: (charge.tiers ?? []).map((tier) => ({ upTo: tier.upTo?.toString() ?? null, unitPrice: tier.unitPrice })),
        packageSize: charge.packageSize ?? null,
        freeUnits: charge.freeUnits ?? 0n,
        position,
      })));
      return success(plan);
    });
  }
}
