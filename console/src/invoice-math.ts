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

export interface Tier {
  upTo: string | null;
  unitPrice: string;
}

/** One tier of a tiered line: its units range, its price, and how many of the line's units it prices. */
export interface TierSlice {
  from: bigint;
  upTo: bigint | null;
  unitPrice: string;
  units: bigint;
}

/**
 * How a tiered charge priced `units` billable units, tier by tier (BigInt): GRADUATED, each
 * tier its own slice (1..upTo, then upTo+1..); VOLUME, the tier the total falls in prices all
 * of them (the others 0). The amounts stay the server's; this shows where the units went.
 */
export function tierSlices(pricing: string, tiers: Tier[], units: bigint): TierSlice[] {
  let from = 1n;
  let placed = false;
  return tiers.map((tier) => {
    const upTo = tier.upTo === null ? null : BigInt(tier.upTo);
    let inTier = 0n;
    if (pricing === 'VOLUME') {
      if (!placed && units > 0n && (upTo === null || units <= upTo)) {
        inTier = units;
        placed = true;
      }
    } else {
      const top = upTo === null || upTo > units ? units : upTo;
      inTier = top >= from ? top - from + 1n : 0n;
    }
    const slice = { from, upTo, unitPrice: tier.unitPrice, units: inTier };
    if (upTo !== null) from = upTo + 1n;
    return slice;
  });
}

/** The plan of a line, by the "(<plan name>)" its description carries; the longest matching name wins. */
export function planOfLine<P extends { name: string }>(description: string, plans: P[]): P | undefined {
  return [...plans].sort((a, b) => b.name.length - a.name.length).find((plan) => description.includes(`(${plan.name})`));
}
