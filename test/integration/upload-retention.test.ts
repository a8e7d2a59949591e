import { existsSync } from 'node:fs';
import { startTestServer, TestServer } from '../support/test-server';
import { uploadFile } from '../support/upload';

jest.setTimeout(180_000);

describe('uploads: storage quota and expiry of unreferenced files', () => {
  let t: TestServer;
  const QUOTA = 64 * 1024;

  beforeAll(async () => {
    t = await startTestServer({ env: { STORAGE_QUOTA_BYTES: String(QUOTA), UPLOAD_EXPIRY_HOURS: '24' } });
  });
  afterAll(async () => t?.stop());

  const fileCount = async () => (await t.server.dataSource.query('SELECT count(*)::int AS n FROM stored_file'))[0].n;

  it('expires uploads nothing refers to after UPLOAD_EXPIRY_HOURS, keeps referenced ones and recent ones', async () => {
    const old = await uploadFile(t.url, t.keys.partner, 'dataset', Buffer.from('an old unused data set'));
    const recent = await uploadFile(t.url, t.keys.partner, 'dataset', Buffer.from('a recent unused data set'));
    expect(old.status).toBe(201);
    const oldId = old.body.id.split('/').pop();
    await t.server.dataSource.query(`UPDATE stored_file SET created_at = now() - interval '25 hours' WHERE id = $1 OR id IN (SELECT file_id FROM model_version)`, [oldId]);
    const blob = t.server.services.files.blobPath(old.body.sha256);
    expect(existsSync(blob)).toBe(true);
    const referenced = await t.server.dataSource.query('SELECT count(*)::int AS n FROM model_version');
    expect(referenced[0].n).toBeGreaterThan(0);

    const before = await fileCount();
    expect(await t.server.services.uploads.expireUnreferenced(new Date())).toBe(1);
    expect(await fileCount()).toBe(before - 1);
    expect(existsSync(blob)).toBe(false);
    expect(existsSync(t.server.services.files.blobPath(recent.body.sha256))).toBe(true);
    // the demo models' files are referred to by their versions, however old
    const models = await t.graphql(t.keys.partner, '{ models(first: 10) { nodes { latestVersion { id } } } }');
    expect(models.errors).toBeUndefined();
  });

  it('refuses an upload past the organisation\'s storage quota with 413 STORAGE_QUOTA_EXCEEDED, storing nothing', async () => {
    const used = await t.server.services.uploads.usedBytes((await t.graphql(t.keys.partner, '{ viewer { organization { id } } }')).data!.viewer.organization.id.split('/').pop());
    const fits = await uploadFile(t.url, t.keys.partner, 'dataset', Buffer.alloc(QUOTA - used - 10, 1));
    expect(fits.status).toBe(201);
    const before = await fileCount();
    const over = await uploadFile(t.url, t.keys.partner, 'dataset', Buffer.alloc(100, 2));
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('STORAGE_QUOTA_EXCEEDED');
    expect(await fileCount()).toBe(before);
  });
});
