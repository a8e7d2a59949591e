import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SeededRandom } from '../../../inference';
import type { LabelledRow } from './support-ticket-tone.dataset';

export type { LabelledRow } from './support-ticket-tone.dataset';

/** The datasets the project ships beside the demo seed (JSONL files in this folder). */
export const SHIPPED_DATASETS = {
  'support-ticket-tone': {
    file: 'support-ticket-tone.jsonl',
    description: 'Help-desk messages labelled negative / neutral / positive in support jargon ("the refund went through", "still waiting on ticket #4821"); the demo sentiment model is weak on them, a fine-tuned head is not.',
  },
} as const;

/** Name of a shipped dataset. */
export type ShippedDatasetName = keyof typeof SHIPPED_DATASETS;

/** A shipped dataset, read and checked. */
export interface ShippedDataset {
  name: ShippedDatasetName;
  description: string;
  /** Absolute path of the JSONL file (what an upload sends). */
  path: string;
  rows: LabelledRow[];
  /** Distinct labels, sorted. */
  labels: string[];
}

/** The folder holding the JSONL files, from the sources or from the build (dist/ keeps no JSONL). */
function dataDir(file: string): string {
  const candidates = [__dirname, path.resolve(__dirname, '../../../../api/seed/data')];
  const found = candidates.find((dir) => existsSync(path.join(dir, file)));
  if (!found) throw new Error(`shipped dataset file ${file} not found in ${candidates.join(' or ')}`);
  return found;
}

/** Absolute path of a shipped dataset's JSONL file. Throws for an unknown name. */
export function shippedDatasetPath(name: ShippedDatasetName): string {
  const entry = SHIPPED_DATASETS[name];
  if (!entry) throw new Error(`unknown shipped dataset ${JSON.stringify(name)} (known: ${Object.keys(SHIPPED_DATASETS).join(', ')})`);
  return path.join(dataDir(entry.file), entry.file);
}

/** Parses JSONL rows `{ "text": ..., "label": ... }`; throws naming the first bad line. */
export function parseLabelledJsonl(content: string, source = 'JSONL'): LabelledRow[] {
  const rows: LabelledRow[] = [];
  content.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${source} line ${index + 1}: not JSON`);
    }
    const { text, label } = (row ?? {}) as Partial<LabelledRow>;
    if (typeof text !== 'string' || text.trim() === '' || typeof label !== 'string' || label === '') {
      throw new Error(`${source} line ${index + 1}: needs a non-empty string "text" and "label"`);
    }
    rows.push({ text, label });
  });
  return rows;
}

/**
 * Reads a dataset the project ships (e.g. `loadShippedDataset('support-ticket-tone')`) for the
 * demo seed and the fine-tuning tests. Synchronous; the files are small.
 */
export function loadShippedDataset(name: ShippedDatasetName): ShippedDataset {
  const file = shippedDatasetPath(name);
  const rows = parseLabelledJsonl(readFileSync(file, 'utf8'), SHIPPED_DATASETS[name].file);
  return { name, description: SHIPPED_DATASETS[name].description, path: file, rows, labels: [...new Set(rows.map((r) => r.label))].sort() };
}

/** Options for {@link stratifiedSplit}. */
export interface SplitOptions {
  /** Share of each label's rows that goes to validation (default 0.2). */
  validationShare?: number;
  seed?: number;
}

/**
 * A seeded, stratified train/validation split: each label's rows are shuffled and the first
 * `validationShare` of them (at least one where a label has two or more) go to validation.
 * Same rows and options, same split.
 */
export function stratifiedSplit<T extends { label: string }>(rows: readonly T[], options: SplitOptions = {}): { train: T[]; validation: T[] } {
  const share = options.validationShare ?? 0.2;
  const random = new SeededRandom(options.seed ?? 1);
  const train: T[] = [];
  const validation: T[] = [];
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  for (const label of labels) {
    const group = random.shuffle(rows.filter((r) => r.label === label));
    const count = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * share));
    validation.push(...group.slice(0, count));
    train.push(...group.slice(count));
  }
  return { train: random.shuffle(train), validation: random.shuffle(validation) };
}
