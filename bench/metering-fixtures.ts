import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { defaultTokenizerSpec, OnnxGraphBuilder, SeededRandom, TokenizerSpec } from '../inference';
import { Role } from '../schema/accounts/role.enum';
import { Organization } from '../schema/accounts/organization.entity';
import { FilePurpose, ModelTask, PricingModel } from '../schema/catalogue/catalogue.enums';
import { toGlobalId } from '../schema/common/global-id';
import { Meter } from '../schema/metering/meter.enum';
import { RequestContext } from '../api/context';
import { createLoaders } from '../api/loaders';
import type { AppServer } from '../api/server';

/**
 * A text classifier whose compute dominates a call: hashed n-grams -> 256-d mean-pooled
 * embedding -> 2048 ReLU -> 40 x (one shared 2048x2048 layer, ReLU) -> 3 classes
 * (about 170 M multiply-adds per text, a 20 MB file).
 */
export function buildHeavyTextClassifier(): { onnx: Uint8Array; spec: TokenizerSpec; labels: string[] } {
  const spec = defaultTokenizerSpec({ buckets: 2048 });
  const labels = ['negative', 'neutral', 'positive'];
  const [dim, hidden, depth] = [256, 2048, 40];
  const random = new SeededRandom(7);
  const g = new OnnxGraphBuilder('heavy_text_classifier');
  g.input('token_ids', 'int64', ['batch', spec.sequenceLength]);
  g.input('token_weights', 'float32', ['batch', spec.sequenceLength]);
  const table = g.floats('embedding', [spec.buckets, dim], random.normalArray(spec.buckets * dim, 0.1));
  const weighted = g.op('Mul', [g.op('Gather', [table, 'token_ids'], { axis: 0 }), g.op('Unsqueeze', ['token_weights', g.int64s('axis2', [1], [2])])]);
  let x = g.op('ReduceSum', [weighted, g.int64s('axis1', [1], [1])], { keepdims: 0 });
  const dense = (name: string, input: string, from: number, to: number) =>
    g.op('Add', [g.op('MatMul', [input, g.floats(`${name}.w`, [from, to], random.normalArray(from * to, 1 / Math.sqrt(from)))]), g.floats(`${name}.b`, [to], new Float32Array(to))]);
  x = g.op('Relu', [dense('l1', x, dim, hidden)]);
  const shared = g.floats('shared.w', [hidden, hidden], random.normalArray(hidden * hidden, Math.sqrt(2 / hidden)));
  for (let i = 0; i < depth; i++) x = g.op('Relu', [g.op('MatMul', [x, shared])]);
  g.op('Identity', [dense('head', x, hidden, labels.length)], {}, 'logits');
  g.op('Softmax', ['logits'], { axis: -1 }, 'probabilities');
  g.output('logits', 'float32', ['batch', labels.length]);
  g.output('probabilities', 'float32', ['batch', labels.length]);
  return { onnx: g.toBytes(), spec, labels };
}

function contextFor(server: AppServer, organization: Organization, roles: Role[]): RequestContext {
  return {
    principal: { apiKeyId: '00000000-0000-0000-0000-000000000000', organizationId: organization.id, organizationKind: organization.kind, roles },
    db: server.dataSource.manager, loaders: createLoaders(server.dataSource), services: server.services, now: () => new Date(), requestId: 'bench',
  };
}

/** Publishes the heavy model as Northwind AI, and a bench plan (no practical limits, caps checked) on it and on review-sentiment. */
export async function publishBenchModels(server: AppServer): Promise<{ heavyModelId: string; heavyPlanId: string; sentimentModelId: string; sentimentPlanId: string }> {
  const orgs = server.dataSource.getRepository(Organization);
  const vendorOrg = (await orgs.findOneByOrFail({ name: 'Northwind AI' }));
  const vendor = contextFor(server, vendorOrg, [Role.VENDOR]);
  const heavy = buildHeavyTextClassifier();
  const model = (await server.services.models.create(vendor, { slug: 'bench-heavy', name: 'Bench heavy', task: ModelTask.TEXT_CLASSIFICATION, description: '', tags: [] })).value!;
  const file = await server.services.files.save(Readable.from(Buffer.from(heavy.onnx)), vendorOrg.id, FilePurpose.MODEL);
  const published = await server.services.modelVersions.publish(vendor, {
    modelId: model.globalId, fileId: toGlobalId('File', file.id), version: '1.0.0', labels: heavy.labels, preprocessing: heavy.spec as unknown as Record<string, unknown>,
  });
  if (!published.value) throw new Error(`bench model: ${published.userErrors.map((e) => e.message).join('; ')}`);
  const sentiment = (await server.services.models.list(vendor, { search: 'review-sentiment' }, { first: 1 })).nodes[0];
  const plan = async (modelId: string) => (await server.services.plans.create(vendor, {
    modelId, name: 'Bench', currency: 'USD', flatFeeMinor: 0n,
    charges: [{ meter: Meter.REQUESTS, pricing: PricingModel.STANDARD, unitPrice: '0.001' }],
    limits: { requestsPerMinute: 1_000_000, monthlyCaps: [{ meter: Meter.REQUESTS, quantity: 1_000_000_000n }] },
  })).value!.globalId;
  return { heavyModelId: model.globalId, heavyPlanId: await plan(model.globalId), sentimentModelId: sentiment.globalId, sentimentPlanId: await plan(sentiment.globalId) };
}



/**
 * The framework's floor on this machine: Express + Apollo Server with one trivial resolver and
 * nothing of ours (no auth, context, plugins or database), for the `{ viewer { id } }` query.
 */
export async function startBareApollo(): Promise<{ port: number; stop(): Promise<void> }> {
  const apollo = new ApolloServer({ typeDefs: 'type Viewer { id: ID! } type Query { viewer: Viewer }', resolvers: { Query: { viewer: () => ({ id: '1' }) } } });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      await apollo.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
