import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finalized invoices cannot change, enforced by the database whoever writes: once an invoice has
 * left DRAFT only its status (FINALIZED -> PAID | PAYMENT_FAILED | VOID, PAYMENT_FAILED -> PAID |
 * VOID), paid_at, voided_at, stripe_invoice_id and updated_at may change; it cannot be deleted;
 * its lines cannot be inserted, updated or deleted; credit notes are never changed or deleted.
 * Hand-written (TypeORM does not generate triggers).
 */
export class InvoiceImmutability1796158049300 implements MigrationInterface {
  name = 'InvoiceImmutability1796158049300';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION invoice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'DRAFT' THEN
      RAISE EXCEPTION 'invoice % is % and cannot be deleted', OLD.id, OLD.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'DRAFT' THEN
    IF NEW.status NOT IN ('DRAFT', 'FINALIZED') THEN
      RAISE EXCEPTION 'invoice % is DRAFT and can only be finalized, not made %', OLD.id, NEW.status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.organization_id, NEW.currency, NEW.period_start, NEW.period_end, NEW.number, NEW.sequence, NEW.subtotal_minor,
      NEW.total_minor, NEW.grace_until, NEW.refreshed_at, NEW.finalized_at)
     IS DISTINCT FROM (OLD.organization_id, OLD.currency, OLD.period_start, OLD.period_end, OLD.number, OLD.sequence,
      OLD.subtotal_minor, OLD.total_minor, OLD.grace_until, OLD.refreshed_at, OLD.finalized_at) THEN
    RAISE EXCEPTION 'invoice % is % and cannot change (only its status may move on)', OLD.id, OLD.status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
       (OLD.status = 'FINALIZED' AND NEW.status IN ('PAID', 'PAYMENT_FAILED', 'VOID'))
    OR (OLD.status = 'PAYMENT_FAILED' AND NEW.status IN ('PAID', 'VOID'))) THEN
    RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$`);
    await queryRunner.query(`CREATE TRIGGER invoice_guard BEFORE UPDATE OR DELETE ON invoice FOR EACH ROW EXECUTE FUNCTION invoice_guard()`);
    await queryRunner.query(`CREATE FUNCTION invoice_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
  current_status text;
BEGIN
  SELECT status INTO current_status FROM invoice WHERE id = target;
  IF current_status IS NOT NULL AND current_status <> 'DRAFT' THEN
    RAISE EXCEPTION 'the lines of invoice % (%) cannot change', target, current_status USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.invoice_id <> NEW.invoice_id THEN
    SELECT status INTO current_status FROM invoice WHERE id = OLD.invoice_id;
    IF current_status <> 'DRAFT' THEN
      RAISE EXCEPTION 'the lines of invoice % (%) cannot change', OLD.invoice_id, current_status USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$`);
    await queryRunner.query(`CREATE TRIGGER invoice_line_guard BEFORE INSERT OR UPDATE OR DELETE ON invoice_line FOR EACH ROW EXECUTE FUNCTION invoice_line_guard()`);
    await queryRunner.query(`CREATE FUNCTION credit_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit note % cannot change or be deleted', OLD.number USING ERRCODE = 'integrity_constraint_violation';
END $$`);
    await queryRunner.query(`CREATE TRIGGER credit_note_guard BEFORE UPDATE OR DELETE ON credit_note FOR EACH ROW EXECUTE FUNCTION credit_note_guard()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER credit_note_guard ON credit_note`);
    await queryRunner.query(`DROP FUNCTION credit_note_guard()`);
    await queryRunner.query(`DROP TRIGGER invoice_line_guard ON invoice_line`);
    await queryRunner.query(`DROP FUNCTION invoice_line_guard()`);
    await queryRunner.query(`DROP TRIGGER invoice_guard ON invoice`);
    await queryRunner.query(`DROP FUNCTION invoice_guard()`);
  }
}
