import { ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { DemoKeys } from '../../api/seed/demo-seed';
import { graphqlAt, type GraphQLResponse } from './test-server';

/** A free TCP port on localhost. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `npm start`'s server (api/main.ts) in a child process of its own, so that a test can kill it
 * (SIGKILL: no drain, no clean-up) and start another on the same database and files.
 */
export class ServerProcess {
  private child?: ChildProcess;
  private output = '';
  readonly url: string;

  constructor(private readonly port: number, private readonly env: Record<string, string>) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the server and waits until /health/ready answers 200. */
  async start(timeoutMs = 240_000): Promise<void> {
    const root = path.resolve(__dirname, '../..');
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(root, 'api/main.ts')], {
      cwd: root, env: { ...process.env, NODE_OPTIONS: '', ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    this.child.stderr!.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the server exited (${this.child.exitCode}): ${this.output}`);
      const ready = await fetch(`${this.url}/health/ready`).then((r) => r.status === 200, () => false);
      if (ready) return;
      if (Date.now() > until) throw new Error(`the server did not get ready: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The demo keys the server writes once its demo seed is done (waits for them). */
  async keys(dataDir: string, timeoutMs = 120_000): Promise<DemoKeys> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = await readFile(path.join(dataDir, 'demo-keys.json'), 'utf8').catch(() => null);
      if (text) return JSON.parse(text) as DemoKeys;
      if (Date.now() > until) throw new Error(`no demo keys: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  graphql<T = Record<string, any>>(key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
    return graphqlAt<T>(this.url, key, query, variables);
  }

  /** How the process ended: its exit code, or the signal that ended it (undefined while it runs). */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    const child = this.child;
    return child && (child.exitCode !== null || child.signalCode !== null) ? { code: child.exitCode, signal: child.signalCode } : undefined;
  }

  /** Kills the process at once (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops it gracefully (SIGTERM). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
