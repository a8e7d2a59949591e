import { CreateOrganizationInput } from '../../schema/accounts/accounts.inputs';
import { Organization } from '../../schema/accounts/organization.entity';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { RequestContext } from '../context';
import { isSupportedCurrency, supportedCurrencies } from '../common/money';
import { failure, Result, success } from '../common/result';

/** Organisations: created by the platform operator (ADMIN). */
export class OrganizationService {
  async create(ctx: RequestContext, input: CreateOrganizationInput): Promise<Result<Organization>> {
    if (!isSupportedCurrency(input.billingCurrency)) {
      return failure(UserErrorCode.INVALID, `billingCurrency ${input.billingCurrency} is not supported; use one of ${supportedCurrencies().join(', ')}`, ['input', 'billingCurrency']);
    }
    const organization = await ctx.db.save(ctx.db.create(Organization, {
      name: input.name.trim(),
      kind: input.kind,
      billingCurrency: input.billingCurrency,
    }));
    return success(organization);
  }
}
