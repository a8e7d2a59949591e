import { MigrationInterface, QueryRunner } from "typeorm";

export class StripeOutboxWebhookEvents1796158146536 implements MigrationInterface {
    name = 'StripeOutboxWebhookEvents1796158146536'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "stripe_outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" text NOT NULL, "local_id" uuid NOT NULL, "idempotency_key" text NOT NULL, "stripe_id" text, "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_error" text, "done_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_5a7e8a0330ef9965d0e4f204589" UNIQUE ("idempotency_key"), CONSTRAINT "PK_bcce20cb9c5017eed21f1676a65" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_stripe_outbox_due" ON "stripe_outbox" ("next_attempt_at") WHERE "done_at" IS NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_stripe_outbox_kind_local_id" ON "stripe_outbox" ("kind", "local_id") `);
        await queryRunner.query(`CREATE TABLE "stripe_webhook_event" ("id" text NOT NULL, "type" text NOT NULL, "object_id" text, "outcome" text NOT NULL, "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3d6009ae21511f7fe9339560413" PRIMARY KEY ("id"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "stripe_webhook_event"`);
        await queryRunner.query(`DROP INDEX "public"."UQ_stripe_outbox_kind_local_id"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_stripe_outbox_due"`);
        await queryRunner.query(`DROP TABLE "stripe_outbox"`);
    }

}
