import { rm } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import type { FileStore } from './file-store.service';

/** A column that refers to `stored_file(id)` (found in the database's foreign keys). */
interface FileReference {
  table: string;
  column: string;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * What uploads may cost: each organisation's storage quota (the bytes of its stored files), and
 * the expiry of uploads nothing refers to. A file counts as referred to when any foreign key to
 * `stored_file(id)` points at it (a published model version today; whatever later tables add),
 * read from the database's catalogue, so a new reference needs no change here.
 */
export class UploadRetention {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FileStore,
    readonly options: { quotaBytes: number; expireAfterMs: number },
  ) {}

  /** Bytes the organisation's stored files hold. */
  async usedBytes(organizationId: string): Promise<number> {
    const rows: Array<{ bytes: string | null }> = await this.dataSource.query('SELECT sum(bytes)::text AS bytes FROM stored_file WHERE organization_id = $1', [organizationId]);
    return Number(rows[0]?.bytes ?? 0);
  }

  /** Bytes the organisation may still upload (0 when its quota is used up). */
  async remainingBytes(organizationId: string): Promise<number> {
    return Math.max(0, this.options.quotaBytes - (await this.usedBytes(organizationId)));
  }

  /**
   * Deletes uploads older than `expireAfterMs` that nothing refers to, and their blobs when no
   * other upload shares the contents. Returns how many uploads went.
   */
  async expireUnreferenced(now: Date): Promise<number> {
    const references = await this.references();
    const unreferenced = references.map((r) => `NOT EXISTS (SELECT 1 FROM ${quoteIdent(r.table)} x WHERE x.${quoteIdent(r.column)} = f.id)`);
    const cutoff = new Date(now.getTime() - this.options.expireAfterMs);
    const rows: Array<{ sha256: string }> = await this.dataSource.query(
      `DELETE FROM stored_file f WHERE f.created_at < $1 ${unreferenced.map((c) => `AND ${c}`).join(' ')} RETURNING f.sha256`, [cutoff]);
    const deleted = Array.isArray(rows[0]) ? (rows[0] as Array<{ sha256: string }>) : rows;
    for (const sha256 of new Set(deleted.map((r) => r.sha256))) {
      const still: unknown[] = await this.dataSource.query('SELECT 1 FROM stored_file WHERE sha256 = $1 LIMIT 1', [sha256]);
      if (still.length === 0) await rm(this.files.blobPath(sha256), { force: true });
    }
    return deleted.length;
  }

  private async references(): Promise<FileReference[]> {
    return this.dataSource.query(`
      SELECT src.relname AS "table", att.attname AS "column"
      FROM pg_constraint c
      JOIN pg_class src ON src.oid = c.conrelid
      JOIN pg_class dst ON dst.oid = c.confrelid
      JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND dst.relname = 'stored_file'`);
  }
}
