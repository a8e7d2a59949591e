import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { DatasetFormat } from '../../schema/fine-tuning/fine-tuning.enums';
import type { DatasetRow } from '../../schema/fine-tuning/dataset.entity';

/** A row of a dataset file and the line it starts on (1-based). */
export interface ReadRow extends DatasetRow {
  line: number;
}

/** A row the reader refused, and why. */
export interface RowError {
  line: number;
  message: string;
}

/** What reading a file gave: its good rows, row errors (the first `maxErrors`), or a fault of the whole file. */
export interface DatasetFileContents {
  rows: ReadRow[];
  errors: RowError[];
  /** All row errors, including those past `maxErrors`. */
  errorCount: number;
  /** The file as a whole cannot be read (binary, no header, too many rows, truncated quote...). */
  fileError: string | null;
}

/** Limits of one file. */
export interface DatasetReadLimits {
  maxRows: number;
  /** Longest text, in characters. */
  maxTextChars: number;
  /** Row errors kept (the rest are only counted). */
  maxErrors: number;
}

class FileFault extends Error {}

/** Whether the file's first bytes hold a NUL byte or invalid UTF-8: not a text file. */
async function looksBinary(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.includes(0)) return true;
    // the last 3 bytes may cut a multi-byte character in half
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
      return false;
    } catch {
      return true;
    }
  } finally {
    await handle.close();
  }
}

/** Checks one record's text and label; the row, or the reason it is refused. */
function checkRow(text: unknown, label: unknown, limits: DatasetReadLimits): DatasetRow | string {
  if (text === undefined || text === null) return 'text is missing';
  if (typeof text !== 'string') return `text must be a string, got ${typeof text}`;
  if (text.trim() === '') return 'text is empty';
  if (text.length > limits.maxTextChars) return `text has ${text.length} characters; at most ${limits.maxTextChars} are accepted`;
  if (label === undefined || label === null) return 'label is missing';
  if (typeof label !== 'string' && typeof label !== 'number') return `label must be a string, got ${typeof label}`;
  const name = String(label).trim();
  if (name === '') return 'label is empty';
  if (name.length > 100) return 'label is longer than 100 characters';
  return { text: text.trim(), label: name };
}

/** Collects rows and errors while a file is read. */
class RowCollector {
  readonly contents: DatasetFileContents = { rows: [], errors: [], errorCount: 0, fileError: null };
  private records = 0;

  constructor(private readonly limits: DatasetReadLimits) {}

  add(line: number, text: unknown, label: unknown): void {
    if (++this.records > this.limits.maxRows) throw new FileFault(`the file has more than ${this.limits.maxRows} rows (the limit)`);
    const row = checkRow(text, label, this.limits);
    if (typeof row === 'string') this.error(line, row);
    else this.contents.rows.push({ ...row, line });
  }

  error(line: number, message: string): void {
    this.contents.errorCount++;
    if (this.contents.errors.length < this.limits.maxErrors) this.contents.errors.push({ line, message });
  }
}

async function readJsonl(path: string, collector: RowCollector): Promise<void> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const raw of lines) {
    number++;
    const line = number === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      collector.error(number, 'not valid JSON (a truncated or garbled line?)');
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      collector.error(number, 'must be a JSON object { "text": ..., "label": ... }');
      continue;
    }
    const record = value as Record<string, unknown>;
    collector.add(number, record.text, record.label);
  }
}

async function readCsv(path: string, collector: RowCollector): Promise<void> {
  const parser = createReadStream(path).pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: false }));
  let columns: { text: number; label: number } | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!columns) {
        const names = record.map((c) => c.trim().toLowerCase());
        const [text, label] = [names.indexOf('text'), names.indexOf('label')];
        if (text < 0 || label < 0) {
          throw new FileFault(`the CSV header must name the columns "text" and "label"; it has ${record.map((c) => JSON.stringify(c)).join(', ') || 'none'}`);
        }
        columns = { text, label };
        continue;
      }
      collector.add(info.lines, record[columns.text], record[columns.label]);
    }
  } catch (error) {
    if (error instanceof FileFault) throw error;
    const e = error as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') throw new FileFault(`the file ends inside a quoted field (truncated?): ${e.message}`);
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) throw new FileFault(`the CSV cannot be parsed: ${e.message}`);
    throw error;
  }
  if (!columns) throw new FileFault('the CSV has no header row');
}

/**
 * Streams a dataset file (JSONL or CSV) into rows `{ text, label }` with line numbers,
 * checking every row (text present and not blank, within the length limit; label present).
 * Faults of the whole file (binary content, no CSV header or columns, more rows than the
 * limit, a truncated quoted field) come back as `fileError`.
 */
export async function readDatasetFile(path: string, format: DatasetFormat, limits: DatasetReadLimits): Promise<DatasetFileContents> {
  const collector = new RowCollector(limits);
  try {
    if (await looksBinary(path)) throw new FileFault(`the file is not ${format} text (it holds binary data)`);
    await (format === DatasetFormat.CSV ? readCsv(path, collector) : readJsonl(path, collector));
  } catch (error) {
    if (!(error instanceof FileFault)) throw error;
    collector.contents.fileError = error.message;
  }
  return collector.contents;
}
