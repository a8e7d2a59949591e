import { demoModels, RUN_INFERENCE, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';

jest.setTimeout(180_000);

describe('observability: request ids, access log, metrics', () => {
  let t: TestServer;
  const lines: Array<Record<string, any>> = [];
  const METRICS_TOKEN = 'test-metrics-token';

  beforeAll(async () => {
    t = await startTestServer({
      env: { LOG_LEVEL: 'info', METRICS_TOKEN },
      server: { logDestination: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    });
  });
  afterAll(async () => t?.stop());

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.keys.partner}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, requestId: response.headers.get('x-request-id'), body: (await response.json()) as any };
  }

  const metricsText = async () => (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();

  it('echoes an incoming x-request-id, makes one when absent or malformed, and logs one access line per request', async () => {
    const given = await post({ query: 'query ProbeViewer { viewer { id } }' }, { 'x-request-id': 'trace-abc.123' });
    expect(given.requestId).toBe('trace-abc.123');
    const made = await post({ query: '{ viewer { id } }' });
    expect(made.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const malformed = await post({ query: '{ viewer { id } }' }, { 'x-request-id': 'bad id with spaces' });
    expect(malformed.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const access = lines.filter((l) => l.msg === 'request' && l.requestId === 'trace-abc.123');
    expect(access).toHaveLength(1);
    const viewer = await t.graphql(t.keys.partner, '{ viewer { organization { id } } }');
    expect(access[0]).toMatchObject({ method: 'POST', route: '/graphql', status: 200, operation: 'ProbeViewer', durationMs: expect.any(Number) });
    expect(access[0].organizationId).toBeDefined();
    expect(viewer.data!.viewer.organization.id).toContain(access[0].organizationId);
    expect(lines.filter((l) => l.msg === 'request' && l.requestId === made.requestId)).toHaveLength(1);
  });

  it('puts the request id on every log line written while serving the request', async () => {
    const before = lines.length;
    await post({ query: '{ viewer { id } }' }, { 'x-request-id': 'trace-two' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const mine = lines.slice(before).filter((l) => l.requestId === 'trace-two');
    expect(mine.length).toBeGreaterThan(0);
  });

  it('protects /metrics with METRICS_TOKEN', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(await metricsText()).toContain('process_cpu_user_seconds_total');
  });

  it('exports HTTP and GraphQL durations by operation, errors by code, refusals, usage flushes and engine utilisation', async () => {
    const models = await demoModels(t);
    const model = models['review-sentiment'];
    await subscribe(t, t.keys.partner, Object.values(model.plans)[0]);
    const ran = await post({ query: RUN_INFERENCE, operationName: undefined, variables: { input: { modelId: model.id, texts: ['great'] } } });
    expect(ran.body.errors).toBeUndefined();
    const costly = await post({ query: `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: models { totalCount }`).join(' ')} }` });
    expect(costly.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    await post({ query: 'query ProbeViewer { viewer { id } }' });
    const text = await metricsText();
    expect(text).toMatch(/graphql_operation_duration_seconds_count\{operation="ProbeViewer",type="query"\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/graphql",status="200"\} [1-9]/);
    expect(text).toMatch(/graphql_errors_total\{code="QUERY_TOO_COMPLEX"\} [1-9]/);
    expect(text).toMatch(/api_limit_refusals_total\{limit="query_too_complex"\} [1-9]/);
    expect(text).toMatch(/usage_flush_duration_seconds_count [1-9]/);
    expect(text).toMatch(/usage_flush_batch_events_sum [1-9]/);
    expect(text).toMatch(/engine_device_workers\{device="cpu"\} [1-9]/);
    expect(text).toMatch(/engine_device_utilisation_ratio\{device="cpu"\} [0-9.e-]+/);
    expect(text).toMatch(/engine_busy_seconds_total\{device="cpu"\} [0-9.e-]+/);
  });
});
