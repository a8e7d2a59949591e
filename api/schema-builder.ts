import { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AccountsResolver, ApiKeyFieldsResolver, ViewerFieldsResolver } from './accounts/accounts.resolver';
import { CatalogueResolver } from './catalogue/catalogue.resolver';
import { ModelFieldsResolver, ModelVersionFieldsResolver, PlanFieldsResolver } from './catalogue/catalogue-fields.resolver';
import { EngineStatusResolver } from './predictions/engine-status.resolver';
import { authChecker } from './common/auth-checker';
import { FineTuneJobFieldsResolver, FineTuningResolver } from './fine-tuning/fine-tuning.resolver';
import { NodeResolver } from './common/node.resolver';
import { MeteringResolver, UsageBucketFieldsResolver, UsageEventFieldsResolver } from './metering/metering.resolver';
import { PredictionsResolver } from './predictions/predictions.resolver';
import { SubscriptionFieldsResolver, SubscriptionsResolver } from './subscriptions/subscriptions.resolver';
import { InvoiceStripeFieldsResolver, StripeSyncResolver } from './stripe/stripe-sync.resolver';
import { BillingResolver } from './billing/billing.resolver';
import { CreditNoteFieldsResolver, InvoiceFieldsResolver, InvoiceLineFieldsResolver } from './billing/invoice-fields.resolver';

/** Every resolver of the API, in one list. */
export const resolvers = [
  NodeResolver,
  AccountsResolver,
  ViewerFieldsResolver,
  ApiKeyFieldsResolver,
  CatalogueResolver,
  ModelFieldsResolver,
  PlanFieldsResolver,
  SubscriptionsResolver,
  SubscriptionFieldsResolver,
  PredictionsResolver,
  EngineStatusResolver,
  MeteringResolver,
  UsageBucketFieldsResolver,
  UsageEventFieldsResolver,
  StripeSyncResolver,
  InvoiceStripeFieldsResolver,
  BillingResolver,
  InvoiceFieldsResolver,
  InvoiceLineFieldsResolver,
  CreditNoteFieldsResolver,
  ModelVersionFieldsResolver,
  FineTuningResolver,
  FineTuneJobFieldsResolver,
] as const;

/** Builds the executable schema from the type-graphql classes (the SDL is emitted from this). */
export async function buildApiSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
  });
}
