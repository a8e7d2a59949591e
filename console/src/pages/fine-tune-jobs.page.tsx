import { useState } from 'preact/hooks';
import { Empty, ErrorMessage, Loaded } from '../components/states';
import { FineTuneStatus, progressOf } from '../fine-tune-math';
import { graphql, GraphQLRequestError } from '../graphql-client';
import { useQuery } from '../use-query';

export interface FineTuneJobRow {
  id: string;
  status: FineTuneStatus;
  suffix: string | null;
  createdAt: string;
  finishedAt: string | null;
  trainedSteps: number;
  totalSteps: number;
  cancelRequested: boolean;
  baseModel: { slug: string; name: string } | null;
  dataset: { format: string; rowCount: number; trainRows: number; validationRows: number } | null;
  resultVersion: { id: string; version: string; model: { slug: string; name: string } } | null;
  error: { code: string; message: string } | null;
}

type JobPage = { fineTuneJobs: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: FineTuneJobRow[] } };

export const FINE_TUNE_JOBS_QUERY = `query ConsoleFineTuneJobs($after: String) { fineTuneJobs(first: 50, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id status suffix createdAt finishedAt trainedSteps totalSteps cancelRequested baseModel { slug name }
    dataset { format rowCount trainRows validationRows } resultVersion { id version model { slug name } } error { code message } } } }`;

export const at = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : '—');

/** A job's progress: a native <progress> named for screen readers, and the steps in words. */
export function JobProgress({ job }: { job: Pick<FineTuneJobRow, 'trainedSteps' | 'totalSteps' | 'status'> }) {
  const progress = progressOf(job);
  return (
    <span class="job-progress">
      <progress max={1000} value={progress.permille} aria-label="Training progress" aria-valuetext={progress.text} />{' '}
      <span class="progress-text">{progress.text}</span>
    </span>
  );
}

/** Partner: the organisation's fine-tune jobs, oldest first, 50 at a time; each opens its curves. */
export function FineTuneJobsPage({ apiKey }: { apiKey: string }) {
  const state = useQuery<JobPage>(apiKey, FINE_TUNE_JOBS_QUERY, {});
  const [more, setMore] = useState<{ rows: FineTuneJobRow[]; cursor: string | null; hasNext: boolean } | null>(null);
  const [moreError, setMoreError] = useState<GraphQLRequestError | null>(null);
  const [busy, setBusy] = useState(false);
  const loadMore = async (cursor: string | null) => {
    setBusy(true);
    try {
      const next = (await graphql<JobPage>(apiKey, FINE_TUNE_JOBS_QUERY, { after: cursor })).fineTuneJobs;
      setMore({ rows: [...(more?.rows ?? []), ...next.nodes], cursor: next.pageInfo.endCursor, hasNext: next.pageInfo.hasNextPage });
      setMoreError(null);
    } catch (error) {
      setMoreError(error as GraphQLRequestError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Fine-tuning</h1>
      <p>Your organisation's fine-tune jobs, oldest first: each trains a subscribed model on one of your datasets into a private model version. Open a job for its loss and accuracy curves. Times are UTC.</p>
      <Loaded state={state} what="fine-tune jobs">
        {({ fineTuneJobs }) => {
          if (fineTuneJobs.totalCount === 0) return <Empty>No fine-tune jobs yet. Start one with the <code>startFineTune</code> mutation (see the README's fine-tuning section).</Empty>;
          const rows = [...fineTuneJobs.nodes, ...(more?.rows ?? [])];
          const hasNext = more ? more.hasNext : fineTuneJobs.pageInfo.hasNextPage;
          const cursor = more ? more.cursor : fineTuneJobs.pageInfo.endCursor;
          return (
            <>
              <table class="data jobs">
                <caption>{rows.length} of {fineTuneJobs.totalCount} fine-tune job{fineTuneJobs.totalCount === 1 ? '' : 's'}</caption>
                <thead><tr>
                  <th scope="col">Job</th><th scope="col">Status</th><th scope="col">Base model</th><th scope="col">Dataset</th>
                  <th scope="col">Progress</th><th scope="col">Created</th><th scope="col">Finished</th><th scope="col">Result</th>
                </tr></thead>
                <tbody>
                  {rows.map((job) => (
                    <tr data-job={job.id} data-status={job.status}>
                      <th scope="row"><a href={`#/fine-tuning/${encodeURIComponent(job.id)}`}>{job.suffix ?? 'job'} · {job.id.slice(-8)}</a></th>
                      <td><span class={`badge badge-${job.status.toLowerCase()}`}>{job.status}</span>{job.cancelRequested && job.status === 'RUNNING' ? <span class="muted"> cancelling</span> : null}
                        {job.error && <div class="muted">{job.error.code}</div>}</td>
                      <td>{job.baseModel ? job.baseModel.name : '—'}</td>
                      <td>{job.dataset ? `${job.dataset.format}, ${job.dataset.rowCount.toLocaleString('en-US')} rows (${job.dataset.trainRows.toLocaleString('en-US')} train, ${job.dataset.validationRows.toLocaleString('en-US')} validation)` : '—'}</td>
                      <td><JobProgress job={job} /></td>
                      <td>{at(job.createdAt)}</td>
                      <td>{at(job.finishedAt)}</td>
                      <td class="result-version">{job.resultVersion ? <><code>{job.resultVersion.model.slug}</code> {job.resultVersion.version}</> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {hasNext && <div class="actions"><button type="button" class="secondary" disabled={busy} onClick={() => loadMore(cursor)}>Show more jobs</button></div>}
              {moreError && <ErrorMessage error={moreError} what="more jobs" />}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
