import { defaultTokenizerSpec, SeededRandom, tokenIds } from '../../inference';
import type { DatasetRow, DatasetSplit, LabelCount } from '../../schema/fine-tuning/dataset.entity';

/** What a dataset's rows add up to: the split, per-label counts, duplicates, long rows. */
export interface DatasetSummary {
  split: DatasetSplit;
  labels: LabelCount[];
  duplicateRows: number;
  rowsOverTextLimit: number;
  textLimitTokens: number;
}

/** Rows with a text seen before (same text, ignoring case and surrounding space) dropped; how many were. */
export function dropDuplicates(rows: DatasetRow[]): { rows: DatasetRow[]; duplicates: number } {
  const seen = new Set<string>();
  const kept = rows.filter((row) => {
    const key = row.text.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { rows: kept, duplicates: rows.length - kept.length };
}

/**
 * NOTE: a seeded, stratified split: each label's rows are shuffled (one seeded sequence, labels
 * in first-seen order) and round(n * fraction) of them held out, at least one of any label with
 * two rows or more; a label with one row trains only.
 */
export function stratifiedSplit(rows: DatasetRow[], fraction: number, seed: number): DatasetSplit {
  const random = new SeededRandom(seed);
  const byLabel = new Map<string, DatasetRow[]>();
  for (const row of rows) byLabel.set(row.label, [...(byLabel.get(row.label) ?? []), row]);
  const split: DatasetSplit = { train: [], validation: [] };
  for (const group of byLabel.values()) {
    const shuffled = random.shuffle([...group]);
    const held = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * fraction));
    split.validation.push(...shuffled.slice(0, held));
    split.train.push(...shuffled.slice(held));
  }
  return split;
}

/** Labels in first-seen order with their counts in each part. */
export function labelCounts(split: DatasetSplit): LabelCount[] {
  const counts = new Map<string, LabelCount>();
  const add = (row: DatasetRow, part: 'trainCount' | 'validationCount') => {
    const entry = counts.get(row.label) ?? { label: row.label, count: 0, trainCount: 0, validationCount: 0 };
    entry.count++;
    entry[part]++;
    counts.set(row.label, entry);
  };
  split.train.forEach((row) => add(row, 'trainCount'));
  split.validation.forEach((row) => add(row, 'validationCount'));
  return [...counts.values()];
}

/** Rows with more tokens than the text models read (the default tokenizer's sequence length). */
export function rowsOverTextLimit(rows: DatasetRow[]): { count: number; limit: number } {
  const spec = defaultTokenizerSpec();
  return { count: rows.filter((row) => tokenIds(row.text, spec).length > spec.sequenceLength).length, limit: spec.sequenceLength };
}
