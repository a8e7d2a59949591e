import { mayOpen, pageIdOfHash, PAGES, pagesFor } from '../../../console/src/pages';
import { ApiUsageBucket, bucketLabel, bucketStarts, customWindow, presetWindow, seriesOf } from '../../../console/src/usage-range';

const NOW = new Date('2026-12-01T21:37:12Z');

describe('console usage ranges (UTC) and series', () => {
  it('presets end with the current UTC hour or day', () => {
    expect(presetWindow('24h', NOW)).toEqual({ from: new Date('2026-11-30T22:00:00Z'), to: new Date('2026-12-01T22:00:00Z'), bucket: 'HOUR' });
    expect(presetWindow('7d', NOW)).toEqual({ from: new Date('2026-11-25T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z'), bucket: 'DAY' });
    expect(bucketStarts(presetWindow('30d', NOW))).toHaveLength(30);
    expect(bucketStarts(presetWindow('24h', NOW))).toHaveLength(24);
  });

  it('a custom range includes both days, and bad ranges get a message naming the problem', () => {
    expect(customWindow('2026-11-01', '2026-11-30', 'DAY')).toEqual({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z'), bucket: 'DAY' });
    expect(customWindow('2026-11-31x', '2026-11-30', 'DAY')).toEqual({ error: '"From" is not a date (YYYY-MM-DD): "2026-11-31x"' });
    expect(customWindow('2026-11-01', '', 'DAY')).toEqual({ error: '"To" is not a date (YYYY-MM-DD): ""' });
    expect(customWindow('2026-11-02', '2026-11-01', 'DAY')).toEqual({ error: '"From" must be on or before "To"' });
    expect(customWindow('2026-01-01', '2026-03-01', 'HOUR')).toEqual({ error: 'Hourly usage covers at most 31 days; this range has 60' });
    expect(customWindow('2026-01-01', '2026-01-31', 'HOUR')).not.toHaveProperty('error');
    expect(customWindow('2025-01-01', '2026-03-01', 'DAY')).toEqual({ error: 'Daily usage covers at most 366 days; this range has 425' });
  });

  it('lays buckets of one meter out per model on every bucket start, summing in BigInt', () => {
    const window = presetWindow('24h', NOW);
    const model = (slug: string) => ({ id: slug, slug, name: slug });
    const buckets: ApiUsageBucket[] = [
      { start: '2026-12-01T21:00:00.000Z', meter: 'REQUESTS', quantity: '3', model: model('b') },
      { start: '2026-12-01T20:00:00.000Z', meter: 'REQUESTS', quantity: '9007199254740993', model: model('a') },
      { start: '2026-12-01T21:00:00.000Z', meter: 'INPUT_TOKENS', quantity: '40', model: model('b') },
      { start: '2026-11-01T00:00:00.000Z', meter: 'REQUESTS', quantity: '7', model: model('a') },
    ];
    const series = seriesOf(buckets, 'REQUESTS', window);
    expect(series.starts).toHaveLength(24);
    expect(series.series.map((s) => s.label)).toEqual(['a', 'b']);
    expect(series.series[0].quantities[22]).toBe(9007199254740993n);
    expect(series.series[1].quantities[23]).toBe(3n);
    expect(series.totals.filter((q) => q > 0n)).toEqual([9007199254740993n, 3n]);
    expect(series.total).toBe(9007199254740996n);
    expect(seriesOf(buckets, 'COMPUTE_MS', window).series).toEqual([]);
    expect(bucketLabel(series.starts[23], 'HOUR')).toBe('2026-12-01 21:00');
    expect(bucketLabel(series.starts[23], 'DAY')).toBe('2026-12-01');
  });
});

describe('console pages by role', () => {
  it('shows each role its pages; ADMIN all of them', () => {
    const ids = (roles: Parameters<typeof pagesFor>[0]) => pagesFor(roles).map((p) => p.id);
    expect(ids(['PARTNER'])).toEqual(['subscriptions', 'usage', 'fine-tuning']);
    expect(ids(['VENDOR', 'FINANCE'])).toEqual(['usage', 'models', 'revenue', 'invoices']);
    expect(ids(['FINANCE'])).toEqual(['usage', 'invoices']);
    expect(ids(['ADMIN'])).toEqual(PAGES.map((p) => p.id));
    expect(mayOpen(PAGES.find((p) => p.id === 'models')!, ['PARTNER'])).toBe(false);
  });

  it('reads the page from the location hash', () => {
    expect(pageIdOfHash('#/usage')).toBe('usage');
    expect(pageIdOfHash('#/invoices/abc')).toBe('invoices');
    expect(pageIdOfHash('#/fine-tuning/gid%3A%2F%2Fmarketplace%2FFineTuneJob%2Fx')).toBe('fine-tuning');
    expect(pageIdOfHash('')).toBeNull();
    expect(pageIdOfHash('#/')).toBeNull();
  });
});
