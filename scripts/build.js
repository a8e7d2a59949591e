#!/usr/bin/env node
// `npm run build` / `npm start`: compiles the server (tsconfig.build.json) into dist/ from scratch
// when any source differs from the last build's, and does nothing when none does. A clean build
// (not tsc --incremental) because dist/migrations is globbed: a stale compiled file of a source
// that was removed must not survive. `--force` rebuilds regardless.
'use strict';
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, '.source-digest');
const SOURCE_DIRS = ['api', 'schema', 'migrations', 'inference'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function* filesUnder(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full);
    else if (entry.isFile()) yield full;
  }
}

function sourceDigest() {
  const hash = createHash('sha256');
  const files = [...SOURCE_DIRS.flatMap((d) => [...filesUnder(path.join(root, d))]), ...SOURCE_FILES.map((f) => path.join(root, f))];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Builds dist/ unless it was built from exactly these sources; false when tsc failed. */
function buildIfStale({ force = false } = {}) {
  const digest = sourceDigest();
  const built = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : '';
  if (built === digest && !force) {
    console.log('build: dist/ is up to date with the sources; not rebuilding');
    return true;
  }
  fs.rmSync(dist, { recursive: true, force: true });
  console.log('build: compiling the TypeScript into dist/ ...');
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  } catch {
    return false;
  }
  fs.writeFileSync(stampFile, `${digest}\n`);
  return true;
}

module.exports = { buildIfStale };

if (require.main === module) process.exit(buildIfStale({ force: process.argv.includes('--force') }) ? 0 : 1);
