import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consoleRouter, CONSOLE_CSP } from '../../api/console.route';
import { consoleBundleDir } from '../support/console-bundle';
import { startTestServer, TestServer } from '../support/test-server';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';

describe('the console at /console: static files with caching headers and a strict CSP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ seed: false, env: { CONSOLE_DIR: consoleBundleDir() } });
  }, 180_000); // start-up on a busy machine (engine pool, migrations) may take longer than a test
  afterAll(() => t?.stop());

  async function assets(): Promise<{ html: string; script: string; style: string }> {
    const html = await (await fetch(`${t.url}/console`)).text();
    const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)![1];
    const style = /<link rel="stylesheet" href="([^"]+)">/.exec(html)![1];
    return { html, script, style };
  }

  it('serves index.html uncached, with the CSP, nosniff and no inline script or style', async () => {
    for (const url of ['/console', '/console/']) {
      const res = await fetch(`${t.url}${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("style-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    const { html } = await assets();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style="/);
  });

  it('serves the content-hashed assets for a year, immutable, with their types', async () => {
    const { script, style } = await assets();
    expect(script).toMatch(/^\/console\/assets\/main-[A-Z0-9]+\.js$/);
    expect(style).toMatch(/^\/console\/assets\/main-[A-Z0-9]+\.css$/);
    const js = await fetch(`${t.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    const css = await fetch(`${t.url}${style}`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for an unknown console file, and a path out of the bundle never escapes it', async () => {
    expect((await fetch(`${t.url}/console/assets/main-NOPE.js`)).status).toBe(404);
    expect((await fetch(`${t.url}/console/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    const other = await fetch(`${t.url}/console/secrets`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
  });

  it('the GraphQL API stays where it was beside it', async () => {
    const res = await t.graphql(null, '{ __typename }');
    expect(res.status).toBe(200);
  });
});

describe('the console router without a built bundle', () => {
  it('answers 404 naming the build command', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'console-empty-'));
    const app = express().use(consoleRouter({ dir: empty }));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, resolve));
    try {
      const res = await fetch(`http://localhost:${(server.address() as AddressInfo).port}/console`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
