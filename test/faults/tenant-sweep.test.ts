import { GraphQLSchema } from 'graphql';
import { seedDemoBilledPeriod } from '../../api/seed/demo-seed';
import { Organization } from '../../schema/accounts/organization.entity';
import { createDataset, isFinished, START_FINE_TUNE, supportTickets, toJsonl, waitForJob } from '../support/fine-tune-fixtures';
import { generateCall, IdChooser, introspect, rootFields } from '../support/operation-generator';
import { digestRowsOf, readRowOwnership, RowOwnership, rowIdsOf } from '../support/row-ownership';
import { demoModels, runInference, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';
import { uploadFile } from '../support/upload';

/**
 * Tenant sweep driven by introspection: every query field, every mutation and `node(id:)`, called
 * with each key of org B (every role a tenant can hold, and no key) on org A's object ids,
 * arguments generated from the introspected types. Nothing of A may be read (no private id of A
 * and no A-only value in any answer) and nothing of A may change (a digest of A's rows before and
 * after). A new operation is swept without editing this file.
 *
 * What breaks it: a resolver or service that looks an object up by id without checking the
 * caller's organisation (reads another org's row, or writes it: cancels, revokes, publishes onto
 * it), a filter id (organizationId, subscriptionId, modelId, vendorId) that widens the scope, a
 * field resolver that shows a private child (a draft version, a fine-tune's model) of a public
 * parent, an error message that quotes another org's data.
 */

/** Marks every A-only value the setup writes (names, slugs, suffixes); "Contoso" is A's name. */
const A_MARKERS = [/tenanta/i, /contoso/i];

/**
 * Operations whose answers may legitimately hold A's private data for B: none so far. Add one
 * only with the reason it is global by contract (the public catalogue needs none: what is
 * public of A, published models of a vendor, is left out of A's private ids below).
 */
const GLOBAL_OPERATIONS: Record<string, string> = {};

/** Node types whose table is not the snake_case of their name. */
const TABLE_OF_TYPE: Record<string, string> = { PlanSubscription: 'subscription', File: 'stored_file' };
const tableOf = (type: string) => TABLE_OF_TYPE[type] ?? type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Id argument names that do not name their type. */
const TYPE_OF_ID_NAME: Record<string, string> = { vendorId: 'Organization' };

const ADMIN_EXCLUDED = 'ADMIN is the platform operator, not a tenant: it reads and manages every organisation by contract (API.md, Roles)';

jest.setTimeout(240_000);

describe('tenant sweep: no key of org B reads or changes anything of org A, in any operation', () => {
  let t: TestServer;
  let schema: GraphQLSchema;
  let ownership: RowOwnership;
  let aOrgs: string[];
  /** A's private global ids by node type (plus File). */
  const aIds = new Map<string, string[]>();
  let bKeys: Record<string, string | null>;

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        // the sweep asks for every field of every answer: lift the cost, size and rate limits it is not about
        QUERY_COST_LIMIT: '100000000', QUERY_MAX_BYTES: '2000000', QUERY_MAX_TOKENS: '500000',
        MUTATIONS_PER_KEY_PER_MINUTE: '100000', FINE_TUNE_POLL_MS: '200',
      },
    });
    const orgs = t.server.dataSource.getRepository(Organization);
    const [platform, contoso, northwind] = await Promise.all(['Marketplace Operations', 'Contoso', 'Northwind AI'].map((name) => orgs.findOneByOrFail({ name })));
    aOrgs = [contoso.id, northwind.id];
    await seedA(platform, contoso);
    bKeys = await createB();
    ownership = await readRowOwnership(t.server.dataSource);
    schema = await introspect(t.url, t.keys.partner);
    await collectPrivateIds(northwind.id);
  }, 240_000);
  afterAll(async () => t?.stop());

  /**
   * Org A: Contoso (partner) with a billed and voided past period, a live subscription with usage,
   * a dataset, a finished fine-tune (a private model and version) and a named key; Northwind
   * (vendor) with a draft model, its plan, an unreferenced upload and a named key.
   */
  async function seedA(platform: Organization, contoso: Organization) {
    await seedDemoBilledPeriod(t.server, platform, contoso);
    const invoices = await t.graphql(t.keys.finance, '{ invoices(first: 5) { nodes { id } } }');
    const voided = await t.graphql(t.keys.admin, 'mutation($id: ID!) { voidInvoice(input: { invoiceId: $id, reason: "tenanta void" }) { userErrors { message } } }', { id: invoices.data!.invoices.nodes[0].id });
    expect(voided.data!.voidInvoice.userErrors).toEqual([]);
    const models = await demoModels(t);
    await subscribe(t, t.keys.partner, models['review-sentiment'].plans['Pay as you go']);
    for (const i of [1, 2]) expect((await runInference(t, t.keys.partner, { modelId: models['review-sentiment'].id, texts: [`tenanta ${i}`], requestId: `tenanta-${i}` })).errors).toBeUndefined();
    const created = await createDataset(t, t.keys.partner, toJsonl(supportTickets(8)));
    const start = await t.graphql(t.keys.partner, START_FINE_TUNE, {
      input: { modelId: models['review-sentiment'].id, datasetId: created.dataset.id, suffix: 'tenanta', hyperparameters: { epochs: 1, batchSize: 8 } },
    });
    const job = await waitForJob(t, t.keys.partner, start.data!.startFineTune.job.id, isFinished);
    expect(job.status).toBe('SUCCEEDED');
    const key = await t.graphql(t.keys.partner, 'mutation { createApiKey(input: { name: "tenanta partner key", roles: [PARTNER] }) { key } }');
    expect(key.data!.createApiKey.key).toBeTruthy();

    const draft = await t.graphql(t.keys.vendor, 'mutation { createModel(input: { slug: "tenanta-draft", name: "tenanta draft", task: TEXT_CLASSIFICATION }) { model { id } userErrors { message } } }');
    const draftId = draft.data!.createModel.model.id;
    const plan = await t.graphql(t.keys.vendor, `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { message } } }`, {
      input: { modelId: draftId, name: 'tenanta plan', currency: 'USD', charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.5' }] },
    });
    expect(plan.data!.createPlan.userErrors).toEqual([]);
    expect((await uploadFile(t.url, t.keys.vendor, 'model', Buffer.from('tenanta upload'))).status).toBe(201);
    await t.graphql(t.keys.vendor, 'mutation { createApiKey(input: { name: "tenanta vendor key", roles: [VENDOR] }) { key } }');
  }

  /** Org B: a partner (Fabrikam, subscribed to a public model) and a vendor (Litware), a key per role each. */
  async function createB(): Promise<Record<string, string | null>> {
    const keys: Record<string, string | null> = { 'no key': null };
    for (const [name, kind, roles] of [['Fabrikam', 'PARTNER', ['PARTNER', 'FINANCE']], ['Litware', 'VENDOR', ['VENDOR', 'FINANCE']]] as const) {
      const org = await t.graphql(t.keys.admin, 'mutation($name: String!, $kind: OrganizationKind!) { createOrganization(input: { name: $name, kind: $kind }) { organization { id } } }', { name, kind });
      const organizationId = org.data!.createOrganization.organization.id;
      for (const role of roles) {
        const key = await t.graphql(t.keys.admin, 'mutation($org: ID!, $role: Role!) { createApiKey(input: { name: "b", roles: [$role], organizationId: $org }) { key } }', { org: organizationId, role });
        keys[`${name} ${role}`] = key.data!.createApiKey.key;
      }
    }
    const models = await demoModels(t);
    await subscribe(t, keys['Fabrikam PARTNER']!, models['review-sentiment'].plans['Pay as you go']);
    return keys;
  }

  /**
   * A's private ids of every node type, from the database: every row A owns, less what is public
   * by contract (model-visibility.ts): a vendor organisation, its PUBLIC models with a PUBLISHED
   * version, their PUBLISHED or DEPRECATED versions, and their plans.
   */
  async function collectPrivateIds(vendorOrgId: string) {
    const db = t.server.dataSource;
    const publicModels = `SELECT m.id FROM model m WHERE m.visibility = 'PUBLIC' AND EXISTS (SELECT 1 FROM model_version v WHERE v.model_id = m.id AND v.status = 'PUBLISHED')`;
    const publicRows: Array<{ id: string }> = await db.query(`
      SELECT $1::uuid AS id UNION ${publicModels}
      UNION SELECT v.id FROM model_version v WHERE v.model_id IN (${publicModels}) AND v.status IN ('PUBLISHED', 'DEPRECATED')
      UNION SELECT p.id FROM plan p WHERE p.model_id IN (${publicModels})`, [vendorOrgId]);
    const isPublic = new Set(publicRows.map((r) => r.id));
    const nodeTypes = schema.getPossibleTypes(schema.getType('Node') as never).map((type) => type.name);
    for (const type of [...nodeTypes, 'File']) {
      const ids = (await rowIdsOf(db, ownership, tableOf(type), aOrgs)).filter((id) => !isPublic.has(id));
      aIds.set(type, ids.map((id) => `gid://marketplace/${type}/${id}`));
    }
  }

  it('has private objects of A of every node type to aim at', () => {
    const missing = [...aIds].filter(([, ids]) => ids.length === 0).map(([type]) => type);
    expect(missing).toEqual([]); // a new node type needs A data in seedA (and its table in TABLE_OF_TYPE when not snake_case)
  });

  it('sweeps every query, mutation and node(id:) with every key of B: nothing of A read, nothing changed', async () => {
    const started = performance.now();
    const privateIds = [...aIds.values()].flat();
    const rawIds = privateIds.map((id) => id.split('/').pop()!);
    // NOTE: seedA's own calls hold a rate-limit lease of A's, whose give-back (a second after its
    // last use) would change A's bucket mid-sweep: every lease is given back first. A lease that
    // a B call took on A's bucket would still show, as the UPDATE that takes it.
    await t.server.services.rateLimiter.stop();
    const before = await digestRowsOf(t.server.dataSource, ownership, aOrgs);
    const sample = (ids: string[]) => (ids.length <= 3 ? ids : [ids[0], ids[Math.floor(ids.length / 2)], ids[ids.length - 1]]);
    const targets = [...aIds].map(([type, ids]) => [type, sample(ids)] as const);
    const everyType = targets.map(([, ids]) => ids[0]);
    /** The A ids an argument named `name` of `operation` is aimed at. */
    const idsFor = (name: string, operation: string): string[] => {
      if (name === 'id' && operation === 'node') return targets.flatMap(([, ids]) => ids);
      const stem = name === 'id' ? operation : name.replace(/Ids?$/, '');
      const wanted = TYPE_OF_ID_NAME[name] ?? stem[0].toUpperCase() + stem.slice(1);
      const match = targets.find(([type]) => type === wanted) ?? targets.find(([type]) => wanted.endsWith(type) || type.endsWith(wanted));
      return match ? match[1] : everyType;
    };

    /** As many variants of a call as the longest list of A ids one of its id arguments is aimed at. */
    const variantsOf = (kind: 'query' | 'mutation', field: Parameters<typeof generateCall>[2]) => {
      const names: Array<[string, string]> = [];
      generateCall(schema, kind, field, (name, operation) => (names.push([name, operation]), undefined));
      return Math.max(1, ...names.map(([name, operation]) => idsFor(name, operation).length));
    };
    /** Variant `v`: each id argument gets the v-th of its A ids (cycling). */
    const chooserOf = (v: number): IdChooser => (name, operation) => { const ids = idsFor(name, operation); return ids[v % ids.length]; };

    const leaks: string[] = [];
    const internal: string[] = [];
    const swept = new Set<string>();
    let calls = 0;
    for (const { kind, field } of rootFields(schema)) {
      if (GLOBAL_OPERATIONS[field.name]) continue;
      for (let v = 0, n = variantsOf(kind, field); v < n; v++) {
        const chooser = chooserOf(v);
        const call = generateCall(schema, kind, field, chooser);
        const sent = JSON.stringify(call.variables).match(/gid:\/\/marketplace\/\w+\/[0-9a-f-]{36}/g) ?? [];
        for (const [who, key] of Object.entries(bKeys)) {
          const res = await t.graphql(key, call.document, call.variables);
          calls++;
          swept.add(field.name);
          const text = answerText(res, sent);
          const found = [...rawIds.filter((id) => text.includes(id)), ...A_MARKERS.filter((m) => m.test(text)).map(String)];
          if (found.length) leaks.push(`${field.name} as ${who} (${JSON.stringify(call.variables)}): ${found.join(', ')} in ${text.slice(0, 400)}`);
          for (const e of res.errors ?? []) if (e.extensions?.code === 'INTERNAL') internal.push(`${field.name} as ${who}: ${e.message}`);
        }
      }
    }
    const after = await digestRowsOf(t.server.dataSource, ownership, aOrgs);
    console.info(`tenant sweep: ${swept.size} operations, ${calls} calls with ${Object.keys(bKeys).length} keys of B on ${privateIds.length} private ids of A ` +
      `(${[...aIds].map(([type, ids]) => `${type} ${ids.length}`).join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s; ${ADMIN_EXCLUDED}`);

    expect(leaks).toEqual([]);
    expect(internal).toEqual([]);
    const changed = Object.keys(before).filter((table) => JSON.stringify(before[table]) !== JSON.stringify(after[table]));
    expect(changed).toEqual([]);
    expect([...swept].sort()).toEqual(rootFields(schema).map((r) => r.field.name).filter((n) => !GLOBAL_OPERATIONS[n]).sort());

    // the control: the same generated queries, asked with A's own keys, do show A's private
    // objects of every type but File (no answer names a file): so the sweep's answers would have
    // shown them to B had they leaked
    const seen = new Set<string>();
    for (const { kind, field } of rootFields(schema).filter((r) => r.kind === 'query')) {
      for (let v = 0, n = variantsOf(kind, field); v < n; v++) {
        const call = generateCall(schema, kind, field, chooserOf(v));
        for (const key of [t.keys.partner, t.keys.finance, t.keys.vendor]) {
          const text = JSON.stringify((await t.graphql(key, call.document, call.variables)).data ?? null);
          for (const [seenType, ids] of aIds) if (ids.some((id) => text.includes(id.split('/').pop()!))) seen.add(seenType);
        }
      }
    }
    expect([...aIds.keys()].filter((type) => !seen.has(type))).toEqual(['File']);
  });
});

/**
 * The answer as text to search for A's data: `data` as it is; error and userError messages with
 * the ids the call itself sent taken out (quoting the caller's own argument back reads nothing).
 */
function answerText(res: { data?: unknown; errors?: unknown }, sent: string[]): string {
  const strip = (message: string) => sent.reduce((m, id) => m.split(id).join('<sent id>').split(id.split('/').pop()!).join('<sent id>'), message);
  return JSON.stringify({ data: res.data, errors: res.errors }, (key, value) => (key === 'message' && typeof value === 'string' ? strip(value) : value));
}
