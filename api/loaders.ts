import { DataSource } from 'typeorm';
import { createApiKeyByIdLoader } from './accounts/api-key-by-id.loader';
import { createOrganizationByIdLoader } from './accounts/organization-by-id.loader';
import { createModelByIdLoader } from './catalogue/model-by-id.loader';
import { createPlanByIdLoader } from './catalogue/plan-by-id.loader';
import { createChargesByPlanIdLoader } from './catalogue/charges-by-plan-id.loader';
import { createPlansByModelIdLoader } from './catalogue/plans-by-model-id.loader';
import { createVersionsByModelIdLoader } from './catalogue/versions-by-model-id.loader';
import { createSubscriptionByIdLoader } from './subscriptions/subscription-by-id.loader';
import { createStripeSyncByInvoiceIdLoader } from './stripe/stripe-sync-by-invoice-id.loader';
import { createReconciliationByInvoiceIdLoader } from './billing/reconciliation-by-invoice-id.loader';

/** Builds a fresh set of DataLoaders for one request (caches never outlive it). */
export function createLoaders(dataSource: DataSource) {
  return {
    organizationById: createOrganizationByIdLoader(dataSource),
    versionsByModelId: createVersionsByModelIdLoader(dataSource),
    plansByModelId: createPlansByModelIdLoader(dataSource),
    chargesByPlanId: createChargesByPlanIdLoader(dataSource),
    modelById: createModelByIdLoader(dataSource),
    planById: createPlanByIdLoader(dataSource),
    apiKeyById: createApiKeyByIdLoader(dataSource),
    subscriptionById: createSubscriptionByIdLoader(dataSource),
    stripeSyncByInvoiceId: createStripeSyncByInvoiceIdLoader(dataSource),
    reconciliationByInvoiceId: createReconciliationByInvoiceIdLoader(dataSource),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
