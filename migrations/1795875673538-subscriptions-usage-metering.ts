import { MigrationInterface, QueryRunner } from "typeorm";

export class SubscriptionsUsageMetering1795875673538 implements MigrationInterface {
    name = 'SubscriptionsUsageMetering1795875673538'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "stored_response" ("organization_id" uuid NOT NULL, "idempotency_key" text NOT NULL, "request_hash" text NOT NULL, "response" jsonb NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_516d37632302aa4ec78d293c1ab" PRIMARY KEY ("organization_id", "idempotency_key"))`);
        await queryRunner.query(`CREATE INDEX "IDX_8dc677bb456dc84d0c5ad52c42" ON "stored_response" ("created_at") `);
        await queryRunner.query(`CREATE TABLE "usage_event" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "subscription_id" uuid, "api_key_id" uuid, "model_id" uuid NOT NULL, "model_version_id" uuid, "meter" text NOT NULL, "quantity" bigint NOT NULL, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "idempotency_key" text NOT NULL, "canceled_at" TIMESTAMP(3) WITH TIME ZONE, "cancel_reason" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_17f34785331f69785e708741340" PRIMARY KEY ("organization_id", "meter", "idempotency_key"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_797d3f1dfd307095af5e4fd845" ON "usage_event" ("id") `);
        await queryRunner.query(`CREATE INDEX "IDX_71c8881d527b6a6ca6a042ab49" ON "usage_event" ("model_id", "occurred_at") `);
        await queryRunner.query(`CREATE INDEX "IDX_c65f246e307d0c97634f962a56" ON "usage_event" ("organization_id", "occurred_at") `);
        await queryRunner.query(`CREATE TABLE "subscription" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "model_id" uuid NOT NULL, "status" text NOT NULL, "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "cancel_at_period_end" boolean NOT NULL DEFAULT false, "canceled_at" TIMESTAMP(3) WITH TIME ZONE, "ends_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8c3e00ebd02103caa1174cd5d9d" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_5fde988e5d9b9a522d70ebec27" ON "subscription" ("plan_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_4c995db8d01921290d2ad249e1" ON "subscription" ("model_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_801cfbab3cb74da1636eb16c9e" ON "subscription" ("organization_id", "created_at") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_subscription_live_per_model" ON "subscription" ("organization_id", "model_id") WHERE "status" <> 'CANCELED'`);
        await queryRunner.query(`ALTER TABLE "subscription" ADD CONSTRAINT "FK_021014ae94ebac72c1c3d22229d" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "subscription" ADD CONSTRAINT "FK_5fde988e5d9b9a522d70ebec27c" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "subscription" ADD CONSTRAINT "FK_4c995db8d01921290d2ad249e1b" FOREIGN KEY ("model_id") REFERENCES "model"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "subscription" DROP CONSTRAINT "FK_4c995db8d01921290d2ad249e1b"`);
        await queryRunner.query(`ALTER TABLE "subscription" DROP CONSTRAINT "FK_5fde988e5d9b9a522d70ebec27c"`);
        await queryRunner.query(`ALTER TABLE "subscription" DROP CONSTRAINT "FK_021014ae94ebac72c1c3d22229d"`);
        await queryRunner.query(`DROP INDEX "public"."UQ_subscription_live_per_model"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_801cfbab3cb74da1636eb16c9e"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_4c995db8d01921290d2ad249e1"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_5fde988e5d9b9a522d70ebec27"`);
        await queryRunner.query(`DROP TABLE "subscription"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c65f246e307d0c97634f962a56"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_71c8881d527b6a6ca6a042ab49"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_797d3f1dfd307095af5e4fd845"`);
        await queryRunner.query(`DROP TABLE "usage_event"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_8dc677bb456dc84d0c5ad52c42"`);
        await queryRunner.query(`DROP TABLE "stored_response"`);
    }

}
