import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The guard on invoice lines, once per statement instead of once per row: a close writes
 * thousands of lines in one INSERT, and a row trigger's lookup per line cost more than the
 * insert. Same rule (the lines of an invoice that has left DRAFT cannot be inserted, updated or
 * deleted), checked over the statement's transition tables. Replaces invoice_line_guard.
 */
export class InvoiceLineGuardPerStatement1796158049400 implements MigrationInterface {
  name = 'InvoiceLineGuardPerStatement1796158049400';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER invoice_line_guard ON invoice_line`);
    await queryRunner.query(`DROP FUNCTION invoice_line_guard()`);
    await queryRunner.query(`CREATE FUNCTION invoice_line_statement_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  frozen_id uuid;
  frozen_status text;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT i.id, i.status INTO frozen_id, frozen_status FROM invoice i WHERE i.status <> 'DRAFT' AND i.id IN (SELECT invoice_id FROM new_lines) LIMIT 1;
  END IF;
  IF frozen_id IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT i.id, i.status INTO frozen_id, frozen_status FROM invoice i WHERE i.status <> 'DRAFT' AND i.id IN (SELECT invoice_id FROM old_lines) LIMIT 1;
  END IF;
  IF frozen_id IS NOT NULL THEN
    RAISE EXCEPTION 'the lines of invoice % (%) cannot change', frozen_id, frozen_status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$`);
    await queryRunner.query(`CREATE TRIGGER invoice_line_insert_guard AFTER INSERT ON invoice_line REFERENCING NEW TABLE AS new_lines
      FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_statement_guard()`);
    await queryRunner.query(`CREATE TRIGGER invoice_line_update_guard AFTER UPDATE ON invoice_line REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
      FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_statement_guard()`);
    await queryRunner.query(`CREATE TRIGGER invoice_line_delete_guard AFTER DELETE ON invoice_line REFERENCING OLD TABLE AS old_lines
      FOR EACH STATEMENT EXECUTE FUNCTION invoice_line_statement_guard()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER invoice_line_delete_guard ON invoice_line`);
    await queryRunner.query(`DROP TRIGGER invoice_line_update_guard ON invoice_line`);
    await queryRunner.query(`DROP TRIGGER invoice_line_insert_guard ON invoice_line`);
    await queryRunner.query(`DROP FUNCTION invoice_line_statement_guard()`);
    await queryRunner.query(`CREATE FUNCTION invoice_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
  current_status text;
BEGIN
  SELECT status INTO current_status FROM invoice WHERE id = target;
  IF current_status IS NOT NULL AND current_status <> 'DRAFT' THEN
    RAISE EXCEPTION 'the lines of invoice % (%) cannot change', target, current_status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$`);
    await queryRunner.query(`CREATE TRIGGER invoice_line_guard BEFORE INSERT OR UPDATE OR DELETE ON invoice_line FOR EACH ROW EXECUTE FUNCTION invoice_line_guard()`);
  }
}
