import { formatCount } from '../money';

export interface QuotaUsage {
  meter: string;
  limit: string | null;
  used: string;
  remaining: string | null;
  resetsAt: string;
}

/** Thousandths of `limit` that `used` is, capped at 1000 (BigInt arithmetic; limit 0 counts as full). */
export function usedPermille(used: string, limit: string): number {
  const cap = BigInt(limit);
  if (cap <= 0n) return 1000;
  const permille = (BigInt(used) * 1000n) / cap;
  return Number(permille > 1000n ? 1000n : permille);
}

/** One meter's use this period: a bar against the monthly cap (or the count alone when uncapped). */
export function QuotaBar({ quota }: { quota: QuotaUsage }) {
  const resets = new Date(quota.resetsAt).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const label = `${quota.meter} quota`;
  if (quota.limit === null) {
    return (
      <div class="quota" data-meter={quota.meter}>
        <div class="quota-head"><span class="quota-meter">{quota.meter}</span> <span>{formatCount(quota.used)} used, no cap</span></div>
        <div class="quota-foot">Count resets at {resets}</div>
      </div>
    );
  }
  const permille = usedPermille(quota.used, quota.limit);
  const percent = `${Math.floor(permille / 10)}.${permille % 10}%`;
  return (
    <div class="quota" data-meter={quota.meter}>
      <div class="quota-head">
        <span class="quota-meter" id={`quota-${quota.meter}`}>{quota.meter}</span>{' '}
        <span>{formatCount(quota.used)} of {formatCount(quota.limit)} used ({percent})</span>
      </div>
      <div class={`quota-track${permille >= 900 ? ' quota-high' : ''}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={1000}
        aria-valuenow={permille} aria-valuetext={`${formatCount(quota.used)} of ${formatCount(quota.limit)} used, ${formatCount(quota.remaining ?? '0')} remaining`}>
        <div class="quota-fill" style={{ width: `${permille / 10}%` }} />
      </div>
      <div class="quota-foot">{formatCount(quota.remaining ?? '0')} remaining · resets at {resets}</div>
    </div>
  );
}
