// Bundles the web console (console/src, TypeScript + preact + uPlot) with esbuild into static
// files: `<outDir>/assets/<name>-<hash>.js|.css` (content-hashed, cached for a year by the
// server) and `<outDir>/index.html` naming them (never cached). Used by scripts/build.js
// (dist/console) and by the browser tests, which bundle the sources into a temporary folder.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Bundles the console into `outDir` (emptied first); returns the asset paths index.html names. */
function buildConsole({ outDir, minify = true } = {}) {
  const esbuild = require('esbuild');
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: ['console/src/main.tsx'],
    bundle: true,
    outdir: path.join(outDir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
    tsconfig: path.join(root, 'console', 'tsconfig.json'),
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outDir, path.resolve(root, file)).split(path.sep).join('/'));
  const script = outputs.find((file) => /^assets\/main-[^/]+\.js$/.test(file));
  const style = outputs.find((file) => /^assets\/main-[^/]+\.css$/.test(file));
  if (!script || !style) throw new Error(`build-console: esbuild wrote no main script or stylesheet (${outputs.join(', ')})`);
  const template = fs.readFileSync(path.join(root, 'console', 'index.html'), 'utf8');
  const html = template.replace('%SCRIPT%', `/console/${script}`).replace('%STYLE%', `/console/${style}`);
  fs.writeFileSync(path.join(outDir, 'index.html'), html);
  return { script, style };
}

module.exports = { buildConsole };

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] || path.join(root, 'dist', 'console'));
  console.log(`build-console: ${JSON.stringify(buildConsole({ outDir }))} in ${outDir}`);
}
