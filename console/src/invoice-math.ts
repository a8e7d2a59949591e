/** Invoice arithmetic the console checks on its own, in BigInt minor units. */

export interface MoneyValue {
  amountMinor: string;
  currency: string;
}

/** The sum of the lines' amounts, and whether it equals the invoice's subtotal (and so its total). */
export function linesAddUp(lines: Array<{ amount: MoneyValue }>, subtotal: MoneyValue): { sum: bigint; equal: boolean } {
  const sum = lines.reduce((total, line) => total + BigInt(line.amount.amountMinor), 0n);
  return { sum, equal: sum === BigInt(subtotal.amountMinor) };
}

/** "Finalize" and "Void" as the invoice's status allows them (the API refuses the rest anyway). */
export function invoiceActions(status: string): { finalize: boolean; void: boolean } {
  return { finalize: status === 'DRAFT', void: status === 'FINALIZED' || status === 'PAYMENT_FAILED' };
}

/** "2026-11" for a period starting 2026-11-01 (UTC), or "2026-11-10 to 2026-12-01" for another span. */
export function periodLabel(start: string, end: string): string {
  const s = new Date(start);
  const e = new Date(end);
  const monthly = s.getUTCDate() === 1 && s.getUTCHours() === 0 && e.getUTCDate() === 1 && e.getUTCHours() === 0
    && (e.getUTCFullYear() * 12 + e.getUTCMonth()) - (s.getUTCFullYear() * 12 + s.getUTCMonth()) === 1;
  return monthly ? start.slice(0, 7) : `${start.slice(0, 10)} to ${end.slice(0, 10)}`;
}

/** One tier of a tiered line as the API rated it (InvoiceLine.tiers). */
export interface LineTier {
  fromUnit: string;
  toUnit: string | null;
  units: string;
  unitPrice: string;
  amount: MoneyValue;
}

/** The sum of a line's tier amounts, and whether it equals the line's amount (it must, to the minor unit). */
export function tiersAddUp(tiers: Array<{ amount: MoneyValue }>, amount: MoneyValue): { sum: bigint; equal: boolean } {
  const sum = tiers.reduce((total, tier) => total + BigInt(tier.amount.amountMinor), 0n);
  return { sum, equal: sum === BigInt(amount.amountMinor) };
}

/** A tier's range of billable units: "1–100,000", or "1,000,001 and up" for the open-ended one. */
export function tierRange(tier: { fromUnit: string; toUnit: string | null }, count: (value: string) => string): string {
  return tier.toUnit === null ? `${count(String(tier.fromUnit))} and up` : `${count(String(tier.fromUnit))}–${count(String(tier.toUnit))}`;
}
