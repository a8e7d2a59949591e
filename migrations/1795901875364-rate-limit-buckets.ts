import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Requests-per-minute buckets shared by the API replicas (RateLimitBucket): one row per
 * subscription that has been rate limited, dropped with its subscription.
 */
export class RateLimitBuckets1795901875364 implements MigrationInterface {
    name = 'RateLimitBuckets1795901875364'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "rate_limit_bucket" ("subscription_id" uuid NOT NULL, "requests_per_minute" integer NOT NULL, "tokens" double precision NOT NULL, "refilled_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3cc8ea82414392a5dc14c977741" PRIMARY KEY ("subscription_id"))`);
        await queryRunner.query(`ALTER TABLE "rate_limit_bucket" ADD CONSTRAINT "FK_3cc8ea82414392a5dc14c977741" FOREIGN KEY ("subscription_id") REFERENCES "subscription"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "rate_limit_bucket" DROP CONSTRAINT "FK_3cc8ea82414392a5dc14c977741"`);
        await queryRunner.query(`DROP TABLE "rate_limit_bucket"`);
    }

}
