import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Platform-wide usage over a time window (ADMIN, billing runs) read every event: neither
 * (organization_id, occurred_at) nor (model_id, occurred_at) leads with time. Events arrive in
 * time order, so a BRIN index on occurred_at finds a window's pages at almost no insert cost.
 * autosummarize: autovacuum summarises each filled page range (until then a range is always read).
 * Written by hand: TypeORM cannot describe BRIN indexes (the entity marks it synchronize: false).
 */
export class UsageEventTimeBrin1795886000000 implements MigrationInterface {
    name = 'UsageEventTimeBrin1795886000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "usage_event_occurred_at_brin" ON "usage_event" USING brin ("occurred_at") WITH (autosummarize = on)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "usage_event_occurred_at_brin"`);
    }
}
