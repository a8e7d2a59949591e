import { SeededRandom } from '../../inference';
import type { GraphQLResponse } from './test-server';
import { uploadFile } from './upload';

/** What these helpers need of a server: a URL and a GraphQL client. */
interface Server {
  url: string;
  graphql<T = Record<string, any>>(key: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
}

/** A labelled text. */
export interface TicketRow {
  text: string;
  label: string;
}

const TOPICS: Record<string, { subjects: string[]; problems: string[] }> = {
  billing: {
    subjects: ['my invoice', 'the monthly charge', 'my credit card payment', 'the refund', 'the subscription fee', 'the receipt'],
    problems: ['was charged twice', 'shows the wrong amount', 'was declined at checkout', 'has not arrived in my bank account', 'includes a fee I never agreed to', 'lists the wrong VAT number'],
  },
  technical: {
    subjects: ['the mobile app', 'the login page', 'the dashboard', 'the API', 'the desktop client', 'the sync service'],
    problems: ['crashes on startup', 'times out with error 500', 'freezes after the latest update', 'will not load on my laptop', 'logs me out every few minutes', 'returns a blank screen'],
  },
  shipping: {
    subjects: ['my parcel', 'the delivery', 'my order', 'the package', 'the courier', 'the shipment'],
    problems: ['is stuck at the depot', 'arrived with a crushed box', 'went to the wrong address', 'is three weeks late', 'has no tracking number', 'was left outside in the rain'],
  },
};

const OPENERS = ['Hello,', 'Hi team,', 'Urgent:', 'Good morning,', '', 'Please help,'];
const CLOSERS = ['Thanks.', 'Please sort this out.', 'What should I do?', '', 'Regards, Sam', 'Can you check?'];

/**
 * Support tickets routed to teams (billing, technical, shipping): the project's own small
 * domain set for fine-tuning tests, with labels the base sentiment model does not have.
 */
export function supportTickets(perLabel: number, seed = 7): TicketRow[] {
  const random = new SeededRandom(seed);
  const rows: TicketRow[] = [];
  const seen = new Set<string>();
  for (const [label, topic] of Object.entries(TOPICS)) {
    let made = 0;
    while (made < perLabel) {
      const text = [random.pick(OPENERS), `${random.pick(topic.subjects)} ${random.pick(topic.problems)}.`, random.pick(CLOSERS)].filter(Boolean).join(' ');
      if (seen.has(text.toLowerCase())) continue;
      seen.add(text.toLowerCase());
      rows.push({ text: text[0].toUpperCase() + text.slice(1), label });
      made++;
    }
  }
  return random.shuffle(rows);
}

export function toJsonl(rows: ReadonlyArray<object>): Buffer {
  return Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function toCsv(rows: TicketRow[]): Buffer {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return Buffer.from(['text,label', ...rows.map((r) => `${quote(r.text)},${r.label}`)].join('\n') + '\n');
}

/** Uploads bytes as a dataset file; returns its id. */
export async function uploadDataset(t: Server, key: string, body: Buffer): Promise<string> {
  const res = await uploadFile(t.url, key, 'dataset', body);
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export const CREATE_DATASET = `mutation($input: CreateDatasetInput!) { createDataset(input: $input) {
  dataset { id format rowCount duplicateRows rowsOverTextLimit textLimitTokens trainRows validationRows splitSeed labels { label count trainCount validationCount } }
  userErrors { field code message } } }`;

export const START_FINE_TUNE = `mutation($input: StartFineTuneInput!) { startFineTune(input: $input) {
  job { id status hyperparameters { epochs learningRate batchSize seed } suffix } userErrors { field code message } } }`;

export const CANCEL_FINE_TUNE = `mutation($id: ID!) { cancelFineTune(input: { jobId: $id }) { job { id status cancelRequested } userErrors { field code message } } }`;

export const FINE_TUNE_JOB = `query($id: ID!) { fineTuneJob(id: $id) {
  id status attempts trainedSteps totalSteps cancelRequested hyperparameters { epochs batchSize learningRate seed }
  events { at level type message metrics } checkpoints { epoch step metrics createdAt }
  epochMetrics { epoch step bodyTrained trainLoss trainAccuracy validationLoss validationAccuracy at }
  baseline { validationAccuracy sharedLabels } error { code message }
  resultVersion { id version status labels model { id slug name visibility } } } }`;

/** Creates a dataset from a JSONL body; returns the payload. */
export async function createDataset(t: Server, key: string, body: Buffer, format = 'JSONL', extra: Record<string, unknown> = {}) {
  const fileId = await uploadDataset(t, key, body);
  const res = await t.graphql(key, CREATE_DATASET, { input: { fileId, format, ...extra } });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.createDataset;
}

/** Polls a job until `done(job)` or the timeout; returns the job. */
export async function waitForJob(t: Server, key: string, id: string, done: (job: any) => boolean, timeoutMs = 200_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.graphql(key, FINE_TUNE_JOB, { id });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    const job = res.data!.fineTuneJob;
    if (done(job)) return job;
    if (Date.now() > until) throw new Error(`job did not get there in time: ${JSON.stringify({ status: job.status, trainedSteps: job.trainedSteps, events: job.events.slice(-3) })}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const isFinished = (job: { status: string }) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
