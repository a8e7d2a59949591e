import { OnnxGraphBuilder } from '../../inference';
import { createPlan, runInference, subscribe, usageTotals } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';
import { uploadFile } from '../support/upload';

const CREATE_MODEL = `mutation($input: CreateModelInput!) { createModel(input: $input) { model { id } userErrors { code message } } }`;
const PUBLISH = `mutation($input: PublishModelVersionInput!) { publishModelVersion(input: $input) { version { id } userErrors { code field message } } }`;
const CREATE_PLAN = `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code message } } }`;

/** x float32 [batch, 2] -> y = log(x): NaN for a negative input, -Infinity for 0. */
function logModel(): Uint8Array {
  const g = new OnnxGraphBuilder('elementwise_log');
  g.input('x', 'float32', ['batch', 2]);
  g.op('Log', ['x'], {}, 'y');
  g.output('y', 'float32', ['batch', 2]);
  return g.toBytes();
}

jest.setTimeout(180_000);

describe('bad inputs get a clear error, never INTERNAL', () => {
  let t: TestServer;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestServer();
    const created = await t.graphql(t.keys.vendor, CREATE_MODEL, { input: { slug: 'log-probe', name: 'Log probe', task: 'TENSOR' } });
    modelId = created.data!.createModel.model.id;
  });
  afterAll(async () => t?.stop());

  it.each([
    ['999999999999999999999999999999', /between -9223372036854775808 and 9223372036854775807/],
    ['9223372036854775808', /between/],
    ['-9223372036854775809', /between/],
  ])('refuses flatFeeMinor %s with a range error and writes no plan', async (flatFeeMinor, message) => {
    const plans = async () => (await t.server.dataSource.query('SELECT count(*)::int AS n FROM plan'))[0].n;
    const before = await plans();
    const input = { modelId, name: 'Huge', currency: 'USD', flatFeeMinor, charges: [{ meter: 'REQUESTS', pricing: 'STANDARD', unitPrice: '0.001' }] };
    const res = await t.graphql(t.keys.vendor, CREATE_PLAN, { input });
    expect(res.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toMatch(message);
    const literal = await t.graphql(t.keys.vendor, `mutation { createPlan(input: { modelId: "${modelId}", name: "Huge", currency: "USD", flatFeeMinor: "${flatFeeMinor}", charges: [{ meter: REQUESTS, pricing: STANDARD, unitPrice: "0.001" }] }) { plan { id } } }`);
    expect(literal.errors![0].extensions!.code).not.toBe('INTERNAL');
    expect(literal.errors![0].message).toMatch(message);
    expect(await plans()).toBe(before);
  });

  it('names no server file path when a file is not a usable ONNX model', async () => {
    const upload = await uploadFile(t.url, t.keys.vendor, 'model', Buffer.from('this is not an onnx model at all'));
    const res = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId, fileId: upload.body.id, version: '0.0.1' } });
    const error = res.data!.publishModelVersion.userErrors[0];
    expect(error.code).toBe('INVALID_MODEL');
    expect(error.message).not.toContain(t.dataDir);
    expect(error.message).not.toMatch(/\/files\/|\/tmp\//);
  });

  it('answers NaN or Infinity outputs with INVALID_MODEL_OUTPUT naming the output, and bills nothing', async () => {
    const upload = await uploadFile(t.url, t.keys.vendor, 'model', Buffer.from(logModel()));
    const published = await t.graphql(t.keys.vendor, PUBLISH, { input: { modelId, fileId: upload.body.id, version: '1.0.0' } });
    expect(published.data!.publishModelVersion.userErrors).toEqual([]);
    const planId = await createPlan(t, modelId, 'Probe', {});
    await subscribe(t, t.keys.partner, planId);
    const before = await usageTotals(t, t.keys.partner);
    for (const data of [[-1, 2], [0, 1]]) {
      const res = await runInference(t, t.keys.partner, { modelId, inputs: { x: { type: 'float32', dims: [1, 2], data } }, requestId: `nan-${data[0]}` });
      expect(res.errors![0].extensions!.code).toBe('INVALID_MODEL_OUTPUT');
      expect(res.errors![0].message).toMatch(/output "y"/);
      expect(res.errors![0].extensions!.output).toBe('y');
    }
    expect(await usageTotals(t, t.keys.partner)).toEqual(before);
    const fine = await runInference(t, t.keys.partner, { modelId, inputs: { x: { type: 'float32', dims: [1, 2], data: [1, Math.E] } } });
    expect(fine.errors).toBeUndefined();
    expect(fine.data!.runInference.outputs.y.data[1]).toBeCloseTo(1, 5);
    expect((await usageTotals(t, t.keys.partner)).REQUESTS).toBe((before.REQUESTS ?? 0) + 1);
  });
});
