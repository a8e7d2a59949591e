import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A job's row per epoch keeps its figures; the training state only at checkpoints (at most
 * once per FINE_TUNE_CHECKPOINT_EVERY_MS and at each stage's last epoch), so `state` may be null.
 */
export class EpochRowsBetweenCheckpoints1796210000000 implements MigrationInterface {
    name = 'EpochRowsBetweenCheckpoints1796210000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "fine_tune_checkpoint" ALTER COLUMN "state" DROP NOT NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // NOTE: the epochs between checkpoints have no state to keep: their figures go with them
        await queryRunner.query(`DELETE FROM "fine_tune_checkpoint" WHERE "state" IS NULL`);
        await queryRunner.query(`ALTER TABLE "fine_tune_checkpoint" ALTER COLUMN "state" SET NOT NULL`);
    }
}
