import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';

// NOTE: the engine runs from TypeScript sources under ts-jest / ts-node, and from compiled
// JavaScript in dist/. A worker or child entry sits next to this file with the same
// extension; a `.ts` entry is started with ts-node's transpile-only hook.

const TS_HOOK = ['--require', 'ts-node/register/transpile-only'];

/** Absolute path of an engine entry script (`engine.worker`, ...) for this build. */
export function entryPath(baseName: string): string {
  const ext = extname(__filename) === '.ts' ? '.ts' : '.js';
  const path = join(__dirname, `${baseName}${ext}`);
  if (!existsSync(path)) throw new Error(`engine entry ${path} is missing (was the engine built?)`);
  return path;
}

function execArgvFor(path: string): string[] {
  return path.endsWith('.ts') ? TS_HOOK : [];
}

/** Starts a worker thread on an engine entry script. */
export function startWorker(baseName: string, options: WorkerOptions): Worker {
  const path = entryPath(baseName);
  return new Worker(path, { ...options, execArgv: [...execArgvFor(path), ...(options.execArgv ?? [])] });
}

/** Starts a child process on an engine entry script (IPC channel open). */
export function startChild(baseName: string, args: string[], options: ForkOptions = {}): ChildProcess {
  const path = entryPath(baseName);
  return fork(path, args, { ...options, execArgv: execArgvFor(path), serialization: 'advanced' });
}
