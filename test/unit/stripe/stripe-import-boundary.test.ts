import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

describe('the stripe import boundary', () => {
  it('lets only api/stripe import the stripe SDK among the app\'s sources', () => {
    const importers = ['api', 'schema', 'inference', 'migrations']
      .flatMap((dir) => sources(path.join(ROOT, dir)))
      .filter((file) => /from 'stripe'|require\('stripe'\)/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(ROOT, file));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !file.startsWith(`api${path.sep}stripe${path.sep}`))).toEqual([]);
  });
});
