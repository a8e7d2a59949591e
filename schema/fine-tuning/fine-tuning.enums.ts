import { registerEnumType } from 'type-graphql';

/** How a dataset file holds its rows `{ text, label }`. */
export enum DatasetFormat {
  JSONL = 'JSONL',
  CSV = 'CSV',
}
registerEnumType(DatasetFormat, { name: 'DatasetFormat', description: 'JSONL: one {"text","label"} object a line; CSV: a header naming the columns text and label.' });

/**
 * Life of a fine-tune job (see api/fine-tuning/fine-tune-state.ts for the transitions):
 * VALIDATING -> QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED.
 */
export enum FineTuneStatus {
  VALIDATING = 'VALIDATING',
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(FineTuneStatus, {
  name: 'FineTuneStatus',
  description: 'VALIDATING: checks of model, dataset and subscription; QUEUED: waiting for a worker; RUNNING: training; ' +
    'SUCCEEDED: the tuned version is published; FAILED: see error; CANCELLED: stopped on request.',
});

/** How much a job event matters. */
export enum FineTuneEventLevel {
  INFO = 'INFO',
  WARNING = 'WARNING',
  ERROR = 'ERROR',
}
registerEnumType(FineTuneEventLevel, { name: 'FineTuneEventLevel' });

/** MESSAGE: a status line; METRICS: figures (train_loss, valid_loss, valid_accuracy, ...). */
export enum FineTuneEventType {
  MESSAGE = 'MESSAGE',
  METRICS = 'METRICS',
}
registerEnumType(FineTuneEventType, { name: 'FineTuneEventType' });
