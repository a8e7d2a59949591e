/**
 * Turns the engine's per-request compute share (fractional ms) into whole COMPUTE_MS units.
 * NOTE: each subscription carries its fraction over to its next call, so many small shares
 * add up instead of rounding away (or each rounding up to 1 ms): billed = floor(sum of shares).
 * The carry lives in memory; at most 1 ms per subscription and replica is lost at a restart.
 */
export class ComputeMeter {
  private readonly carry = new Map<string, number>();

  /** Whole milliseconds to bill for this call's share. */
  bill(subscriptionId: string, computeMs: number): bigint {
    const share = Number.isFinite(computeMs) && computeMs > 0 ? computeMs : 0;
    const total = (this.carry.get(subscriptionId) ?? 0) + share;
    const whole = Math.floor(total);
    this.carry.set(subscriptionId, total - whole);
    return BigInt(whole);
  }
}
