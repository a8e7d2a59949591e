import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildDemoModels, DemoModel } from '../../inference';
import { Organization, OrganizationKind } from '../../schema/accounts/organization.entity';
import { Model } from '../../schema/catalogue/model.entity';
import { Role } from '../../schema/accounts/role.enum';
import { FilePurpose, ModelTask, PricingModel } from '../../schema/catalogue/catalogue.enums';
import { CreatePlanInput } from '../../schema/catalogue/catalogue.inputs';
import { toGlobalId } from '../../schema/common/global-id';
import { Meter } from '../../schema/metering/meter.enum';
import { Dataset } from '../../schema/fine-tuning/dataset.entity';
import { RequestContext } from '../context';
import { seedDatasetFromRows } from '../fine-tuning/dataset-seed';
import { createLoaders } from '../loaders';
import type { AppServer } from '../server';
import { loadShippedDataset } from './data/shipped-datasets';

/** The keys written to `<DATA_DIR>/demo-keys.json`. */
export interface DemoKeys {
  admin: string;
  vendor: string;
  partner: string;
  finance: string;
}

const TASKS: Record<DemoModel['task'], ModelTask> = {
  'text-classification': ModelTask.TEXT_CLASSIFICATION,
  'text-embedding': ModelTask.TEXT_EMBEDDING,
  'tabular-classification': ModelTask.TENSOR,
};

const TAGS: Record<DemoModel['key'], string[]> = {
  'review-sentiment': ['nlp', 'sentiment', 'reviews'],
  'review-embedder': ['nlp', 'embeddings', 'search'],
  'credit-risk': ['tabular', 'finance', 'risk'],
};

function contextFor(server: AppServer, organization: Organization, roles: Role[], now: () => Date = () => new Date()): RequestContext {
  return {
    principal: { apiKeyId: '00000000-0000-0000-0000-000000000000', organizationId: organization.id, organizationKind: organization.kind, roles },
    db: server.dataSource.manager,
    loaders: createLoaders(server.dataSource),
    services: server.services,
    now,
    requestId: 'demo-seed',
  };
}

/** Two plans per model: a pay-as-you-go one and a tiered one with a monthly fee and caps. */
function demoPlans(modelId: string, task: ModelTask): CreatePlanInput[] {
  const text = task !== ModelTask.TENSOR;
  return [
    {
      modelId, name: 'Pay as you go', currency: 'USD', flatFeeMinor: 0n,
      charges: [
        { meter: Meter.REQUESTS, pricing: PricingModel.STANDARD, unitPrice: '0.002', freeUnits: 1000n },
        ...(text ? [{ meter: Meter.INPUT_TOKENS, pricing: PricingModel.PACKAGE, unitPrice: '0.01', packageSize: 1000n }] : []),
      ],
      limits: { requestsPerMinute: 600, monthlyCaps: [] },
    },
    {
      modelId, name: 'Scale', currency: 'USD', flatFeeMinor: 4900n,
      charges: [
        { meter: Meter.REQUESTS, pricing: PricingModel.GRADUATED, tiers: [
          { upTo: 100_000n, unitPrice: '0.001' }, { upTo: 1_000_000n, unitPrice: '0.0005' }, { upTo: null, unitPrice: '0.0002' },
        ] },
        { meter: Meter.COMPUTE_MS, pricing: PricingModel.VOLUME, tiers: [
          { upTo: 1_000_000n, unitPrice: '0.00001' }, { upTo: null, unitPrice: '0.000005' },
        ] },
      ],
      limits: { requestsPerMinute: 6000, monthlyCaps: [{ meter: Meter.REQUESTS, quantity: 10_000_000n }] },
    },
  ];
}

function failIfErrors<T>(what: string, result: { value: T | null; userErrors: { message: string }[] }): T {
  if (!result.value) throw new Error(`demo seed: ${what}: ${result.userErrors.map((e) => e.message).join('; ')}`);
  return result.value;
}

/**
 * Publishes the demo models with their plans. Models and plans are written one after another (so
 * the catalogue's order is always the same); the versions side by side, since each publish spends
 * most of its time in its own inspection process.
 */
async function publishDemoModels(server: AppServer, vendor: RequestContext, demos: DemoModel[]): Promise<void> {
  const models: Model[] = [];
  for (const demo of demos) {
    models.push(failIfErrors(`model ${demo.key}`, await server.services.models.create(vendor, {
      slug: demo.key, name: demo.name, task: TASKS[demo.task], description: demo.description, tags: TAGS[demo.key],
    })));
  }
  await Promise.all(demos.map(async (demo, i) => {
    const file = await server.services.files.save(Readable.from(Buffer.from(demo.onnx)), models[i].organizationId, FilePurpose.MODEL);
    failIfErrors(`version of ${demo.key}`, await server.services.modelVersions.publish(vendor, {
      modelId: models[i].globalId, fileId: toGlobalId('File', file.id), version: '1.0.0',
      labels: demo.labels, preprocessing: demo.preprocessing as unknown as Record<string, unknown>,
    }));
  }));
  for (const [i, demo] of demos.entries()) {
    for (const plan of demoPlans(models[i].globalId, TASKS[demo.task])) failIfErrors(`plan ${plan.name}`, await server.services.plans.create(vendor, plan));
  }
}

async function issueKey(server: AppServer, ctx: RequestContext, organization: Organization, name: string, roles: Role[]): Promise<string> {
  const issued = failIfErrors(`key ${name}`, await server.services.apiKeys.create(ctx, { name, roles, organizationId: organization.globalId }));
  return issued.key;
}

