import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Invoice lines keep how they were rated: the pricing model of a USAGE line and, for GRADUATED
 * and VOLUME lines, the tiers with each one's share of the amount (written with the line when a
 * draft is written or refreshed, so a finalized invoice shows the tiers it was closed with).
 * Lines written before this have no recorded tiers ([]) and no pricing (NULL); adding the
 * columns rewrites no row, so the guard on finalized lines is not involved.
 */
export class InvoiceLineRatedTiers1796171974122 implements MigrationInterface {
    name = 'InvoiceLineRatedTiers1796171974122'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "invoice_line" ADD "pricing" text`);
        await queryRunner.query(`ALTER TABLE "invoice_line" ADD "rated_tiers" jsonb NOT NULL DEFAULT '[]'`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "invoice_line" DROP COLUMN "rated_tiers"`);
        await queryRunner.query(`ALTER TABLE "invoice_line" DROP COLUMN "pricing"`);
    }

}
