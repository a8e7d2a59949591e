import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Role } from '../../schema/accounts/role.enum';
import { Invoice } from '../../schema/billing/invoice.entity';
import { StripeSync, SyncToStripeInput, SyncToStripePayload } from '../../schema/stripe/stripe-sync.types';
import { AuthenticatedContext } from '../context';
import { StripeSyncService } from './stripe-sync.service';

/** `syncToStripe` (ADMIN, FINANCE). */
@Resolver()
export class StripeSyncResolver {
  @Authorized(Role.ADMIN, Role.FINANCE)
  @Mutation(() => SyncToStripePayload, { description: 'Queues a finalized invoice\'s sync to Stripe now (again, when it failed) and returns the invoice; `invoice.stripeSync` follows its progress.' })
  async syncToStripe(@Ctx() ctx: AuthenticatedContext, @Arg('input') input: SyncToStripeInput): Promise<SyncToStripePayload> {
    const result = await ctx.services.stripe.requestInvoiceSync(ctx, input.invoiceId);
    if (result.value) ctx.services.stripe.drainSoon();
    return { invoice: result.value, userErrors: result.userErrors };
  }
}

/** `Invoice.stripeSync`. */
@Resolver(() => Invoice)
export class InvoiceStripeFieldsResolver {
  @FieldResolver(() => StripeSync, { description: 'Where the invoice stands with Stripe (NOT_SYNCED without Stripe).' })
  async stripeSync(@Root() invoice: Invoice, @Ctx() ctx: AuthenticatedContext): Promise<StripeSync> {
    return StripeSyncService.syncOf(await ctx.loaders.stripeSyncByInvoiceId.load(invoice.id));
  }
}
