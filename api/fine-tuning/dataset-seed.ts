import { Readable } from 'node:stream';
import { FilePurpose } from '../../schema/catalogue/catalogue.enums';
import { toGlobalId } from '../../schema/common/global-id';
import type { Dataset, DatasetRow } from '../../schema/fine-tuning/dataset.entity';
import { DatasetFormat } from '../../schema/fine-tuning/fine-tuning.enums';
import type { RequestContext } from '../context';
import type { FileStore } from '../catalogue/file-store.service';
import type { DatasetService } from './dataset.service';

/**
 * Saves rows as a JSONL dataset file of the context's organisation and creates a dataset from
 * it, as a partner's upload would (for the demo seed: a ready-to-use dataset of Contoso).
 * Throws when the rows do not make a valid dataset.
 */
export async function seedDatasetFromRows(ctx: RequestContext, deps: { files: FileStore; datasets: DatasetService }, rows: DatasetRow[]): Promise<Dataset> {
  const jsonl = Buffer.from(rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
  const file = await deps.files.save(Readable.from(jsonl), ctx.principal!.organizationId, FilePurpose.DATASET);
  const result = await deps.datasets.create(ctx, { fileId: toGlobalId('File', file.id), format: DatasetFormat.JSONL });
  if (!result.value) throw new Error(`the seed dataset is not valid: ${result.userErrors.map((e) => e.message).join('; ')}`);
  return result.value;
}
