import { PERIOD_END_CRON, PERIOD_END_QUEUE } from '../../api/billing/billing-jobs';
import { startReplica, startTestServer, TestServer } from '../support/test-server';

// The billing period-end job is part of start-up, beside the Stripe and fine-tune workers: once
// the server has started it is scheduled, and a registration that fails fails the start (named
// by start-up progress) instead of being logged behind a server that says it is ready.

describe('billing period-end job at start-up', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ seed: false, env: { BILLING_JOBS: 'true' } });
  }, 120_000);
  afterAll(async () => t?.stop());

  it('is scheduled when the server has started, as a start-up step of its own', async () => {
    const rows = await t.server.dataSource.query(`SELECT name, cron FROM pgboss.schedule WHERE name = $1`, [PERIOD_END_QUEUE]);
    expect(rows).toEqual([{ name: PERIOD_END_QUEUE, cron: PERIOD_END_CRON }]);
    expect(t.server.startup.pendingSteps()).toEqual([]);
  });

  const onPostgres = process.env.TEST_DATABASE_URL ? it : it.skip;
  onPostgres('fails the start of a replica whose registration fails, naming the step', async () => {
    await t.server.dataSource.query(`CREATE FUNCTION test_refuse_billing_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = '${PERIOD_END_QUEUE}' THEN RAISE EXCEPTION 'billing schedule refused by the test'; END IF; RETURN NEW; END $$`);
    await t.server.dataSource.query(`CREATE TRIGGER test_refuse_billing_schedule BEFORE INSERT OR UPDATE ON pgboss.schedule FOR EACH ROW EXECUTE FUNCTION test_refuse_billing_schedule()`);
    try {
      await expect(startReplica(t, { env: { BILLING_JOBS: 'true' } })).rejects.toThrow(/billing schedule refused by the test/);
    } finally {
      await t.server.dataSource.query(`DROP TRIGGER test_refuse_billing_schedule ON pgboss.schedule`);
      await t.server.dataSource.query(`DROP FUNCTION test_refuse_billing_schedule()`);
    }
  });
});
