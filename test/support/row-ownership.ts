import type { DataSource } from 'typeorm';

/**
 * Which organisation owns each row of the database, read from the schema itself: a table with an
 * `organization_id` column is owned by it; any other table by the owner of the row its first
 * foreign key points at (parents that carry `organization_id` first); the organisations' table by
 * each row itself; a table with none of these is
 * "unattributed". New tables are covered without editing this file.
 */
export interface RowOwnership {
  /** Tables of the public schema, each with the SQL expression of its rows' owner (null: unattributed). */
  owners: Map<string, string | null>;
}

/**
 * References the database enforces by trigger rather than by a declared foreign key, so the
 * catalogue does not show them. NOTE: invoice_line -> invoice became a per-statement trigger
 * check (migration 1796172339600, the close's line inserts); the sweep's guard test fails when a
 * node type ends up with no owner, which is how a new one shows up.
 */
const TRIGGER_ENFORCED_REFERENCES = [{ table: 'invoice_line', column: 'invoice_id', parent: 'invoice' }];

export async function readRowOwnership(db: DataSource): Promise<RowOwnership> {
  const columns: Array<{ table: string; column: string }> = await db.query(
    `SELECT table_name AS table, column_name AS column FROM information_schema.columns WHERE table_schema = 'public'`);
  const fks: Array<{ table: string; column: string; parent: string }> = await db.query(`
    SELECT tc.table_name AS table, kcu.column_name AS column, ccu.table_name AS parent
    FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
    JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
    WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public' AND ccu.column_name = 'id'
    ORDER BY tc.table_name, kcu.column_name`);
  fks.push(...TRIGGER_ENFORCED_REFERENCES.filter((ref) => !fks.some((fk) => fk.table === ref.table && fk.column === ref.column)));
  const tables = new Set(columns.map((c) => c.table));
  const hasOrg = (table: string) => columns.some((c) => c.table === table && c.column === 'organization_id');
  // the organisations' own table: the table `organization_id` columns point at
  const organizations = new Set(fks.filter((fk) => fk.column === 'organization_id').map((fk) => fk.parent));
  const ownerOf = (table: string, alias: string, depth: number): string | null => {
    if (organizations.has(table)) return `${alias}.id`;
    if (hasOrg(table)) return `${alias}.organization_id`;
    if (depth > 6) return null;
    const parents = fks.filter((fk) => fk.table === table && fk.parent !== table)
      .sort((a, b) => Number(hasOrg(b.parent)) - Number(hasOrg(a.parent)));
    for (const fk of parents) {
      const inner = `p${depth}`;
      const owner = ownerOf(fk.parent, inner, depth + 1);
      if (owner) return `(SELECT ${owner} FROM "${fk.parent}" ${inner} WHERE ${inner}.id = ${alias}."${fk.column}")`;
    }
    return null;
  };
  return { owners: new Map([...tables].sort().map((table) => [table, ownerOf(table, 't', 0)])) };
}

/** Digests (md5 of each row as JSON, sorted) of `orgs`' rows per table, and of every row of the unattributed tables. */
export async function digestRowsOf(db: DataSource, ownership: RowOwnership, orgs: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, owner] of ownership.owners) {
    const where = owner ? `WHERE (${owner})::text = ANY($1)` : '';
    const rows: Array<{ digest: string }> = await db.query(`SELECT md5(row_to_json(t)::text) AS digest FROM "${table}" t ${where}`, owner ? [orgs] : []);
    out[owner ? table : `${table} (unattributed: every row)`] = rows.map((r) => r.digest).sort();
  }
  return out;
}

/** Row ids of `table` owned by one of `orgs` (the table must have an `id` column). */
export async function rowIdsOf(db: DataSource, ownership: RowOwnership, table: string, orgs: string[]): Promise<string[]> {
  const owner = ownership.owners.get(table);
  if (!owner) return [];
  const rows: Array<{ id: string }> = await db.query(`SELECT t.id::text AS id FROM "${table}" t WHERE (${owner})::text = ANY($1) ORDER BY t.id`, [orgs]);
  return rows.map((r) => r.id);
}
