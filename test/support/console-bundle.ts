import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildConsole } from '../../scripts/build-console';

let bundled: string | undefined;

/**
 * The console bundled from its sources (console/) into a temporary folder, once per test
 * process: the tests run the TypeScript sources, so they must not depend on a dist/console left
 * by an earlier `npm run build` (absent on a fresh clone, stale after an edit). esbuild takes
 * well under a second. Pass it to the server as CONSOLE_DIR.
 */
export function consoleBundleDir(): string {
  if (!bundled) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'console-bundle-'));
    buildConsole({ outDir: dir, minify: false });
    bundled = dir;
  }
  return bundled;
}

/** Debian's chromium (CI installs it with apt-get), or CHROMIUM_PATH; null when neither is there. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p)) ?? null;
}