/**
 * A closed past period for the partner: subscribed to the sentiment model's Scale plan on the 3rd
 * of last month (canceled at that month's end, so it may subscribe afresh), 240 calls' usage
 * written in one generate_series statement, the period closed and its invoice finalized, so a
 * finance user sees a real invoice at once.
 */
export async function seedDemoBilledPeriod(server: AppServer, platform: Organization, partner: Organization, now = new Date()): Promise<void> {
  const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 3, 9));
  const periodEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const [plan]: Array<{ id: string; model_id: string }> = await server.dataSource.query(
    `SELECT p.id, p.model_id FROM plan p JOIN model m ON m.id = p.model_id WHERE m.slug = 'review-sentiment' AND p.name = 'Scale'`);
  const buyer = contextFor(server, partner, [Role.PARTNER], () => lastMonth);
  const subscription = failIfErrors('Contoso subscription', await server.services.subscriptions.subscribe(buyer, { planId: toGlobalId('Plan', plan.id) }));
  failIfErrors('Contoso cancellation', await server.services.subscriptions.cancel(buyer, { subscriptionId: subscription.globalId, atPeriodEnd: true }));
  await server.dataSource.query(`INSERT INTO usage_event (organization_id, subscription_id, model_id, meter, quantity, occurred_at, idempotency_key)
    SELECT $1, $2, $3, m.meter, CASE m.meter WHEN 'REQUESTS' THEN 1 WHEN 'INPUT_TOKENS' THEN 8 + g % 17 ELSE 3 + g % 5 END,
           $4::timestamptz + g * interval '101 minutes', '~demo-' || g
    FROM generate_series(0, 239) g CROSS JOIN (VALUES ('REQUESTS'), ('INPUT_TOKENS'), ('COMPUTE_MS')) AS m(meter)`,
  [partner.id, subscription.id, plan.model_id, lastMonth]);
  const operator = contextFor(server, platform, [Role.ADMIN], () => now);
  failIfErrors('closing last month', await server.services.billing.periodClose.close(operator, periodEnd));
  const [invoice]: Array<{ id: string }> = await server.dataSource.query(`SELECT id FROM invoice WHERE organization_id = $1 AND period_end = $2`, [partner.id, periodEnd]);
  failIfErrors('finalizing last month\'s invoice', await server.services.billing.invoices.finalizeRow(operator, invoice.id));
}

/**
 * Contoso's ready-to-use dataset: the shipped support-ticket tone rows (a few hundred, read
 * and validated like an upload, split 90/10), so a newcomer can start a fine-tune at once.
 * Idempotent (the same rows give the dataset made before). Trains nothing. Null, with a
 * warning, where the server's dataset limits refuse the rows (the rest of the demo stands).
 */
export async function seedDemoDataset(server: AppServer, partner: Organization): Promise<Dataset | null> {
  const ctx = contextFor(server, partner, [Role.PARTNER]);
  const result = await seedDatasetFromRows(ctx, server.services, loadShippedDataset('support-ticket-tone').rows);
  if (!result.value) server.logger.warn({ userErrors: result.userErrors.map((e) => e.message) }, 'demo seed: the shipped support-ticket dataset is refused under this server\'s limits; Contoso has no dataset');
  return result.value;
}

/**
 * Seeds the demo on an empty database: the platform operator, the vendor "Northwind AI" with its
 * published demo models and plans, the partner "Contoso" (subscribed to nothing, with the
 * shipped support-ticket dataset ready to fine-tune on, see seedDemoDataset; with
 * `billedPeriod`, a finalized invoice for last month, see seedDemoBilledPeriod) with a finance
 * key. Writes the keys to `<dataDir>/demo-keys.json`. Does nothing when organisations exist.
 */
export async function seedDemo(server: AppServer, dataDir: string, options: { billedPeriod?: boolean } = {}): Promise<DemoKeys | null> {
  if ((await server.dataSource.getRepository(Organization).count()) > 0) return null;
  const orgs = server.dataSource.getRepository(Organization);
  const platform = await orgs.save(orgs.create({ name: 'Marketplace Operations', kind: OrganizationKind.PLATFORM, billingCurrency: 'USD' }));
  const admin = contextFor(server, platform, [Role.ADMIN]);
  const vendorOrg = failIfErrors('Northwind AI', await server.services.organizations.create(admin, { name: 'Northwind AI', kind: OrganizationKind.VENDOR, billingCurrency: 'USD' }));
  const partnerOrg = failIfErrors('Contoso', await server.services.organizations.create(admin, { name: 'Contoso', kind: OrganizationKind.PARTNER, billingCurrency: 'USD' }));
  const vendor = contextFor(server, vendorOrg, [Role.VENDOR]);
  await publishDemoModels(server, vendor, buildDemoModels());
  const keys: DemoKeys = {
    admin: await issueKey(server, admin, platform, 'Platform operator (demo)', [Role.ADMIN, Role.FINANCE]),
    vendor: await issueKey(server, admin, vendorOrg, 'Northwind AI publishing (demo)', [Role.VENDOR, Role.FINANCE]),
    partner: await issueKey(server, admin, partnerOrg, 'Contoso portal (demo)', [Role.PARTNER]),
    finance: await issueKey(server, admin, partnerOrg, 'Contoso finance team (demo)', [Role.FINANCE]),
  };
  await seedDemoDataset(server, partnerOrg);
  // NOTE: npm start asks for it; tests keep Contoso subscribed to nothing.
  if (options.billedPeriod) await seedDemoBilledPeriod(server, platform, partnerOrg);
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'demo-keys.json'), JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  return keys;
}
