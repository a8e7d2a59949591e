import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { Reconciliation, ReconciliationService } from './reconciliation.service';

/** Reconciliations of invoices by id: a page of invoices is reconciled in one SQL statement. */
export function createReconciliationByInvoiceIdLoader(dataSource: DataSource) {
  const service = new ReconciliationService();
  return new DataLoader<string, Reconciliation>(async (ids) => {
    const results = await service.reconcile(dataSource.manager, new Date(), [...ids]);
    return ids.map((id) => results.get(id)!);
  });
}
