import { GraphQLScalarType, Kind, ValueNode } from 'graphql';
import { GraphQLBigInt, GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/** The range of a PostgreSQL `bigint` column, where every BigInt of the API is stored. */
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;

function parseBigInt(value: unknown): bigint {
  const text = typeof value === 'bigint' ? value.toString() : String(value);
  if (!/^-?\d{1,30}$/.test(text)) throw new TypeError(`BigInt must be an integer (a JSON number or a string of digits), got ${JSON.stringify(value)}`);
  const parsed = BigInt(text);
  if (parsed < BIGINT_MIN || parsed > BIGINT_MAX) throw new TypeError(`BigInt must be between ${BIGINT_MIN} and ${BIGINT_MAX}, got ${text}`);
  return parsed;
}

/**
 * graphql-scalars' BigInt, except that inputs always arrive as `bigint` (its own parser turns
 * safe integers into `number`, which would mix types in money arithmetic). Outputs are JSON
 * numbers up to 2^53 and strings of digits beyond.
 */
export const BigIntScalar = new GraphQLScalarType({
  ...GraphQLBigInt.toConfig(),
  parseValue: parseBigInt,
  parseLiteral(node: ValueNode) {
    if (node.kind !== Kind.INT && node.kind !== Kind.STRING) throw new TypeError('BigInt must be an integer or a string of digits');
    return parseBigInt(node.value);
  },
});

/** Scalars used across the schema: instants and free JSON. */
export { GraphQLDateTime as DateTimeScalar, GraphQLJSON as JSONScalar };
