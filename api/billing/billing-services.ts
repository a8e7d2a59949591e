import { DataSource } from 'typeorm';
import { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { UsageCorrectionPolicy } from '../metering/usage-event.service';
import type { EntitlementCache } from '../subscriptions/entitlement.cache';
import type { QuotaGuard } from '../subscriptions/quota-guard';
import type { SubscriptionService } from '../subscriptions/subscription.service';
import { BilledUsageQuery } from './billed-usage.query';
import { BillingJobs } from './billing-jobs';
import { DraftWriter } from './draft-writer';
import { InvoiceDrafts } from './invoice-drafts';
import { InvoiceEvents } from './invoice-events';
import { InvoiceService } from './invoice.service';
import { PeriodCloseService } from './period-close.service';
import { PlanChangeService } from './plan-change.service';
import { ReconciliationService } from './reconciliation.service';
import { VendorStatementService } from './vendor-statement.service';

/** Billing's services, built once per server (reached as `ctx.services.billing`). */
export function createBillingServices(deps: {
  dataSource: DataSource;
  config: AppConfig;
  logger: Logger;
  subscriptions: SubscriptionService;
  entitlements: EntitlementCache;
  quotas: QuotaGuard;
  /** The server's services (for job contexts), once built. */
  services: () => unknown;
}) {
  const drafts = new InvoiceDrafts(new BilledUsageQuery());
  const periodClose = new PeriodCloseService(drafts, new DraftWriter({ gracePeriodSeconds: deps.config.billingGracePeriodSeconds }));
  const events = new InvoiceEvents();
  const invoices = new InvoiceService(periodClose, events);
  const planChanges = new PlanChangeService(deps.subscriptions, deps.entitlements, deps.quotas);
  const usageCorrections: UsageCorrectionPolicy = {
    periodOpen: (ctx, organizationId, occurredAt) => periodClose.periodOpen(ctx, organizationId, occurredAt, deps.config.billingGracePeriodSeconds),
    corrected: (ctx, event) => periodClose.refreshAfterCorrection(ctx, event.organizationId, event.occurredAt),
  };
  return {
    drafts,
    periodClose,
    events,
    invoices,
    planChanges,
    reconciliation: new ReconciliationService(),
    vendorStatements: new VendorStatementService({ platformSharePercent: deps.config.platformSharePercent }),
    usageCorrections,
    jobs: new BillingJobs({ dataSource: deps.dataSource, services: deps.services, periodClose, invoices, planChanges, logger: deps.logger }),
  };
}

export type BillingServices = ReturnType<typeof createBillingServices>;
