import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createMigratedDataSource } from '../support/test-database';

// invoice_line -> invoice, kept by the database once per statement (not a per-row foreign key):
// a line must name an existing invoice, deleting a draft deletes its lines, an invoice with lines
// keeps its id, and a finalized invoice's lines cannot change.

describe('invoice lines belong to their invoice', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  const org = randomUUID();
  const line = (invoiceId: string, position: number) => db.query(
    `INSERT INTO invoice_line (invoice_id, kind, description, subscription_id, plan_id, model_id, quantity, billable_units, amount_minor, service_period_start, service_period_end, position)
     VALUES ($1, 'FLAT_FEE', 'fee', $2, $2, $2, 1, 1, 100, '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', $3)`, [invoiceId, randomUUID(), position]);
  const draft = async (start: string) => (await db.query(
    `INSERT INTO invoice (organization_id, currency, period_start, period_end, status, subtotal_minor, total_minor, grace_until, refreshed_at)
     VALUES ($1, 'USD', $2, $2::timestamptz + interval '1 month', 'DRAFT', 100, 100, now(), now()) RETURNING id`, [org, start]))[0].id as string;

  beforeAll(async () => {
    ({ db, close } = await createMigratedDataSource());
    await db.query(`INSERT INTO organization (id, name, kind) VALUES ($1, 'Integrity Ltd', 'PARTNER')`, [org]);
  });
  afterAll(async () => close?.());

  it('refuses a line whose invoice does not exist, and writes nothing of its statement', async () => {
    const invoice = await draft('2026-10-01T00:00:00Z');
    const missing = randomUUID();
    await expect(db.query(
      `INSERT INTO invoice_line (invoice_id, kind, description, subscription_id, plan_id, model_id, quantity, billable_units, amount_minor, service_period_start, service_period_end, position)
       SELECT id, 'FLAT_FEE', 'fee', id, id, id, 1, 1, 100, now(), now(), n FROM unnest(ARRAY[$1::uuid, $2::uuid]) WITH ORDINALITY AS x(id, n)`, [invoice, missing],
    )).rejects.toThrow(new RegExp(`invoice ${missing}, which does not exist`));
    expect((await db.query(`SELECT count(*)::int AS n FROM invoice_line WHERE invoice_id = $1`, [invoice]))[0].n).toBe(0);
  });

  it('deletes a draft\'s lines with it, and keeps the id of an invoice with lines', async () => {
    const [kept, dropped] = [await draft('2026-08-01T00:00:00Z'), await draft('2026-09-01T00:00:00Z')];
    await line(kept, 0);
    await line(dropped, 0);
    await line(dropped, 1);
    await expect(db.query(`UPDATE invoice SET id = gen_random_uuid() WHERE id = $1`, [kept])).rejects.toThrow(/has lines and cannot change its id/);
    await db.query(`DELETE FROM invoice WHERE id = $1`, [dropped]);
    const rows = await db.query(`SELECT invoice_id, count(*)::int AS n FROM invoice_line WHERE invoice_id = ANY($1::uuid[]) GROUP BY invoice_id`, [[kept, dropped]]);
    expect(rows).toEqual([{ invoice_id: kept, n: 1 }]);
  });

  it('keeps a finalized invoice\'s lines as they are', async () => {
    const invoice = await draft('2026-07-01T00:00:00Z');
    await line(invoice, 0);
    await db.query(`UPDATE invoice SET status = 'FINALIZED', number = 'INT-2026-0001', sequence = 1, finalized_at = now() WHERE id = $1`, [invoice]);
    await expect(line(invoice, 1)).rejects.toThrow(/cannot change/);
    await expect(db.query(`DELETE FROM invoice_line WHERE invoice_id = $1`, [invoice])).rejects.toThrow(/cannot change/);
  });
});
