/**
 * Money in the console: integer minor units (a BigInt, or its decimal string as the API sends
 * `BigInt` scalars) plus an ISO 4217 currency, formatted without ever passing through a float.
 * The minor units become an exact decimal string ("-1234.5" style, digits from BigInt division)
 * and Intl.NumberFormat formats that string, which it reads exactly.
 */

/** Digits after the decimal point of `currency`'s minor unit (USD 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * NOTE: Intl.NumberFormat formats a decimal string exactly (ECMA-402 NumberFormat v3), with no
 * float in between; the cast only widens the older lib typing, which lists number | bigint.
 */
function formatDecimalString(format: Intl.NumberFormat, decimal: string): string {
  return (format.format as unknown as (value: string) => string)(decimal);
}

/** The exact decimal string of `amountMinor` minor units, e.g. ("-1234567", 2) -> "-12345.67". */
export function minorToDecimalString(amountMinor: bigint | string, digits: number): string {
  const minor = typeof amountMinor === 'bigint' ? amountMinor : parseMinor(amountMinor);
  const negative = minor < 0n;
  const magnitude = negative ? -minor : minor;
  const scale = 10n ** BigInt(digits);
  const whole = (magnitude / scale).toString();
  const fraction = digits > 0 ? '.' + (magnitude % scale).toString().padStart(digits, '0') : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** A BigInt from the API's integer string; throws naming the value when it is not one. */
export function parseMinor(value: string): bigint {
  if (!/^-?\d+$/.test(value)) throw new Error(`not an amount in minor units: "${value}"`);
  return BigInt(value);
}

/** "$1,234.50" from (123450, "USD"); "¥1,200" from (1200, "JPY"); "-KWD 1.005" style for negatives in the locale's way. */
export function formatMoney(amountMinor: bigint | string, currency: string, locale = 'en-US'): string {
  const digits = minorDigits(currency);
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return formatDecimalString(format, minorToDecimalString(amountMinor, digits));
}

/** A decimal unit price in the currency's major unit, e.g. ("0.0004", "USD") -> "$0.0004" (as many digits as it has). */
export function formatUnitPrice(unitPrice: string, currency: string, locale = 'en-US'): string {
  if (!/^-?\d+(\.\d+)?$/.test(unitPrice)) return `${unitPrice} ${currency}`;
  const fractionDigits = unitPrice.includes('.') ? unitPrice.split('.')[1].length : 0;
  const digits = Math.min(20, Math.max(fractionDigits, minorDigits(currency)));
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return formatDecimalString(format, unitPrice);
}

/** A BigInt count with digit grouping, e.g. "10000000" -> "10,000,000" (exact at any size). */
export function formatCount(value: bigint | string, locale = 'en-US'): string {
  return formatDecimalString(new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }), String(value));
}
