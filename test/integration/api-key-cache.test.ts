import { DataSource } from 'typeorm';
import { generateApiKey } from '../../api/accounts/api-key-secret';
import { ApiKeyService } from '../../api/accounts/api-key.service';
import { createMigratedDataSource } from '../support/test-database';

// Authentication runs on every request; its cache must cost one lookup per key and TTL, however
// many requests arrive together, and must never keep keys it does not know.

describe('API key authentication cache', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  let statements = 0;
  let organizationId: string;
  const key = generateApiKey();
  const T0 = Date.parse('2026-11-28T10:00:00Z');
  const at = (ms: number) => new Date(T0 + ms);
  const service = () => new ApiKeyService(db, { cacheTtlMs: 1_000, lastUsedEveryMs: 3_600_000, onError: (e) => { throw e; } });

  beforeAll(async () => {
    ({ db, close } = await createMigratedDataSource((sql) => void (/FROM "api_key"/.test(sql) && statements++)));
    [{ id: organizationId }] = await db.query(`INSERT INTO organization (name, kind) VALUES ('Contoso', 'PARTNER') RETURNING id`);
    await db.query(`INSERT INTO api_key (organization_id, name, prefix, secret_hash, roles) VALUES ($1, 'portal', $2, $3, '{PARTNER}')`,
      [organizationId, key.prefix, key.secretHash]);
  });
  afterAll(async () => close?.());

  /** Statements the calls sent through TypeORM to read api_key. */
  async function counted(calls: () => Promise<unknown>): Promise<number> {
    const before = statements;
    await calls();
    return statements - before;
  }

  it('looks a key up once for all the requests that find it missing or expired at once', async () => {
    const keys = service();
    const oneLookup = await counted(() => service().authenticate(key.plaintext, at(0)));
    expect(oneLookup).toBeGreaterThan(0);
    const burst = (ms: number) => Promise.all(Array.from({ length: 20 }, () => keys.authenticate(key.plaintext, at(ms))));
    let principals: unknown[] = [];
    expect(await counted(async () => (principals = await burst(0)))).toBe(oneLookup);
    expect(principals).toEqual(Array(20).fill(expect.objectContaining({ organizationId, roles: ['PARTNER'] })));
    expect(await counted(() => burst(500))).toBe(0); // still fresh
    expect(await counted(() => burst(1_500))).toBe(oneLookup); // expired: one refresh for all
  });

  it('looks a key in steady use up again ahead of its expiry, off the request path; a revocation elsewhere still holds within the TTL', async () => {
    const other = generateApiKey();
    await db.query(`INSERT INTO api_key (organization_id, name, prefix, secret_hash, roles) VALUES ($1, 'steady', $2, $3, '{PARTNER}')`,
      [organizationId, other.prefix, other.secretHash]);
    const keys = service();
    const oneLookup = await counted(() => keys.authenticate(other.plaintext, at(0)));
    const before = statements;
    expect(await keys.authenticate(other.plaintext, at(850))).toEqual(expect.objectContaining({ organizationId })); // answered from the entry
    for (let i = 0; i < 100 && statements - before < oneLookup; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(statements - before).toBe(oneLookup); // the refresh, in the background
    expect(await counted(() => keys.authenticate(other.plaintext, at(1_500)))).toBe(0); // the first entry would have expired
    await db.query('UPDATE api_key SET revoked_at = now() WHERE prefix = $1', [other.prefix]); // revoked on another replica
    expect(await keys.authenticate(other.plaintext, at(1_900))).toBeNull(); // within the TTL of the refresh
  });

  it('refuses a wrong secret under a known prefix, and keeps no unknown key', async () => {
    const keys = service();
    expect(await keys.authenticate(`${key.prefix}_${'A'.repeat(43)}`, at(0))).toBeNull();
    const stranger = generateApiKey().plaintext;
    const oneLookup = await counted(() => keys.authenticate(stranger, at(0)));
    expect(await keys.authenticate(stranger, at(0))).toBeNull();
    expect(await counted(() => keys.authenticate(stranger, at(0)))).toBe(oneLookup); // looked up again: nothing was cached
  });
});
