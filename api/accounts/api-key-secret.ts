import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Key format: `mk_<prefix>_<secret>`: 8 hex characters that identify the key (shown in lists),
 * then 32 random bytes in base64url. Only SHA-256 of the whole key is stored: the secret has
 * 256 bits of entropy, so a slow hash adds nothing.
 */
const KEY_PATTERN = /^mk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  plaintext: string;
  prefix: string;
  secretHash: string;
}

export function generateApiKey(): GeneratedKey {
  const prefix = randomBytes(4).toString('hex');
  const plaintext = `mk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { plaintext, prefix: `mk_${prefix}`, secretHash: hashApiKey(plaintext) };
}

export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

/** The stored prefix of a well-formed key, or null for anything that cannot be a key. */
export function prefixOf(plaintext: string): string | null {
  const match = KEY_PATTERN.exec(plaintext);
  return match ? `mk_${match[1]}` : null;
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
