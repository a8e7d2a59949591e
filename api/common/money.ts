import Decimal from 'decimal.js';

/**
 * The one module that converts money: integer minor units <-> decimal major units, with
 * ISO 4217 exponents. Rounding is half-up, once per amount.
 */
const EXPONENTS: Record<string, number> = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, KWD: 3, BHD: 3, OMR: 3, JOD: 3, TND: 3 };
const SUPPORTED = new Set(['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'JPY', 'KWD', 'SEK', 'NOK', 'DKK', 'INR', 'BRL', 'SGD', 'NZD', 'KRW']);

export const MoneyDecimal = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });

export function isSupportedCurrency(currency: string): boolean {
  return SUPPORTED.has(currency);
}

export function supportedCurrencies(): string[] {
  return [...SUPPORTED].sort();
}

/** Digits after the decimal point in the currency's major unit (USD 2, JPY 0, KWD 3). */
export function currencyExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

const MINOR_PER_MAJOR = new Map<number, Decimal>();

/** 10^exponent as a decimal (kept: a close converts thousands of amounts). */
function minorPerMajor(currency: string): Decimal {
  const exponent = currencyExponent(currency);
  let factor = MINOR_PER_MAJOR.get(exponent);
  if (!factor) MINOR_PER_MAJOR.set(exponent, (factor = new MoneyDecimal(10).pow(exponent)));
  return factor;
}

/** A decimal amount in major units -> integer minor units, rounded half-up. */
export function toMinorUnits(majorAmount: Decimal.Value, currency: string): bigint {
  const minor = new MoneyDecimal(majorAmount).mul(minorPerMajor(currency));
  return BigInt(minor.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

/** An exact amount already in minor units (a prorated fee) -> integer minor units, rounded half-up. */
export function roundMinorUnits(exactMinor: Decimal.Value): bigint {
  return BigInt(new MoneyDecimal(exactMinor).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

/** Integer minor units -> the decimal string of major units in the currency's exponent ("12.50", "1200", "1.250"). */
export function toMajorString(amountMinor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  return new MoneyDecimal(amountMinor.toString()).div(new MoneyDecimal(10).pow(exponent)).toFixed(exponent);
}

/** "$12.50", "¥1,200", "KWD 1.250". */
export function formatMoney(amountMinor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const major = new MoneyDecimal(amountMinor.toString()).div(new MoneyDecimal(10).pow(exponent));
  const formatter = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  // NOTE: Intl formats from a string to keep every digit of large amounts.
  return formatter.format(major.toFixed(exponent) as unknown as number);
}

/** The GraphQL `Money` value for an amount. */
export function money(amountMinor: bigint, currency: string) {
  return { amountMinor, currency, formatted: formatMoney(amountMinor, currency) };
}

/** A decimal string that is a valid non-negative unit price, e.g. "0.0004". */
export function isDecimalPrice(value: string): boolean {
  return /^\d{1,12}(\.\d{1,12})?$/.test(value);
}

/**
 * Splits `totalMinor` (an amount already rounded once, half-up, from the exact sum of `parts`)
 * into one integer amount per part that add up to it exactly: each part gets its exact amount in
 * minor units rounded down, and the minor units left over go one each to the parts with the
 * largest fractional remainders (the earlier part first on a tie). Every part ends within one
 * minor unit of its exact amount (a single part is the whole total). Used for the tiers of one
 * invoice line.
 */
export function allocateMinorUnits(totalMinor: bigint, parts: Decimal[], currency: string): bigint[] {
  if (parts.length === 1) return [totalMinor];
  // NOTE: in BigInt, each exact amount scaled to an integer (prices have at most 12 decimals, so the scale stays small).
  const exact = parts.map((part) => new MoneyDecimal(part).mul(minorPerMajor(currency)));
  const scale = Math.max(0, ...exact.map((e) => e.decimalPlaces()));
  const unit = 10n ** BigInt(scale);
  const shares = exact.map((e, i) => {
    const scaled = BigInt(e.toFixed(scale).replace('.', ''));
    const minor = scaled >= 0n ? scaled / unit : -((-scaled + unit - 1n) / unit);
    return { i, minor, remainder: scaled - minor * unit };
  });
  let left = totalMinor - shares.reduce((sum, share) => sum + share.minor, 0n);
  if (left < 0n || left > BigInt(parts.length)) {
    throw new Error(`cannot split ${totalMinor} minor units over parts that sum to ${exact.reduce((a, b) => a.add(b), new MoneyDecimal(0)).toFixed()}`);
  }
  if (left > 0n) {
    for (const share of [...shares].sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1))) {
      if (left === 0n) break;
      share.minor += 1n;
      left -= 1n;
    }
  }
  return shares.map((share) => share.minor);
}
