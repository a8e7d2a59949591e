import v8 from 'node:v8';

/**
 * How far V8 lets the API process's heap grow past what a full collection left live before it
 * starts the next one, in percent (1 + p/100 times the live size).
 *
 * NOTE: measured (`npm run bench -- finetune`): with V8's own factor the live heap here (about 70
 * MB, most of it code and strings) was given 5-20 MB of room, so while a job trained (its
 * feeds, reports and bills are short-lived but steady) V8 ran a mark-compact every 150-250 ms,
 * each 20-45 ms of marking steps and pauses on the event loop: runInference's p95 went from 11
 * to 39 ms. At 100 none ran while the jobs trained (p95 17 ms); the heap stays within twice
 * its live size, and --max-old-space-size still bounds it.
 */
export const HEAP_GROWING_PERCENT = 100;

let applied = false;

/** Sets V8's heap growing factor for this process (once; every isolate, workers included, reads it at its next collection). */
export function setHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
