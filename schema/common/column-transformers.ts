import { ValueTransformer } from 'typeorm';

/** `bigint` columns arrive from pg as strings; the domain uses BigInt (money, quantities). */
export const bigintColumn: ValueTransformer = {
  to: (value: bigint | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null || value === undefined ? value : BigInt(value)),
};
