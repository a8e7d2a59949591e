import { MigrationInterface, QueryRunner } from "typeorm";

export class FineTuning1796159395500 implements MigrationInterface {
    name = 'FineTuning1796159395500'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "dataset" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "file_id" uuid NOT NULL, "validation_file_id" uuid, "format" text NOT NULL, "row_count" integer NOT NULL, "duplicate_rows" integer NOT NULL, "rows_over_text_limit" integer NOT NULL, "text_limit_tokens" integer NOT NULL, "train_rows" integer NOT NULL, "validation_rows" integer NOT NULL, "split_seed" integer NOT NULL, "labels" jsonb NOT NULL, "rows" jsonb NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_36c1c67adb3d1dd69ae57f18913" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_a63c1ae9d5a818d92bc536b4e2" ON "dataset" ("organization_id", "created_at") `);
        await queryRunner.query(`CREATE TABLE "fine_tune_checkpoint" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "job_id" uuid NOT NULL, "epoch" integer NOT NULL, "step" integer NOT NULL, "metrics" jsonb NOT NULL, "state" bytea NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8f7e84924fc9f5c48eae179dd92" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_89696a5e66ea25211d73ffe02b" ON "fine_tune_checkpoint" ("job_id", "epoch") `);
        await queryRunner.query(`CREATE TABLE "fine_tune_event" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "job_id" uuid NOT NULL, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "level" text NOT NULL, "type" text NOT NULL, "message" text NOT NULL, "metrics" jsonb, CONSTRAINT "PK_a9501952fa207afdae8fec2cba3" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_21c94e8cdca2a1c87882a817bb" ON "fine_tune_event" ("job_id", "at") `);
        await queryRunner.query(`CREATE TABLE "fine_tune_job" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "base_model_id" uuid NOT NULL, "base_version_id" uuid NOT NULL, "dataset_id" uuid NOT NULL, "subscription_id" uuid NOT NULL, "api_key_id" uuid, "status" text NOT NULL, "hyperparameters" jsonb NOT NULL, "suffix" text, "trained_steps" integer NOT NULL DEFAULT '0', "total_steps" integer NOT NULL DEFAULT '0', "baseline" jsonb, "error" jsonb, "result_model_id" uuid, "result_version_id" uuid, "cancel_requested_at" TIMESTAMP(3) WITH TIME ZONE, "lease_owner" text, "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "started_at" TIMESTAMP(3) WITH TIME ZONE, "finished_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_118c21faddf92fa54853696c935" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_edc4871663567643a3e95d02a3" ON "fine_tune_job" ("status", "created_at") `);
        await queryRunner.query(`CREATE INDEX "IDX_3254aa914644961e1f94d73cd0" ON "fine_tune_job" ("organization_id", "created_at") `);
        await queryRunner.query(`ALTER TABLE "model" ADD "base_model_id" uuid`);
        await queryRunner.query(`ALTER TABLE "dataset" ADD CONSTRAINT "FK_582e4510da4c855eeda043907b5" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "dataset" ADD CONSTRAINT "FK_5604c189ac25878420cac6c01d6" FOREIGN KEY ("file_id") REFERENCES "stored_file"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "dataset" ADD CONSTRAINT "FK_3f6db4ff90b3fa4f4fb438cb201" FOREIGN KEY ("validation_file_id") REFERENCES "stored_file"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "fine_tune_job" ADD CONSTRAINT "FK_c0f5bf672ee120c7132741114a3" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "fine_tune_job" ADD CONSTRAINT "FK_51b57f74215cdf21adaf7dd56ca" FOREIGN KEY ("base_model_id") REFERENCES "model"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "fine_tune_job" ADD CONSTRAINT "FK_e774de26a3364f1c237e6ec9452" FOREIGN KEY ("dataset_id") REFERENCES "dataset"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "fine_tune_job" DROP CONSTRAINT "FK_e774de26a3364f1c237e6ec9452"`);
        await queryRunner.query(`ALTER TABLE "fine_tune_job" DROP CONSTRAINT "FK_51b57f74215cdf21adaf7dd56ca"`);
        await queryRunner.query(`ALTER TABLE "fine_tune_job" DROP CONSTRAINT "FK_c0f5bf672ee120c7132741114a3"`);
        await queryRunner.query(`ALTER TABLE "dataset" DROP CONSTRAINT "FK_3f6db4ff90b3fa4f4fb438cb201"`);
        await queryRunner.query(`ALTER TABLE "dataset" DROP CONSTRAINT "FK_5604c189ac25878420cac6c01d6"`);
        await queryRunner.query(`ALTER TABLE "dataset" DROP CONSTRAINT "FK_582e4510da4c855eeda043907b5"`);
        await queryRunner.query(`ALTER TABLE "model" DROP COLUMN "base_model_id"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_3254aa914644961e1f94d73cd0"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_edc4871663567643a3e95d02a3"`);
        await queryRunner.query(`DROP TABLE "fine_tune_job"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_21c94e8cdca2a1c87882a817bb"`);
        await queryRunner.query(`DROP TABLE "fine_tune_event"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_89696a5e66ea25211d73ffe02b"`);
        await queryRunner.query(`DROP TABLE "fine_tune_checkpoint"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_a63c1ae9d5a818d92bc536b4e2"`);
        await queryRunner.query(`DROP TABLE "dataset"`);
    }

}
