/** The console's pages and the roles that may open them (ADMIN opens all, as the API lets it). */

export type Role = 'ADMIN' | 'FINANCE' | 'PARTNER' | 'VENDOR';

export interface PageDef {
  /** The hash route, e.g. "subscriptions" for #/subscriptions. */
  id: string;
  title: string;
  roles: Role[];
}

export const PAGES: PageDef[] = [
  { id: 'subscriptions', title: 'Subscriptions', roles: ['PARTNER'] },
  { id: 'usage', title: 'Usage', roles: ['PARTNER', 'FINANCE', 'VENDOR'] },
  { id: 'fine-tuning', title: 'Fine-tuning', roles: ['PARTNER'] },
  { id: 'models', title: 'Models', roles: ['VENDOR'] },
  { id: 'revenue', title: 'Revenue', roles: ['VENDOR'] },
  { id: 'invoices', title: 'Invoices', roles: ['FINANCE'] },
];

/** True when a key with `roles` may open `page`. */
export function mayOpen(page: PageDef, roles: readonly Role[]): boolean {
  return roles.includes('ADMIN') || page.roles.some((role) => roles.includes(role));
}

/** The pages a key with `roles` sees in its navigation, in order. */
export function pagesFor(roles: readonly Role[]): PageDef[] {
  return PAGES.filter((page) => mayOpen(page, roles));
}

/** The page id of a location hash ("#/usage" -> "usage"; "" -> null). */
export function pageIdOfHash(hash: string): string | null {
  const match = /^#\/([a-z-]+)/.exec(hash);
  return match ? match[1] : null;
}

/** What follows the page id in the hash, decoded ("#/invoices/gid%3A..." -> "gid:..."); null when nothing does. */
export function pageArgOfHash(hash: string): string | null {
  const match = /^#\/[a-z-]+\/(.+)$/.exec(hash);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
