/** Fine-tuning settings (see the README's configuration table). */
export interface FineTuningConfig {
  /** Most rows in one dataset file (FINE_TUNE_MAX_DATASET_ROWS). */
  maxDatasetRows: number;
  /** Largest dataset file in bytes (FINE_TUNE_MAX_DATASET_BYTES). */
  maxDatasetBytes: number;
  /** Most distinct labels in a dataset (FINE_TUNE_MAX_LABELS). */
  maxLabels: number;
  /** Longest text of a row, in characters. */
  maxTextChars: number;
  /** Jobs of one organisation RUNNING at once, across replicas (FINE_TUNE_MAX_RUNNING_PER_ORG). */
  maxRunningPerOrg: number;
  /** How long a worker's claim on a job lasts unless renewed; a crashed replica's job is resumed after it (FINE_TUNE_LEASE_SECONDS). */
  leaseSeconds: number;
  /** How often an idle worker looks for queued jobs (FINE_TUNE_POLL_MS). */
  pollIntervalMs: number;
  /** Whether this replica runs jobs at all (FINE_TUNE_WORKER=false: it only queues them). */
  workerEnabled: boolean;
  /**
   * Least time between two checkpoints of a job's training state (FINE_TUNE_CHECKPOINT_EVERY_MS,
   * default 1000; 0: every epoch that has a state: each of the head stage, each round's last in the body stage,
   * see TextBodyTrainer). Every epoch's figures and event are kept, written with the next checkpoint.
   */
  checkpointEveryMs: number;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

/** Reads the fine-tuning settings; throws a message naming the variable when one is malformed. */
export function fineTuningConfigFromEnv(env: NodeJS.ProcessEnv = process.env): FineTuningConfig {
  return {
    maxDatasetRows: intFromEnv(env, 'FINE_TUNE_MAX_DATASET_ROWS', 50_000),
    maxDatasetBytes: intFromEnv(env, 'FINE_TUNE_MAX_DATASET_BYTES', 20 * 1024 * 1024),
    maxLabels: intFromEnv(env, 'FINE_TUNE_MAX_LABELS', 50, 2),
    maxTextChars: 10_000,
    maxRunningPerOrg: intFromEnv(env, 'FINE_TUNE_MAX_RUNNING_PER_ORG', 1),
    leaseSeconds: intFromEnv(env, 'FINE_TUNE_LEASE_SECONDS', 30),
    pollIntervalMs: intFromEnv(env, 'FINE_TUNE_POLL_MS', 1000),
    workerEnabled: (env.FINE_TUNE_WORKER ?? 'true') !== 'false',
    checkpointEveryMs: intFromEnv(env, 'FINE_TUNE_CHECKPOINT_EVERY_MS', 1000, 0),
  };
}
