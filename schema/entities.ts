import { ApiKey } from './accounts/api-key.entity';
import { Organization } from './accounts/organization.entity';
import { Model } from './catalogue/model.entity';
import { ModelVersion } from './catalogue/model-version.entity';
import { Plan } from './catalogue/plan.entity';
import { PlanCharge } from './catalogue/plan-charge.entity';
import { StoredFile } from './catalogue/stored-file.entity';
import { HourlyUsageTotal } from './metering/hourly-usage-total.entity';
import { MonthlyUsageTotal } from './metering/monthly-usage-total.entity';
import { StoredResponse } from './metering/stored-response.entity';
import { UsageEvent } from './metering/usage-event.entity';
import { RateLimitBucket } from './subscriptions/rate-limit-bucket.entity';
import { StripeOutboxEntry } from './stripe/stripe-outbox.entity';
import { StripeWebhookEvent } from './stripe/stripe-webhook-event.entity';
import { Subscription } from './subscriptions/subscription.entity';
import { BillingAccount } from './billing/billing-account.entity';
import { CreditNote } from './billing/credit-note.entity';
import { Invoice } from './billing/invoice.entity';
import { InvoiceLine } from './billing/invoice-line.entity';
import { SubscriptionPlanPeriod } from './billing/subscription-plan-period.entity';
import { Dataset } from './fine-tuning/dataset.entity';
import { FineTuneCheckpoint } from './fine-tuning/fine-tune-checkpoint.entity';
import { FineTuneEvent } from './fine-tuning/fine-tune-event.entity';
import { FineTuneJob } from './fine-tuning/fine-tune-job.entity';

/** Every TypeORM entity, in one list for the data source and the drift check. */
export const entities = [Organization, ApiKey, StoredFile, Model, ModelVersion, Plan, PlanCharge, Subscription, RateLimitBucket, UsageEvent, HourlyUsageTotal, MonthlyUsageTotal, StoredResponse,
  BillingAccount, Invoice, InvoiceLine, CreditNote, SubscriptionPlanPeriod, StripeOutboxEntry, StripeWebhookEvent,
  Dataset, FineTuneJob, FineTuneEvent, FineTuneCheckpoint];
