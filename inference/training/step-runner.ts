import type { EngineTensor } from '../engine/engine.types';
import type { StepLoop, StepLoopResult } from '../engine/step-loop';

export type { StepLoop, StepLoopMark, StepLoopResult, StepLoopTable } from '../engine/step-loop';

/**
 * Runs ONNX graphs (a training step, an eval pass, a feature extractor) on some feeds.
 * The EnginePool implements it in its worker threads; {@link LocalStepRunner} runs in-process.
 */
export interface StepRunner {
  run(graphPathOrId: string, feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>>;
  /**
   * Runs a loop's steps back to back (`inputs`: its constant and initial carried inputs),
   * as far as its budget goes: the answer says how many steps were done.
   */
  runSteps(graphPathOrId: string, inputs: Record<string, EngineTensor>, loop: StepLoop): Promise<StepLoopResult>;
}

/** Time a step loop may hold a worker per request before it hands back (the rest goes in the next request). */
export const STEP_LOOP_BUDGET_MS = 50;

/**
 * Most steps sent in one request: a request's steps are copied to the worker whole (and the
 * ones a yielding loop did not reach are sent again), so a long plan goes in windows.
 */
export const MAX_STEPS_PER_REQUEST = 256;

/** A loop as a trainer describes it: every step, and what carries over. */
export type StepPlan = Omit<StepLoop, 'budgetMs' | 'stop'>;

/** After each request of {@link runAllSteps}: what it did (its marks' `steps` counted from the plan's start), and the index of its first step in the plan. */
export type StepChunkCallback = (result: StepLoopResult, firstStep: number) => void | Promise<void>;

/**
 * Runs every step of a plan through `runner`, in as many requests as the loop's budget and
 * the engine's yielding take, each request carrying on from the state (and table) the last
 * one returned; `onChunk` after each. The plan's marks (step counts from its start) go with the
 * request that reaches them. An abort stops it within one step (through the loop's stop flag);
 * it then rejects with the signal's reason, after `onChunk` of the steps done.
 */
export async function runAllSteps(
  runner: StepRunner,
  graphId: string,
  inputs: Record<string, EngineTensor>,
  plan: StepPlan,
  options: { signal?: AbortSignal; budgetMs?: number; onChunk?: StepChunkCallback } = {},
): Promise<{ state: Record<string, EngineTensor>; table?: Float32Array }> {
  const { signal } = options;
  signal?.throwIfAborted();
  const stop = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const onAbort = () => Atomics.store(stop, 0, 1);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const constants = Object.fromEntries(Object.entries(inputs).filter(([name]) => !(name in plan.carry)));
    let state = Object.fromEntries(Object.entries(inputs).filter(([name]) => name in plan.carry));
    let table = plan.table?.data;
    for (let done = 0; done < plan.steps.length; ) {
      const steps = plan.steps.slice(done, done + MAX_STEPS_PER_REQUEST);
      const loop: StepLoop = {
        ...plan, steps, budgetMs: options.budgetMs ?? STEP_LOOP_BUDGET_MS, stop,
        ...(plan.table && { table: { ...plan.table, data: table! } }),
        ...(plan.marks && { marks: plan.marks.filter((m) => m > done && m <= done + steps.length).map((m) => m - done) }),
      };
      const result = await runner.runSteps(graphId, { ...constants, ...state }, loop);
      for (const mark of result.marks) mark.steps += done;
      state = result.state;
      table = result.table;
      await options.onChunk?.(result, done);
      done += result.stepsDone;
      if (done < plan.steps.length) signal?.throwIfAborted();
    }
    return { state, table };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
