import { DataSource } from 'typeorm';
import { QuotaGuard } from '../../../api/subscriptions/quota-guard';
import { Plan } from '../../../schema/catalogue/plan.entity';
import { Meter } from '../../../schema/metering/meter.enum';

const SUB = { id: 'sub-1', organizationId: 'org-1' };
const PERIOD = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const NOW = new Date('2026-11-20T00:00:00Z');
const plan = (caps: Array<[Meter, number]>) => ({ name: 'Capped', limits: { requestsPerMinute: null, monthlyCaps: caps.map(([meter, q]) => ({ meter, quantity: String(q) })) } }) as unknown as Plan;
const requests = (n: number) => [{ meter: Meter.REQUESTS, quantity: BigInt(n) }];

function guardWithUsed(used: Record<string, number>) {
  const queries: unknown[][] = [];
  const dataSource = {
    query: async (_sql: string, params: unknown[]) => {
      queries.push(params);
      return Object.entries(used).map(([meter, n]) => ({ meter, used: String(n) }));
    },
  } as unknown as DataSource;
  return { guard: new QuotaGuard(dataSource, 60_000), queries };
}

describe('QuotaGuard (monthly caps, counted in memory)', () => {
  it('seeds a counter once from SQL, then admits up to the cap counting calls in flight', async () => {
    const { guard, queries } = guardWithUsed({ REQUESTS: 8 });
    const capped = plan([[Meter.REQUESTS, 10]]);
    const first = await guard.admit(SUB, capped, PERIOD, requests(1), NOW);
    const second = await guard.admit(SUB, capped, PERIOD, requests(1), NOW);
    await expect(guard.admit(SUB, capped, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', meter: 'REQUESTS', limit: '10' } });
    expect(queries).toHaveLength(1);
    guard.settle(first, []);
    await guard.admit(SUB, capped, PERIOD, requests(1), NOW);
    guard.settle(second, requests(1));
    await expect(guard.admit(SUB, capped, PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED' } });
  });

  it('refuses a meter known only afterwards (COMPUTE_MS) once the cap is reached', async () => {
    const { guard } = guardWithUsed({ COMPUTE_MS: 100 });
    await expect(guard.admit(SUB, plan([[Meter.COMPUTE_MS, 100]]), PERIOD, requests(1), NOW)).rejects.toMatchObject({ extensions: { meter: 'COMPUTE_MS' } });
    const { guard: below } = guardWithUsed({ COMPUTE_MS: 99 });
    await expect(below.admit(SUB, plan([[Meter.COMPUTE_MS, 100]]), PERIOD, requests(1), NOW)).resolves.toBeDefined();
  });

  it('makes no query for plans without caps, and reseeds after forgetSubscription', async () => {
    const { guard, queries } = guardWithUsed({});
    await guard.admit(SUB, plan([]), PERIOD, requests(1), NOW);
    expect(queries).toHaveLength(0);
    await guard.admit(SUB, plan([[Meter.REQUESTS, 5]]), PERIOD, requests(1), NOW);
    guard.forgetSubscription(SUB.id);
    await guard.admit(SUB, plan([[Meter.REQUESTS, 5]]), PERIOD, requests(1), NOW);
    expect(queries).toHaveLength(2);
  });
});
