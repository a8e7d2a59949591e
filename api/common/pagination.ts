import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Page } from '../../schema/common/connection.type';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { badUserInput } from './errors';

/** Cursor = base64url of [createdAt ISO, id]: stable keyset paging, oldest first. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    if (typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) return [createdAt, id];
  } catch {
    // fall through: malformed
  }
  throw badUserInput(`"after" is not a cursor this API issued: ${JSON.stringify(cursor)}`, { field: 'after' });
}

/**
 * One page of a query ordered by (createdAt, id): one COUNT and one SELECT statement.
 * The entity must have `createdAt` (millisecond precision) and `id` columns.
 */
export async function paginate<T extends ObjectLiteral & { createdAt: Date; id: string }>(
  query: SelectQueryBuilder<T>,
  args: PaginationArgs,
): Promise<Page<T>> {
  const alias = query.alias;
  const totalCount = await query.clone().getCount();
  if (args.after) {
    const [createdAt, id] = decodeCursor(args.after);
    query.andWhere(`(${alias}.createdAt, ${alias}.id) > (:cursorCreatedAt, :cursorId)`, {
      cursorCreatedAt: createdAt,
      cursorId: id,
    });
  }
  const rows = await query
    .orderBy(`${alias}.createdAt`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .take(args.first + 1)
    .getMany();
  const nodes = rows.slice(0, args.first);
  return {
    nodes,
    cursors: nodes.map((n) => encodeCursor(n.createdAt, n.id)),
    hasNextPage: rows.length > args.first,
    hasPreviousPage: !!args.after,
    totalCount,
  };
}

/** Pages an in-memory list the same way (for per-parent lists served by DataLoaders). */
export function pageOf<T extends { createdAt: Date; id: string }>(all: T[], args: PaginationArgs): Page<T> {
  let start = 0;
  if (args.after) {
    const [createdAt, id] = decodeCursor(args.after);
    start = all.findIndex((n) => n.createdAt.toISOString() > createdAt || (n.createdAt.toISOString() === createdAt && n.id > id));
    if (start < 0) start = all.length;
  }
  const nodes = all.slice(start, start + args.first);
  return {
    nodes,
    cursors: nodes.map((n) => encodeCursor(n.createdAt, n.id)),
    hasNextPage: start + args.first < all.length,
    hasPreviousPage: start > 0,
    totalCount: all.length,
  };
}
