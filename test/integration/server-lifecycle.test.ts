import { readFileSync } from 'node:fs';
import path from 'node:path';
import { seedDemo } from '../../api/seed/demo-seed';
import { startTestServer, TestServer } from '../support/test-server';

describe('server lifecycle: health, metrics, demo seed', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.stop());

  it('answers liveness and readiness (database, migrations, engine)', async () => {
    const live = await fetch(`${t.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${t.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', engine: 'ok' } });
  });

  it('exposes Prometheus metrics', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('process_cpu_user_seconds_total');
  });

  it('writes the demo keys file, and they work for their roles', async () => {
    const keys = JSON.parse(readFileSync(path.join(t.dataDir, 'demo-keys.json'), 'utf8'));
    expect(Object.keys(keys).sort()).toEqual(['admin', 'finance', 'partner', 'vendor']);
    const roles: Record<string, string[]> = {};
    for (const [name, key] of Object.entries(keys)) {
      roles[name] = (await t.graphql(key as string, '{ viewer { roles organization { name } } }')).data!.viewer.roles;
    }
    expect(roles).toEqual({ admin: ['ADMIN', 'FINANCE'], vendor: ['VENDOR', 'FINANCE'], partner: ['PARTNER'], finance: ['FINANCE'] });
  });

  it('seeds once: a second seed changes nothing', async () => {
    const count = async () => (await t.server.dataSource.query('SELECT (SELECT count(*) FROM organization) + (SELECT count(*) FROM model) + (SELECT count(*) FROM api_key) AS n'))[0].n;
    const before = await count();
    expect(await seedDemo(t.server, t.dataDir)).toBeNull();
    expect(await count()).toBe(before);
  });

  it('serves the demo sentiment model\'s labels and tokenizer spec', async () => {
    const res = await t.graphql(t.keys.partner, '{ models(filter: { task: TEXT_CLASSIFICATION }) { nodes { latestVersion { labels preprocessing } } } }');
    const version = res.data!.models.nodes[0].latestVersion;
    expect(version.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(version.preprocessing).toMatchObject({ kind: 'hashed-ngrams', ngramOrders: [1, 2] });
  });
});

describe('engine status on a machine without the CUDA provider', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ENGINE_DEVICES: 'cuda:0' } });
  });
  afterAll(async () => t?.stop());

  it('starts, serves cuda:0 on the CPU, and says so', async () => {
    const res = await t.graphql(t.keys.admin, '{ engineStatus { devices { id kind requested executionProvider workers queued loadedModels } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data!.engineStatus.devices).toEqual([
      { id: 'cuda:0', kind: 'cuda', requested: 'cuda:0', executionProvider: 'cpu', workers: expect.any(Number), queued: 0, loadedModels: [] },
    ]);
    expect(res.data!.engineStatus.devices[0].workers).toBeGreaterThan(0);
    const ready = await fetch(`${t.url}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('keeps the engine view to the platform operator', async () => {
    const res = await t.graphql(t.keys.partner, '{ engineStatus { devices { id } } }');
    expect(res.errors![0].extensions!.code).toBe('FORBIDDEN');
  });
});
