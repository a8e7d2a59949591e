import { randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7-layout id: 48 bits of Unix milliseconds, then a 12-bit counter, then random bits.
 * NOTE: ids that grow with time are appended to their B-tree index instead of landing on a
 * random page, which keeps bulk usage inserts fast; they are still valid, unique UUIDs.
 */
export function timeOrderedUuid(nowMs: number = Date.now()): string {
  if (nowMs === lastMs) counter = (counter + 1) & 0xfff;
  else {
    lastMs = nowMs;
    counter = 0;
  }
  const ms = nowMs.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${counter.toString(16).padStart(3, '0')}-${random.slice(19)}`;
}
