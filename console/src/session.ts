/**
 * The signed-in API key lives in this tab's sessionStorage only: never in a URL, a cookie or
 * localStorage, so it goes when the tab closes and is not sent anywhere but the Authorization
 * header of the console's own GraphQL calls.
 */
const STORAGE_KEY = 'marketplace-console.api-key';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
