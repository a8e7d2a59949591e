/**
 * Global ids name an object's type and its row id, Shopify-style: `gid://marketplace/Model/<uuid>`.
 * They are opaque to clients; only the server parses them.
 */
const PREFIX = 'gid://marketplace/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ParsedGlobalId {
  typeName: string;
  rowId: string;
}

export function toGlobalId(typeName: string, rowId: string): string {
  return `${PREFIX}${typeName}/${rowId}`;
}

/** Parses a global id; returns null when it is malformed or its row id is not a UUID. */
export function parseGlobalId(globalId: string): ParsedGlobalId | null {
  if (typeof globalId !== 'string' || !globalId.startsWith(PREFIX)) return null;
  const [typeName, rowId, ...rest] = globalId.slice(PREFIX.length).split('/');
  if (!typeName || !rowId || rest.length > 0 || !UUID.test(rowId)) return null;
  return { typeName, rowId };
}

/** The row id of a global id of the expected type, or null. */
export function rowIdOf(globalId: string, typeName: string): string | null {
  const parsed = parseGlobalId(globalId);
  return parsed && parsed.typeName === typeName ? parsed.rowId : null;
}
