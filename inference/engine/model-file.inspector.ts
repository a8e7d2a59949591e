import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { ModelSignature } from './engine.types';
import { startChild } from './worker.entry';

/** The verdict on an ONNX file: its signature and warm-up time, or why it is unusable. */
export type ModelInspection =
  | { ok: true; signature: ModelSignature; loadMs: number; warmupMs: number }
  | { ok: false; reason: string };

/** Options of {@link inspectModelFile}. */
export interface InspectOptions {
  /** Time allowed for load + one run (default 30 s). */
  timeoutMs?: number;
  /**
   * CPU priority of the inspecting process below the server's, as a nice increment 0-19
   * (default 10): an inspection (node start-up, ORT load) is background work, and on a small
   * machine it would otherwise take cores from inference for a second.
   */
  niceness?: number;
}

/** Best effort: lowers a child's priority (Linux, and elsewhere where permitted). */
function lowerPriority(child: ChildProcess, niceness: number): void {
  if (niceness <= 0 || child.pid === undefined) return;
  try {
    setPriority(child.pid, niceness);
  } catch {
    // not permitted or already gone: it runs at the server's priority
  }
}

const STDERR_TAIL = 2000;

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.length > 0 ? `: ${lines[lines.length - 1].slice(0, 300)}` : '';
}

function watch(child: ChildProcess, timeoutMs: number, settle: (r: ModelInspection) => void): void {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)));
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    settle({ ok: false, reason: `inspection timed out after ${timeoutMs} ms (the file stalls the loader)` });
  }, timeoutMs);
  child.once('message', (result: ModelInspection) => {
    clearTimeout(timer);
    settle(result);
  });
  child.once('error', (error) => {
    clearTimeout(timer);
    settle({ ok: false, reason: `inspection process failed: ${error.message}` });
  });
  child.once('exit', (code, signal) => {
    clearTimeout(timer);
    settle({ ok: false, reason: `the loader crashed (exit ${signal ?? code})${lastLine(stderr)}` });
  });
}

/** Starts the process that inspects one file (model-file-inspect.process.ts), its stderr piped for the crash reason. */
export function startInspectionProcess(args: string[]): ChildProcess {
  return startChild('model-file-inspect.process', args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
}

/** What the server asks the launcher (see model-file-inspect.launcher.ts). */
export interface InspectRequest {
  id: number;
  path: string;
  timeoutMs?: number;
  niceness?: number;
}

/** What the launcher answers. */
export interface InspectAnswer {
  id: number;
  result: ModelInspection;
}

/**
 * Runs one inspection in a process `start` starts (lowered in priority), with its time-out:
 * never throws; a crash or a time-out comes back as `{ ok: false, reason }`.
 */
export function superviseInspection(path: string, options: InspectOptions, start: (args: string[]) => ChildProcess): Promise<ModelInspection> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<ModelInspection>((resolve) => {
    let done = false;
    let child: ChildProcess;
    const settle = (result: ModelInspection) => {
      if (done) return;
      done = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(result);
    };
    try {
      child = start([path]);
      lowerPriority(child, options.niceness ?? 10);
    } catch (error) {
      resolve({ ok: false, reason: `inspection process could not start: ${(error as Error).message}` });
      return;
    }
    watch(child, timeoutMs, settle);
  });
}

/** How much longer than an inspection's own time-out the server waits for the launcher's answer. */
const LAUNCHER_GRACE_MS = 5_000;

/**
 * The launcher process, started by {@link startModelInspector}: while it runs, inspections are
 * forked from it instead of from the server (see model-file-inspect.launcher.ts).
 */
class InspectorLauncher {
  private readonly waiting = new Map<number, (result: ModelInspection) => void>();
  private nextId = 1;

  constructor(private readonly child: ChildProcess) {
    child.on('message', (answer: InspectAnswer) => this.answer(answer.id, answer.result));
    child.once('exit', () => {
      if (launcher === this) launcher = undefined;
      for (const id of [...this.waiting.keys()]) this.answer(id, { ok: false, reason: 'the model inspector stopped before it answered' });
    });
    this.idle();
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }

  inspect(path: string, options: InspectOptions): Promise<ModelInspection> {
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<ModelInspection>((resolve) => {
      const timer = setTimeout(() => this.answer(id, { ok: false, reason: `inspection timed out after ${timeoutMs} ms (the file stalls the loader)` }), timeoutMs + LAUNCHER_GRACE_MS);
      this.waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.busy();
      this.child.send({ id, path, timeoutMs, niceness: options.niceness } satisfies InspectRequest);
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }

  private answer(id: number, result: ModelInspection): void {
    const resolve = this.waiting.get(id);
    if (!resolve) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.idle();
    resolve(result);
  }

  // NOTE: an idle launcher does not keep the server's process alive; one with inspections in flight does
  private busy(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
  }

  private idle(): void {
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }
}

let launcher: InspectorLauncher | undefined;
/** Servers of this process that asked for the launcher (tests start several). */
let holders = 0;

/**
 * Asks for the inspector's launcher (the server does at start-up): it is started at the first
 * inspection (from the server's demo seed or first publish, early in its life, so the one fork
 * from this process is cheap) and kept for the next ones. Without it, or once it is gone, each
 * inspection is forked from this process. Servers that never inspect a file start nothing.
 */
export function startModelInspector(): void {
  holders++;
}

function launcherOrNone(): InspectorLauncher | undefined {
  if (holders === 0) return undefined;
  if (launcher?.alive) return launcher;
  try {
    launcher = new InspectorLauncher(startChild('model-file-inspect.launcher', [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  } catch {
    launcher = undefined; // inspections fork from this process instead
  }
  return launcher;
}

/** Lets go of the launcher (at shutdown); the last holder stops it. */
export function stopModelInspector(): void {
  holders = Math.max(0, holders - 1);
  if (holders > 0) return;
  launcher?.stop();
  launcher = undefined;
}

/**
 * Validates an untrusted ONNX file away from the server: a short-lived child process
 * loads it, reads its inputs/outputs and runs it once on zeros (dynamic dims = 1), started
 * by the launcher where it runs ({@link startModelInspector}), else by this process.
 * Never throws for a bad file; a crash or a time-out comes back as `{ ok: false, reason }`.
 */
export function inspectModelFile(path: string, options: InspectOptions = {}): Promise<ModelInspection> {
  const via = launcherOrNone();
  if (via) return via.inspect(path, options);
  return superviseInspection(path, options, startInspectionProcess);
}
