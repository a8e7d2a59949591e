import { GraphQLBigInt, GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/** Scalars used across the schema: integers beyond 2^53 (money in minor units), instants, free JSON. */
export { GraphQLBigInt as BigIntScalar, GraphQLDateTime as DateTimeScalar, GraphQLJSON as JSONScalar };
