import express, { Response, Router } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * NOTE: the console is a GraphQL client of this API like any portal; these headers keep it
 * one: scripts and styles only from this origin (no inline ones), network only to this origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Where `npm run build` puts the console bundle: dist/console, beside the compiled server
 * (from dist/api) or under the project root (when the server runs from its TypeScript sources).
 */
export function defaultConsoleDir(): string {
  const up = path.resolve(__dirname, '..');
  return path.basename(up) === 'dist' ? path.join(up, 'console') : path.join(up, 'dist', 'console');
}

function secureHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
}

/**
 * The web console at `/console`, from the static bundle in `dir` (scripts/build-console.js):
 * `index.html` never cached (it names the current assets), `assets/<name>-<hash>.*` cached for
 * a year as immutable (a new build has new names). 404 naming the fix when it is not built.
 */
export function consoleRouter({ dir = defaultConsoleDir() }: { dir?: string } = {}): Router {
  const router = Router();
  const index = path.join(dir, 'index.html');
  router.use('/console', (_req, res, next) => {
    secureHeaders(res);
    next();
  });
  router.get(['/console', '/console/', '/console/index.html'], (_req, res, next) => {
    if (!existsSync(index)) {
      res.status(404).type('text/plain').send('The console is not built: run `npm run build` (it bundles console/ into dist/console).\n');
      return;
    }
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' }, cacheControl: false }, (error) => error && next(error));
  });
  router.use('/console/assets', express.static(path.join(dir, 'assets'), {
    index: false, redirect: false, fallthrough: true, immutable: true, maxAge: '365d',
  }));
  router.use('/console', (_req, res) => {
    res.status(404).type('text/plain').send('Not found in the console. Open /console.\n');
  });
  return router;
}
