import { registerEnumType } from 'type-graphql';

/**
 * Life of an invoice: DRAFT -> FINALIZED -> PAID | PAYMENT_FAILED | VOID (PAYMENT_FAILED -> PAID | VOID).
 * A DRAFT is refreshed from the events during its grace period; from FINALIZED on, the database
 * refuses any change to its amounts and lines (trigger), only the status moves on.
 */
export enum InvoiceStatus {
  DRAFT = 'DRAFT',
  FINALIZED = 'FINALIZED',
  PAID = 'PAID',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  VOID = 'VOID',
}
registerEnumType(InvoiceStatus, {
  name: 'InvoiceStatus',
  description: 'DRAFT (refreshed during the grace period) -> FINALIZED (numbered, immutable) -> PAID | PAYMENT_FAILED | VOID (a credit note).',
});

/** What an invoice line bills. */
export enum InvoiceLineKind {
  FLAT_FEE = 'FLAT_FEE',
  USAGE = 'USAGE',
}
registerEnumType(InvoiceLineKind, { name: 'InvoiceLineKind', description: 'FLAT_FEE: a plan\'s monthly fee (prorated by the second); USAGE: one meter of one subscription under one plan.' });
