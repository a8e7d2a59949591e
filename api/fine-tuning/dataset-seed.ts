import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { FilePurpose } from '../../schema/catalogue/catalogue.enums';
import { StoredFile } from '../../schema/catalogue/stored-file.entity';
import { toGlobalId } from '../../schema/common/global-id';
import { Dataset, DatasetRow } from '../../schema/fine-tuning/dataset.entity';
import { DatasetFormat } from '../../schema/fine-tuning/fine-tuning.enums';
import type { RequestContext } from '../context';
import { Result, success } from '../common/result';
import type { FileStore } from '../catalogue/file-store.service';
import type { DatasetService } from './dataset.service';

/**
 * Saves rows as a JSONL dataset file of the context's organisation and creates a dataset from
 * it, as a partner's upload would (for the demo seed: a ready-to-use dataset of Contoso).
 * Idempotent: when the organisation has a dataset of these very bytes already, returns it.
 * The userErrors of createDataset when the rows do not make a dataset under the server's
 * limits (e.g. FINE_TUNE_MAX_DATASET_ROWS below their count).
 */
export async function seedDatasetFromRows(ctx: RequestContext, deps: { files: FileStore; datasets: DatasetService }, rows: DatasetRow[]): Promise<Result<Dataset>> {
  const jsonl = Buffer.from(rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
  const organizationId = ctx.principal!.organizationId;
  const sha256 = createHash('sha256').update(jsonl).digest('hex');
  const existing = await ctx.db.getRepository(Dataset).createQueryBuilder('d')
    .innerJoin(StoredFile, 'f', 'f.id = d.fileId')
    .where('d.organizationId = :organizationId AND f.sha256 = :sha256', { organizationId, sha256 })
    .orderBy('d.createdAt').getOne();
  if (existing) return success(existing);
  const file = await deps.files.save(Readable.from(jsonl), organizationId, FilePurpose.DATASET);
  return deps.datasets.create(ctx, { fileId: toGlobalId('File', file.id), format: DatasetFormat.JSONL });
}
