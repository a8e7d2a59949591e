import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * SHA-256 of a call's canonical input (model, version, texts, inputs; object keys sorted):
 * what decides whether a repeated requestId is a retry or a conflict.
 */
export function requestFingerprint(modelId: string, version: string | null | undefined, texts: unknown, inputs: unknown): string {
  const body = JSON.stringify(canonical({ modelId, version: version ?? null, texts: texts ?? null, inputs: inputs ?? null }));
  return createHash('sha256').update(body).digest('hex');
}
