import {
  buildClientSchema, getIntrospectionQuery, getNamedType, getNullableType, GraphQLArgument, GraphQLField, GraphQLInputField,
  GraphQLInputType, GraphQLNamedType, GraphQLObjectType, GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isLeafType,
  isListType, isNonNullType, isObjectType, isUnionType, parse, validate, type IntrospectionQuery,
} from 'graphql';
import { graphqlAt } from './test-server';

/** The server's schema, read by introspection over HTTP (as any client would). */
export async function introspect(url: string, key: string): Promise<GraphQLSchema> {
  const res = await graphqlAt<IntrospectionQuery>(url, key, getIntrospectionQuery());
  if (res.errors) throw new Error(`introspection failed: ${JSON.stringify(res.errors)}`);
  return buildClientSchema(res.data!);
}

/** Chooses the value of an ID argument or input field: by its name and the operation's. */
export type IdChooser = (name: string, operation: string) => string | undefined;

/** A generated call: one root field with its arguments as variables, and a full selection. */
export interface GeneratedCall {
  operation: string;
  kind: 'query' | 'mutation';
  document: string;
  variables: Record<string, unknown>;
}

const DAY = 86_400_000;

/** A plausible value of a scalar by its type and name, so that the call gets past validation. */
function plausibleScalar(typeName: string, name: string): unknown {
  const now = new Date();
  switch (typeName) {
    case 'Int': return name === 'first' || name === 'last' ? 5 : 1;
    case 'Float': return 0.1;
    case 'Boolean': return true;
    case 'BigInt': return '1';
    case 'JSON': return {};
    case 'DateTime':
      if (name === 'from' || /start/i.test(name)) return new Date(now.getTime() - 120 * DAY).toISOString();
      if (name === 'periodEnd') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
      return new Date(now.getTime() + DAY).toISOString();
    default: // String and any other scalar given as a string
      if (name === 'period') return now.toISOString().slice(0, 7);
      if (name === 'version') return '9.9.9';
      if (name === 'currency') return 'USD';
      if (name === 'slug') return 'sweep-probe';
      if (name === 'unitPrice') return '0.01';
      if (name === 'requestId' || name === 'idempotencyKey') return 'sweep-probe';
      return 'sweep probe';
  }
}

function containsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (named.name === 'ID') return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((f) => containsId(f.type, seen));
}

/**
 * A value of an input type: IDs from `chooseId`, plausible scalars, the first enum value; of
 * input objects, the required fields and every field that can carry an ID (filters' ids included).
 */
function inputValue(type: GraphQLInputType, name: string, operation: string, chooseId: IdChooser, depth = 0): unknown {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) return [inputValue(nullable.ofType, name, operation, chooseId, depth + 1)];
  const named = nullable as GraphQLNamedType;
  if (named.name === 'ID') return chooseId(name, operation) ?? 'gid://marketplace/Nothing/00000000-0000-0000-0000-000000000000';
  if (isEnumType(named)) return named.getValues()[0].value;
  if (isInputObjectType(named)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(named.getFields()) as GraphQLInputField[]) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required || (depth < 4 && containsId(field.type))) out[field.name] = inputValue(field.type, field.name, operation, chooseId, depth + 1);
    }
    return out;
  }
  return plausibleScalar(named.name, name);
}

/** Literal arguments of a nested field: only its required ones (the rest keep their defaults). */
function nestedArgs(field: GraphQLField<unknown, unknown>, operation: string, chooseId: IdChooser): string {
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  if (args.length === 0) return '';
  const literal = (value: unknown, type: GraphQLInputType): string => {
    const named = getNamedType(type);
    if (Array.isArray(value)) return `[${value.map((v) => literal(v, getNullableType(type) as GraphQLInputType)).join(', ')}]`;
    if (isEnumType(named)) return String(value);
    if (value && typeof value === 'object') {
      const fields = isInputObjectType(named) ? named.getFields() : {};
      return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v, fields[k]?.type ?? named as GraphQLInputType)}`).join(', ')} }`;
    }
    return JSON.stringify(value);
  };
  return `(${args.map((a) => `${a.name}: ${literal(inputValue(a.type, a.name, operation, chooseId), a.type)}`).join(', ')})`;
}

/** Every field of `type` to `maxDepth` levels: leaves, objects, and each possible type of interfaces and unions. */
export function selectionOf(schema: GraphQLSchema, type: GraphQLNamedType, operation: string, chooseId: IdChooser, maxDepth: number, depth = 1, aliasPrefix = ''): string {
  if (isLeafType(type)) return '';
  if (isInterfaceType(type) || isUnionType(type)) {
    const possible = schema.getPossibleTypes(type);
    // NOTE: each possible type's fields under an alias of its own: `status` of a Plan and of an
    // Invoice have different types and may not share a response name
    return `{ __typename ${possible.map((p) => `... on ${p.name} ${selectionOf(schema, p, operation, chooseId, maxDepth, depth, `${p.name}_`)}`).join(' ')} }`;
  }
  const object = type as GraphQLObjectType;
  const parts: string[] = ['__typename'];
  for (const field of Object.values(object.getFields())) {
    const named = getNamedType(field.type);
    const args = nestedArgs(field, operation, chooseId);
    const name = aliasPrefix ? `${aliasPrefix}${field.name}: ${field.name}` : field.name;
    if (isLeafType(named)) parts.push(`${name}${args}`);
    else if (depth < maxDepth) parts.push(`${name}${args} ${selectionOf(schema, named, operation, chooseId, maxDepth, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

/** A call of a root field with every argument as a typed variable. */
export function generateCall(schema: GraphQLSchema, kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, chooseId: IdChooser, maxDepth = 3): GeneratedCall {
  const variables: Record<string, unknown> = {};
  const declared: string[] = [];
  const passed: string[] = [];
  for (const arg of field.args as GraphQLArgument[]) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (!required && !containsId(arg.type)) continue;
    variables[arg.name] = inputValue(arg.type, arg.name, field.name, chooseId);
    declared.push(`$${arg.name}: ${String(arg.type)}`);
    passed.push(`${arg.name}: $${arg.name}`);
  }
  const selection = selectionOf(schema, getNamedType(field.type), field.name, chooseId, maxDepth);
  const document = `${kind} Sweep${declared.length ? `(${declared.join(', ')})` : ''} { ${field.name}${passed.length ? `(${passed.join(', ')})` : ''} ${selection} }`;
  const invalid = validate(schema, parse(document));
  if (invalid.length) throw new Error(`generated an invalid call of ${field.name}: ${invalid.map((e) => e.message).join('; ')}`);
  return { operation: field.name, kind, document, variables };
}

/** The root fields of the schema's query and mutation types, by kind. */
export function rootFields(schema: GraphQLSchema): Array<{ kind: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }> {
  const out: Array<{ kind: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }> = [];
  for (const [kind, type] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    if (type && isObjectType(type)) for (const field of Object.values(type.getFields())) out.push({ kind, field });
  }
  return out;
}
