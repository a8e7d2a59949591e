import { getMetadataStorage } from 'type-graphql';

/**
 * The fields whose resolvers read or write the database, from type-graphql's metadata: every
 * root field (`Query.x`, `Mutation.x`), which runs its own statements, and every field resolver
 * (`Model.plans`, ...), which reads through a per-request DataLoader (one batched statement per
 * list, not per item). Plain object fields read what their parent already loaded.
 * Keys are `TypeName.fieldName` as the GraphQL schema spells them.
 */
export interface DatabaseFields {
  root: ReadonlySet<string>;
  batched: ReadonlySet<string>;
}

/** Reads the database-reading fields of the resolvers built into the schema (call after buildApiSchema). */
export function databaseFields(): DatabaseFields {
  const metadata = getMetadataStorage();
  const typeName = (target: Function | undefined) => metadata.objectTypes.find((o) => o.target === target)?.name ?? target?.name;
  const root = new Set<string>([
    ...metadata.queries.map((q) => `Query.${q.schemaName}`),
    ...metadata.mutations.map((m) => `Mutation.${m.schemaName}`),
  ]);
  const batched = new Set<string>(metadata.fieldResolvers.map((f) => `${typeName(f.getObjectType?.())}.${f.schemaName}`));
  return { root, batched };
}
