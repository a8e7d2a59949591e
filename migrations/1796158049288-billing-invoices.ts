import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Billing: invoices (one per organisation, period and currency), their lines, credit notes, the
 * per-organisation invoice sequence and grace period (billing_account), and plan history of
 * subscriptions (subscription_plan_period).
 */
export class BillingInvoices1796158049288 implements MigrationInterface {
    name = 'BillingInvoices1796158049288'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "billing_account" ("organization_id" uuid NOT NULL, "number_prefix" text NOT NULL, "last_invoice_sequence" integer NOT NULL DEFAULT '0', "grace_period_seconds" integer, CONSTRAINT "PK_1251df1c4cc21511537566f4b98" PRIMARY KEY ("organization_id"))`);
        await queryRunner.query(`CREATE TABLE "invoice" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "currency" character(3) NOT NULL, "period_start" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "status" text NOT NULL, "number" text, "sequence" integer, "subtotal_minor" bigint NOT NULL, "total_minor" bigint NOT NULL, "grace_until" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "refreshed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "finalized_at" TIMESTAMP(3) WITH TIME ZONE, "paid_at" TIMESTAMP(3) WITH TIME ZONE, "voided_at" TIMESTAMP(3) WITH TIME ZONE, "stripe_invoice_id" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_15d25c200d9bcd8a33f698daf18" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_60284980bc8b9c624459948f4a" ON "invoice" ("number") `);
        await queryRunner.query(`CREATE INDEX "IDX_9d03f6334e6dcf453f666b91c9" ON "invoice" ("period_start", "status") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_invoice_org_period_currency" ON "invoice" ("organization_id", "period_start", "currency") `);
        await queryRunner.query(`CREATE TABLE "credit_note" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "invoice_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "number" text NOT NULL, "amount_minor" bigint NOT NULL, "currency" character(3) NOT NULL, "reason" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1f08d9f374b8db39fd4c8e789df" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_5600d59a3ab7fadc41078250d3" ON "credit_note" ("invoice_id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_35658bfb675c9321a4e20fa437" ON "credit_note" ("number") `);
        await queryRunner.query(`CREATE TABLE "invoice_line" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "invoice_id" uuid NOT NULL, "kind" text NOT NULL, "description" text NOT NULL, "subscription_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "model_id" uuid NOT NULL, "meter" text, "quantity" bigint NOT NULL, "billable_units" bigint NOT NULL, "unit_price" text, "amount_minor" bigint NOT NULL, "service_period_start" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "service_period_end" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "position" integer NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_112d67e85951a56ee5123e9c803" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_a8a0b2a45f300b167ae3e7b7eb" ON "invoice_line" ("invoice_id", "position") `);
        await queryRunner.query(`CREATE TABLE "subscription_plan_period" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subscription_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "starts_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "ends_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9935db57f5e0180ec5df49146b7" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_cf7ad7b4ee315a06fdcfe8f7be" ON "subscription_plan_period" ("subscription_id", "starts_at") `);
        await queryRunner.query(`ALTER TABLE "billing_account" ADD CONSTRAINT "FK_1251df1c4cc21511537566f4b98" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "invoice" ADD CONSTRAINT "FK_ecae1cafdc243779e75d31afd91" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "credit_note" ADD CONSTRAINT "FK_5600d59a3ab7fadc41078250d30" FOREIGN KEY ("invoice_id") REFERENCES "invoice"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "invoice_line" ADD CONSTRAINT "FK_36e6eecdb00b171d90ff63f2d20" FOREIGN KEY ("invoice_id") REFERENCES "invoice"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "subscription_plan_period" ADD CONSTRAINT "FK_3e25f84b9455db01c807ef426b5" FOREIGN KEY ("subscription_id") REFERENCES "subscription"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "subscription_plan_period" ADD CONSTRAINT "FK_ebfb4bb0b473328d190cae7e1fa" FOREIGN KEY ("plan_id") REFERENCES "plan"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "subscription_plan_period" DROP CONSTRAINT "FK_ebfb4bb0b473328d190cae7e1fa"`);
        await queryRunner.query(`ALTER TABLE "subscription_plan_period" DROP CONSTRAINT "FK_3e25f84b9455db01c807ef426b5"`);
        await queryRunner.query(`ALTER TABLE "invoice_line" DROP CONSTRAINT "FK_36e6eecdb00b171d90ff63f2d20"`);
        await queryRunner.query(`ALTER TABLE "credit_note" DROP CONSTRAINT "FK_5600d59a3ab7fadc41078250d30"`);
        await queryRunner.query(`ALTER TABLE "invoice" DROP CONSTRAINT "FK_ecae1cafdc243779e75d31afd91"`);
        await queryRunner.query(`ALTER TABLE "billing_account" DROP CONSTRAINT "FK_1251df1c4cc21511537566f4b98"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_cf7ad7b4ee315a06fdcfe8f7be"`);
        await queryRunner.query(`DROP TABLE "subscription_plan_period"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_a8a0b2a45f300b167ae3e7b7eb"`);
        await queryRunner.query(`DROP TABLE "invoice_line"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_35658bfb675c9321a4e20fa437"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_5600d59a3ab7fadc41078250d3"`);
        await queryRunner.query(`DROP TABLE "credit_note"`);
        await queryRunner.query(`DROP INDEX "public"."UQ_invoice_org_period_currency"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_9d03f6334e6dcf453f666b91c9"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_60284980bc8b9c624459948f4a"`);
        await queryRunner.query(`DROP TABLE "invoice"`);
        await queryRunner.query(`DROP TABLE "billing_account"`);
    }

}
