import { FilePurpose } from '../../schema/catalogue/catalogue.enums';
import type { StoredFile } from '../../schema/catalogue/stored-file.entity';
import { Page } from '../../schema/common/connection.type';
import { rowIdOf } from '../../schema/common/global-id';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { UserError, UserErrorCode } from '../../schema/common/user-error.type';
import { Dataset, DatasetRow } from '../../schema/fine-tuning/dataset.entity';
import { CreateDatasetInput } from '../../schema/fine-tuning/fine-tuning.inputs';
import { RequestContext } from '../context';
import { paginate } from '../common/pagination';
import { failure, failures, Result, success } from '../common/result';
import type { FileStore } from '../catalogue/file-store.service';
import { readDatasetFile } from './dataset-file.reader';
import { dropDuplicates, labelCounts, rowsOverTextLimit, stratifiedSplit } from './dataset-split';
import type { FineTuningConfig } from './fine-tuning.config';

const MAX_LISTED_ERRORS = 20;
const MIN_ROWS = 10;

type FileField = 'fileId' | 'validationFileId';

/** Datasets: validated, split sets of labelled texts of an organisation. */
export class DatasetService {
  constructor(
    private readonly files: FileStore,
    private readonly config: FineTuningConfig,
  ) {}

  /**
   * Reads and checks the uploaded file(s), then saves the dataset with its split. Any fault
   * (of the file, of rows, of the label set) is a userError and nothing is saved.
   */
  async create(ctx: RequestContext, input: CreateDatasetInput): Promise<Result<Dataset>> {
    const fraction = input.validationFraction ?? 0.1;
    if (!(fraction >= 0.05 && fraction <= 0.5)) return failure(UserErrorCode.INVALID, `validationFraction must be between 0.05 and 0.5, got ${fraction}`, ['input', 'validationFraction']);
    const seed = input.seed ?? 42;
    const main = await this.readRows(ctx, input, 'fileId');
    if (!main.rows) return failures(main.errors);
    const extra = input.validationFileId ? await this.readRows(ctx, input, 'validationFileId') : null;
    if (extra && !extra.rows) return failures(extra.errors);
    const deduped = dropDuplicates([...main.rows, ...(extra?.rows ?? [])]);
    const labels = new Set(main.rows.map((r) => r.label));
    const problem = this.labelSetProblem(labels, deduped.rows.length);
    if (problem) return failure(UserErrorCode.INVALID, problem, ['input', 'fileId']);
    const kept = new Set(deduped.rows);
    const split = extra
      ? { train: main.rows.filter((r) => kept.has(r)), validation: extra.rows!.filter((r) => kept.has(r)) }
      : stratifiedSplit(deduped.rows, fraction, seed);
    const unknown = split.validation.find((r) => !labels.has(r.label));
    if (unknown) return failure(UserErrorCode.INVALID, `the validation rows use the label "${unknown.label}", which no training row has`, ['input', 'validationFileId']);
    if (split.validation.length === 0) return failure(UserErrorCode.INVALID, 'no row is left for validation: add rows or a validation file', ['input', 'fileId']);
    const long = rowsOverTextLimit(deduped.rows);
    const dataset = await ctx.db.save(ctx.db.create(Dataset, {
      organizationId: ctx.principal!.organizationId, fileId: main.file!.id, validationFileId: extra?.file?.id ?? null,
      format: input.format, rowCount: main.rows.length + (extra?.rows?.length ?? 0), duplicateRows: deduped.duplicates,
      rowsOverTextLimit: long.count, textLimitTokens: long.limit, trainRows: split.train.length, validationRows: split.validation.length,
      splitSeed: seed, labels: labelCounts(split), rows: { train: split.train.map(plain), validation: split.validation.map(plain) },
    }));
    delete dataset.rows;
    return success(dataset);
  }

  private labelSetProblem(labels: Set<string>, rows: number): string | null {
    if (rows < MIN_ROWS) return `the dataset has ${rows} distinct rows; at least ${MIN_ROWS} are needed`;
    if (labels.size < 2) return `the dataset has a single label ("${[...labels][0]}"); a classifier needs at least 2`;
    if (labels.size > this.config.maxLabels) return `the dataset has ${labels.size} labels; at most ${this.config.maxLabels} are accepted`;
    return null;
  }

  /** One file's rows, or the userErrors that refuse it (first 20 row errors, with line numbers). */
  private async readRows(ctx: RequestContext, input: CreateDatasetInput, field: FileField): Promise<{ rows: DatasetRow[] | null; file?: StoredFile; errors: UserError[] }> {
    const path = ['input', field];
    const refuse = (message: string) => ({ rows: null, errors: [new UserError(UserErrorCode.INVALID, message, path)] });
    const file = await this.files.findOwned(input[field]!, ctx.principal!.organizationId);
    if (!file) return { rows: null, errors: [new UserError(UserErrorCode.NOT_FOUND, 'File not found', path)] };
    if (file.purpose !== FilePurpose.DATASET) return refuse('The file was uploaded with purpose=model; upload datasets with purpose=dataset');
    if (file.bytes > BigInt(this.config.maxDatasetBytes)) return refuse(`The file has ${file.bytes} bytes; datasets may have at most ${this.config.maxDatasetBytes}`);
    const contents = await readDatasetFile(this.files.blobPath(file.sha256), input.format, {
      maxRows: this.config.maxDatasetRows, maxTextChars: this.config.maxTextChars, maxErrors: MAX_LISTED_ERRORS,
    });
    const where = field === 'validationFileId' ? 'validation file' : 'file';
    if (contents.fileError) return refuse(`The ${where} cannot be used: ${contents.fileError}`);
    if (contents.errorCount > 0) {
      const errors = contents.errors.map((e) => new UserError(UserErrorCode.INVALID, `${where} line ${e.line}: ${e.message}`, path));
      if (contents.errorCount > contents.errors.length) {
        errors.push(new UserError(UserErrorCode.INVALID, `${contents.errorCount - contents.errors.length} more rows of the ${where} have errors (the first ${contents.errors.length} are listed)`, path));
      }
      return { rows: null, errors };
    }
    if (contents.rows.length === 0) return refuse(`The ${where} holds no rows`);
    return { rows: contents.rows, file, errors: [] };
  }

  /** A dataset of the caller's organisation, by global id (another organisation's: null). */
  async findOwned(ctx: RequestContext, globalId: string): Promise<Dataset | null> {
    const id = rowIdOf(globalId, 'Dataset');
    return id ? this.findOwnedById(ctx, id) : null;
  }

  async findOwnedById(ctx: RequestContext, id: string): Promise<Dataset | null> {
    const dataset = await ctx.db.findOneBy(Dataset, { id });
    return dataset && dataset.organizationId === ctx.principal?.organizationId ? dataset : null;
  }

  /** The caller's organisation's datasets, oldest first. */
  async list(ctx: RequestContext, args: PaginationArgs): Promise<Page<Dataset>> {
    const query = ctx.db.getRepository(Dataset).createQueryBuilder('dataset').where('dataset.organizationId = :org', { org: ctx.principal!.organizationId });
    return paginate(query, args);
  }
}

function plain(row: DatasetRow): DatasetRow {
  return { text: row.text, label: row.label };
}
