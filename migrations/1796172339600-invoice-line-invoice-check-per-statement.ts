import { MigrationInterface, QueryRunner } from "typeorm";

const FK = 'FK_36e6eecdb00b171d90ff63f2d20';

/**
 * invoice_line -> invoice checked once per statement instead of once per line: a close writes
 * thousands of lines in one INSERT, and the foreign key's check per row (an index probe and a row
 * lock each) cost a third of it. The same rules, in the database: the line guard (once per
 * statement, over the transition table) now also locks the lines' invoices FOR KEY SHARE, as the
 * foreign key did (a concurrent delete waits), and refuses a line whose invoice does not exist;
 * deleting invoices deletes their lines (was ON DELETE CASCADE), once per statement; an invoice
 * with lines cannot change its id (was ON UPDATE NO ACTION).
 */
export class InvoiceLineInvoiceCheckPerStatement1796172339600 implements MigrationInterface {
    name = 'InvoiceLineInvoiceCheckPerStatement1796172339600'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "invoice_line" DROP CONSTRAINT "${FK}"`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION invoice_line_statement_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  frozen_id uuid;
  frozen_status text;
  named integer;
  found integer;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT count(*) INTO named FROM (SELECT DISTINCT invoice_id FROM new_lines) n;
    SELECT count(*) INTO found FROM (SELECT i.id FROM invoice i WHERE i.id IN (SELECT invoice_id FROM new_lines) FOR KEY SHARE) locked;
    IF found < named THEN
      SELECT n.invoice_id INTO frozen_id FROM new_lines n WHERE NOT EXISTS (SELECT 1 FROM invoice i WHERE i.id = n.invoice_id) LIMIT 1;
      RAISE EXCEPTION 'invoice line refers to invoice %, which does not exist', frozen_id USING ERRCODE = 'foreign_key_violation';
    END IF;
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
        await queryRunner.query(`CREATE FUNCTION invoice_delete_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM invoice_line WHERE invoice_id IN (SELECT id FROM old_invoices);
  RETURN NULL;
END $$`);
        await queryRunner.query(`CREATE TRIGGER invoice_delete_lines AFTER DELETE ON invoice REFERENCING OLD TABLE AS old_invoices FOR EACH STATEMENT EXECUTE FUNCTION invoice_delete_lines()`);
        await queryRunner.query(`CREATE FUNCTION invoice_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id AND EXISTS (SELECT 1 FROM invoice_line WHERE invoice_id = OLD.id) THEN
    RAISE EXCEPTION 'invoice % has lines and cannot change its id', OLD.id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END $$`);
        await queryRunner.query(`CREATE TRIGGER invoice_keep_id BEFORE UPDATE OF id ON invoice FOR EACH ROW EXECUTE FUNCTION invoice_keep_id()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER invoice_keep_id ON invoice`);
        await queryRunner.query(`DROP FUNCTION invoice_keep_id()`);
        await queryRunner.query(`DROP TRIGGER invoice_delete_lines ON invoice`);
        await queryRunner.query(`DROP FUNCTION invoice_delete_lines()`);
        await queryRunner.query(`CREATE OR REPLACE FUNCTION invoice_line_statement_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
        await queryRunner.query(`ALTER TABLE "invoice_line" ADD CONSTRAINT "${FK}" FOREIGN KEY ("invoice_id") REFERENCES "invoice"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
}
