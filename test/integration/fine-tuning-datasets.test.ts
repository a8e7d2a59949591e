import { randomBytes } from 'node:crypto';
import { loadShippedDataset } from '../../api/seed/data/shipped-datasets';
import { seedDemo, seedDemoDataset } from '../../api/seed/demo-seed';
import { Organization } from '../../schema/accounts/organization.entity';
import { CANCEL_FINE_TUNE, CREATE_DATASET, START_FINE_TUNE, supportTickets, toCsv, toJsonl, uploadDataset } from '../support/fine-tune-fixtures';
import { createPartner, demoModels, subscribe } from '../support/subscription-fixtures';
import { startTestServer, TestServer } from '../support/test-server';
import { uploadFile } from '../support/upload';

describe('createDataset: streamed validation of JSONL and CSV files (real HTTP)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { FINE_TUNE_MAX_LABELS: '5', FINE_TUNE_MAX_DATASET_BYTES: '60000', FINE_TUNE_WORKER: 'false' } });
  }, 240_000);
  afterAll(async () => t?.stop(), 60_000);

  async function create(body: Buffer, format = 'JSONL', extra: Record<string, unknown> = {}) {
    const fileId = await uploadDataset(t, t.keys.partner, body);
    const res = await t.graphql(t.keys.partner, CREATE_DATASET, { input: { fileId, format, ...extra } });
    expect(res.errors).toBeUndefined();
    return res.data!.createDataset;
  }

  /** The demo seed's dataset of Contoso. */
  const SEEDED = 1;

  async function datasetCount(): Promise<number> {
    const [row] = await t.server.dataSource.query('SELECT count(*)::int AS n FROM dataset');
    return row.n;
  }

  it('the demo seed gives Contoso the shipped support-ticket dataset once, ready to fine-tune on', async () => {
    const query = '{ datasets(first: 10) { totalCount nodes { id format rowCount trainRows validationRows duplicateRows labels { label count } } } }';
    const listed = await t.graphql(t.keys.partner, query);
    expect(listed.errors).toBeUndefined();
    const shipped = loadShippedDataset('support-ticket-tone');
    expect(listed.data!.datasets.totalCount).toBe(1);
    const [seeded] = listed.data!.datasets.nodes;
    expect(seeded).toMatchObject({ format: 'JSONL', rowCount: shipped.rows.length, duplicateRows: 0, trainRows: 324, validationRows: 36 });
    expect(seeded.labels.map((l: any) => l.label).sort()).toEqual(shipped.labels);
    // restarts seed nothing again; the dataset step itself gives the same dataset
    expect(await seedDemo(t.server, t.dataDir)).toBeNull();
    const contoso = await t.server.dataSource.getRepository(Organization).findOneByOrFail({ name: 'Contoso' });
    const again = await seedDemoDataset(t.server, contoso);
    expect(again!.globalId).toBe(seeded.id);
    expect((await t.graphql(t.keys.partner, query)).data!.datasets.totalCount).toBe(1);
    // a newcomer starts a fine-tune on it at once (this server runs no worker: the job waits, then is cancelled)
    const models = await demoModels(t);
    await subscribe(t, t.keys.partner, models['review-sentiment'].plans['Pay as you go']);
    const start = await t.graphql(t.keys.partner, START_FINE_TUNE, { input: { modelId: models['review-sentiment'].id, datasetId: seeded.id } });
    expect(start.data!.startFineTune.userErrors).toEqual([]);
    expect(start.data!.startFineTune.job.status).toBe('QUEUED');
    const cancel = await t.graphql(t.keys.partner, CANCEL_FINE_TUNE, { id: start.data!.startFineTune.job.id });
    expect(cancel.data!.cancelFineTune.job.status).toBe('CANCELLED');
  });

  it('reads JSONL: label counts, duplicates, long rows and a seeded stratified 90/10 split', async () => {
    const rows = supportTickets(30);
    const long = { text: Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '), label: 'billing' };
    const payload = await create(toJsonl([...rows, rows[0], { ...rows[1], text: `  ${rows[1].text.toUpperCase()} ` }, long]));
    expect(payload.userErrors).toEqual([]);
    const d = payload.dataset;
    expect(d).toMatchObject({ format: 'JSONL', rowCount: 93, duplicateRows: 2, rowsOverTextLimit: 1, textLimitTokens: 64, splitSeed: 42 });
    expect(d.trainRows + d.validationRows).toBe(91);
    expect(d.labels.map((l: any) => [l.label, l.count]).sort()).toEqual([['billing', 31], ['shipping', 30], ['technical', 30]]);
    for (const l of d.labels) expect(l.validationCount).toBe(3);
    const again = await create(toJsonl([...rows, rows[0], { ...rows[1], text: `  ${rows[1].text.toUpperCase()} ` }, long]));
    expect(again.dataset.labels).toEqual(d.labels);
  });

  it('reads CSV with a header (any column order), and takes a second file as the validation rows', async () => {
    const rows = supportTickets(12, 3);
    const csv = Buffer.from(['label,text', ...rows.map((r) => `${r.label},"${r.text.replace(/"/g, '""')}"`)].join('\r\n'));
    const validationFileId = await uploadDataset(t, t.keys.partner, toCsv(supportTickets(3, 99)));
    const payload = await create(csv, 'CSV', { validationFileId });
    expect(payload.userErrors).toEqual([]);
    expect(payload.dataset).toMatchObject({ format: 'CSV', trainRows: 36, validationRows: 9 });
  });

  const refusals: Array<[string, () => Buffer, string, RegExp]> = [
    ['a whitespace-only file', () => Buffer.from('\n\n  \n'), 'JSONL', /holds no rows/],
    ['garbage (binary)', () => randomBytes(2000), 'JSONL', /binary/],
    ['a truncated JSONL file', () => Buffer.concat([toJsonl(supportTickets(5)), Buffer.from('{"text": "my parcel is st')]), 'JSONL', /line 16: not valid JSON/],
    ['a truncated CSV file (open quote)', () => Buffer.concat([toCsv(supportTickets(5)), Buffer.from('"my parcel is st')]), 'CSV', /ends inside a quoted field/],
    ['a CSV without the columns', () => Buffer.from('message,team\nhello,billing\n'), 'CSV', /header must name the columns "text" and "label"/],
    ['a single label', () => toJsonl(supportTickets(20).map((r) => ({ ...r, label: 'billing' }))), 'JSONL', /single label \("billing"\)/],
    ['labels over the limit', () => toJsonl(supportTickets(10).map((r, i) => ({ ...r, label: `team-${i % 6}` }))), 'JSONL', /6 labels; at most 5/],
    ['too few rows', () => toJsonl(supportTickets(2)), 'JSONL', /6 distinct rows; at least 10/],
    ['an oversized file', () => toJsonl(Array.from({ length: 1000 }, (_, i) => ({ text: `ticket number ${i} about my invoice being wrong again`, label: i % 2 ? 'a' : 'b' }))), 'JSONL', /datasets may have at most 60000/],
  ];
  it.each(refusals)('refuses %s with a message naming the problem, saving nothing', async (_what, body, format, message) => {
    const payload = await create(body(), format);
    expect(payload.dataset).toBeNull();
    expect(payload.userErrors).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'fileId'], message: expect.stringMatching(message) })]);
    expect(await datasetCount()).toBe(SEEDED + 3);
  });

  it('lists the first 20 row errors with line numbers and what is wrong, and counts the rest', async () => {
    const rows: Array<Record<string, unknown>> = supportTickets(10).map((r) => ({ ...r }));
    rows.splice(2, 0, { text: '   ', label: 'billing' }, { text: 'no label here' }, { text: 42, label: 'billing' });
    for (let i = 0; i < 25; i++) rows.push({ text: '', label: 'shipping' });
    const payload = await create(toJsonl(rows));
    expect(payload.dataset).toBeNull();
    const messages = payload.userErrors.map((e: any) => e.message);
    expect(messages).toHaveLength(21);
    expect(messages.slice(0, 3)).toEqual(['file line 3: text is empty', 'file line 4: label is missing', 'file line 5: text must be a string, got number']);
    expect(messages[3]).toBe('file line 34: text is empty');
    expect(messages[20]).toBe('8 more rows of the file have errors (the first 20 are listed)');
    expect(await datasetCount()).toBe(SEEDED + 3);
  });

  it('refuses an empty upload at the route, a model file, and another organisation\'s file', async () => {
    expect((await uploadFile(t.url, t.keys.partner, 'dataset', Buffer.alloc(0))).status).toBe(400);
    const other = await createPartner(t, 'Fabrikam');
    const theirs = await uploadDataset(t, other, toJsonl(supportTickets(10)));
    const res = await t.graphql(t.keys.partner, CREATE_DATASET, { input: { fileId: theirs, format: 'JSONL' } });
    expect(res.data!.createDataset.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'fileId'] })]);
    expect(await datasetCount()).toBe(SEEDED + 3);
  });
});
