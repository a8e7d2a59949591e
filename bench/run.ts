import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable, type BenchSuite } from './bench-suite';

// Bench runner: `npm run bench -- <suite> [args]` loads bench/<suite>.bench.ts, prints its
// table, then ONE JSON line as the very last line of stdout (for scripts and CI).

// Benchmarks measure the production build of every library (graphql-js, for one, checks types
// more slowly outside production); set before any suite loads them.
process.env.NODE_ENV ??= 'production';

function availableSuites(): string[] {
  return readdirSync(__dirname)
    .filter((f) => /\.bench\.(ts|js)$/.test(f))
    .map((f) => f.replace(/\.bench\.(ts|js)$/, ''));
}

function loadSuite(name: string): BenchSuite {
  const base = join(__dirname, `${name}.bench`);
  if (!/^[a-z0-9-]+$/.test(name) || !['.ts', '.js'].some((ext) => existsSync(base + ext))) {
    throw new Error(`unknown bench suite "${name}"; available: ${availableSuites().join(', ') || '(none)'}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const suite = (require(base) as { benchSuite?: BenchSuite }).benchSuite;
  if (!suite) throw new Error(`${base} does not export benchSuite`);
  return suite;
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name) throw new Error(`usage: npm run bench -- <suite>; suites: ${availableSuites().join(', ')}`);
  const suite = loadSuite(name);
  const report = await suite.run(args);
  process.stdout.write(`\n${report.title}\n\n${formatTable(report.rows)}\n`);
  for (const note of report.notes ?? []) process.stdout.write(`${note}\n`);
  process.stdout.write(`${JSON.stringify({ suite: suite.name, ...report.result })}\n`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
