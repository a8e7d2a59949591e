import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795874976077 implements MigrationInterface {
    name = 'InitialSchema1795874976077'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "organization" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "kind" text NOT NULL, "billing_currency" character(3) NOT NULL DEFAULT 'USD', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_472c1f99a32def1b0abb219cd67" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "api_key" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "name" text NOT NULL, "prefix" text NOT NULL, "secret_hash" text NOT NULL, "roles" text array NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_f8bf75c998e043dc6ad022d28a" ON "api_key" ("organization_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_c4f6ccad30c0862eb54af9fb0a" ON "api_key" ("prefix") `);
        await queryRunner.query(`CREATE TABLE "model" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "slug" text NOT NULL, "name" text NOT NULL, "task" text NOT NULL, "description" text NOT NULL DEFAULT '', "tags" text array NOT NULL DEFAULT '{}', "visibility" text NOT NULL DEFAULT 'PUBLIC', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d6df271bba301d5cc79462912a4" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_7debb3b99f60ffb46b98135162" ON "model" ("slug") `);
        await queryRunner.query(`CREATE INDEX "IDX_916a05d3e3bd9764212ec9952a" ON "model" ("organization_id", "created_at") `);
        await queryRunner.query(`CREATE TABLE "stored_file" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "purpose" text NOT NULL, "sha256" character(64) NOT NULL, "bytes" bigint NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e140967af84027b493a3ff04fbb" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_fbe9a0cc28af7be90951945bca" ON "stored_file" ("organization_id") `);
        await queryRunner.query(`CREATE TABLE "model_version" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "model_id" uuid NOT NULL, "version" text NOT NULL, "status" text NOT NULL, "file_id" uuid NOT NULL, "sha256" character(64) NOT NULL, "bytes" bigint NOT NULL, "signature" jsonb NOT NULL, "labels" text array, "preprocessing" jsonb, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE, "deprecated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_1213bca4e8ee7ac1323cc4bf454" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_959afe36ff1a069b7cfbdb65ec" ON "model_version" ("model_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_7f807d533d6ea502d0743896a6" ON "model_version" ("model_id", "version") `);
        await queryRunner.query(`CREATE TABLE "plan" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "model_id" uuid NOT NULL, "name" text NOT NULL, "currency" character(3) NOT NULL, "flat_fee_minor" bigint NOT NULL, "status" text NOT NULL DEFAULT 'ACTIVE', "limits" jsonb NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_54a2b686aed3b637654bf7ddbb3" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_0bf912da8b5af4eed42d450bce" ON "plan" ("model_id") `);
        await queryRunner.query(`CREATE TABLE "plan_charge" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "plan_id" uuid NOT NULL, "meter" text NOT NULL, "pricing" text NOT NULL, "unit_price" numeric, "tiers" jsonb NOT NULL DEFAULT '[]', "package_size" bigint, "free_units" bigint NOT NULL DEFAULT '0', "position" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_1c0aaacb6efcc89905408ba9784" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_113b8ed19fafa05a0f44e246a1" ON "plan_charge" ("plan_id") `);
        await queryRunner.query(`ALTER TABLE "api_key" ADD CONSTRAINT "FK_f8bf75c998e043dc6ad022d28a8" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "model" ADD CONSTRAINT "FK_eeedaa543750f18ffc19844cf21" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "stored_file" ADD CONSTRAINT "FK_fbe9a0cc28af7be90951945bca2" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "model_version" ADD CONSTRAINT "FK_959afe36ff1a069b7cfbdb65ece" FOREIGN KEY ("model_id") REFERENCES "model"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "model_version" ADD CONSTRAINT "FK_bf40a2ad3f582d98336d8f2abbf" FOREIGN KEY ("file_id") REFERENCES "stored_file"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "plan" ADD CONSTRAINT "FK_0bf912da8b5af4eed42d450bce6" FOREIGN KEY ("model_id") REFERENCES "model"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "plan_charge" ADD CONSTRAINT "FK_113b8ed19fafa05a0f44e246a14" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "plan_charge" DROP CONSTRAINT "FK_113b8ed19fafa05a0f44e246a14"`);
        await queryRunner.query(`ALTER TABLE "plan" DROP CONSTRAINT "FK_0bf912da8b5af4eed42d450bce6"`);
        await queryRunner.query(`ALTER TABLE "model_version" DROP CONSTRAINT "FK_bf40a2ad3f582d98336d8f2abbf"`);
        await queryRunner.query(`ALTER TABLE "model_version" DROP CONSTRAINT "FK_959afe36ff1a069b7cfbdb65ece"`);
        await queryRunner.query(`ALTER TABLE "stored_file" DROP CONSTRAINT "FK_fbe9a0cc28af7be90951945bca2"`);
        await queryRunner.query(`ALTER TABLE "model" DROP CONSTRAINT "FK_eeedaa543750f18ffc19844cf21"`);
        await queryRunner.query(`ALTER TABLE "api_key" DROP CONSTRAINT "FK_f8bf75c998e043dc6ad022d28a8"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_113b8ed19fafa05a0f44e246a1"`);
        await queryRunner.query(`DROP TABLE "plan_charge"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_0bf912da8b5af4eed42d450bce"`);
        await queryRunner.query(`DROP TABLE "plan"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7f807d533d6ea502d0743896a6"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_959afe36ff1a069b7cfbdb65ec"`);
        await queryRunner.query(`DROP TABLE "model_version"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_fbe9a0cc28af7be90951945bca"`);
        await queryRunner.query(`DROP TABLE "stored_file"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_916a05d3e3bd9764212ec9952a"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_7debb3b99f60ffb46b98135162"`);
        await queryRunner.query(`DROP TABLE "model"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c4f6ccad30c0862eb54af9fb0a"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_f8bf75c998e043dc6ad022d28a"`);
        await queryRunner.query(`DROP TABLE "api_key"`);
        await queryRunner.query(`DROP TABLE "organization"`);
    }

}
