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

/**
 * Validates an untrusted ONNX file away from the server: a short-lived child process
 * loads it, reads its inputs/outputs and runs it once on zeros (dynamic dims = 1).
 * Never throws for a bad file; a crash or a time-out comes back as `{ ok: false, reason }`.
 */
export function inspectModelFile(path: string, options: InspectOptions = {}): Promise<ModelInspection> {
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
      child = startChild('model-file-inspect.process', [path], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      lowerPriority(child, options.niceness ?? 10);
    } catch (error) {
      resolve({ ok: false, reason: `inspection process could not start: ${(error as Error).message}` });
      return;
    }
    watch(child, timeoutMs, settle);
  });
}
