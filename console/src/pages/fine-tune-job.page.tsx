import { useEffect, useMemo, useState } from 'preact/hooks';
import { EpochChart, EpochSeries } from '../components/epoch-chart';
import { Empty, ErrorMessage, Loaded } from '../components/states';
import { bestAccuracy, curvesOf, EpochMetrics, formatLoss, formatShare, isActive } from '../fine-tune-math';
import { useQuery } from '../use-query';
import { at, FineTuneJobRow, JobProgress } from './fine-tune-jobs.page';

interface FineTuneJobDetail extends FineTuneJobRow {
  startedAt: string | null;
  attempts: number;
  hyperparameters: { epochs: number; learningRate: number; batchSize: number; seed: number };
  baseline: { validationAccuracy: number; sharedLabels: string[] } | null;
  epochMetrics: EpochMetrics[];
  events: Array<{ at: string; level: 'INFO' | 'WARNING' | 'ERROR'; type: string; message: string }>;
}

export const FINE_TUNE_JOB_QUERY = `query ConsoleFineTuneJob($id: ID!) { fineTuneJob(id: $id) {
  id status suffix createdAt startedAt finishedAt trainedSteps totalSteps attempts cancelRequested
  hyperparameters { epochs learningRate batchSize seed } baseModel { slug name }
  dataset { format rowCount trainRows validationRows } resultVersion { id version model { slug name } } error { code message }
  baseline { validationAccuracy sharedLabels }
  epochMetrics { epoch step bodyTrained trainLoss trainAccuracy validationLoss validationAccuracy at }
  events { at level type message } } }`;

/** How often a job that may still change is asked for again. */
const POLL_MS = 3000;

/** Partner: one fine-tune job, its loss and accuracy curves per epoch (and the table of them), and its log; polled while it runs. */
export function FineTuneJobPage({ apiKey, jobId }: { apiKey: string; jobId: string }) {
  const [tick, setTick] = useState(0);
  const state = useQuery<{ fineTuneJob: FineTuneJobDetail | null }>(apiKey, FINE_TUNE_JOB_QUERY, { id: jobId }, tick, true);
  const active = state.status === 'done' && state.data.fineTuneJob !== null && isActive(state.data.fineTuneJob.status);
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => setTick(tick + 1), POLL_MS);
    return () => clearTimeout(timer);
  }, [active, state]);
  return (
    <section aria-labelledby="page-title">
      <p><a href="#/fine-tuning">← All fine-tune jobs</a></p>
      <Loaded state={state} what="the fine-tune job">
        {({ fineTuneJob }) => fineTuneJob
          ? <Job job={fineTuneJob} />
          : <><h1 id="page-title" tabIndex={-1}>Fine-tune job</h1><ErrorMessage error="There is no such fine-tune job in your organisation (NOT_FOUND)." what="the fine-tune job" /></>}
      </Loaded>
    </section>
  );
}

function Job({ job }: { job: FineTuneJobDetail }) {
  const h = job.hyperparameters;
  return (
    <div class="fine-tune-job" data-job={job.id} data-status={job.status}>
      <h1 id="page-title" tabIndex={-1}>Fine-tune {job.suffix ?? 'job'} <span class={`badge badge-${job.status.toLowerCase()}`}>{job.status}</span></h1>
      <dl class="facts">
        <dt>Base model</dt><dd>{job.baseModel ? <>{job.baseModel.name} (<code>{job.baseModel.slug}</code>)</> : '—'}</dd>
        <dt>Dataset</dt><dd>{job.dataset ? `${job.dataset.format}, ${job.dataset.rowCount.toLocaleString('en-US')} rows: ${job.dataset.trainRows.toLocaleString('en-US')} to train on, ${job.dataset.validationRows.toLocaleString('en-US')} to validate` : '—'}</dd>
        <dt>Progress</dt><dd><JobProgress job={job} />{isActive(job.status) && <span class="muted"> · refreshed every {POLL_MS / 1000} s</span>}</dd>
        <dt>Hyperparameters</dt><dd>{h.epochs} epochs, learning rate {h.learningRate}, batch size {h.batchSize}, seed {h.seed}</dd>
        <dt>Created</dt><dd>{at(job.createdAt)}{job.startedAt && `; started ${at(job.startedAt)}`}{job.attempts > 1 && ` (${job.attempts} attempts: resumed from a checkpoint)`}</dd>
        <dt>Finished</dt><dd>{at(job.finishedAt)}</dd>
        <dt>Base model's accuracy</dt><dd class="baseline">{job.baseline ? `${formatShare(job.baseline.validationAccuracy)} on this job's validation rows` : 'not measured yet'}</dd>
        <dt>Result</dt><dd class="result-version">{job.resultVersion ? <>version {job.resultVersion.version} of the private model <code>{job.resultVersion.model.slug}</code></> : '—'}</dd>
      </dl>
      {job.error && <div class="state state-error" role="alert"><strong>The job failed: {job.error.code}.</strong> {job.error.message}</div>}
      <h2>Training curves</h2>
      {job.epochMetrics.length === 0
        ? <Empty>{isActive(job.status) ? 'No epoch has finished yet; the curves appear after the first one.' : 'This job finished no epoch, so it has no curves.'}</Empty>
        : <Curves metrics={job.epochMetrics} baseline={job.baseline?.validationAccuracy ?? null} headEpochs={h.epochs} />}
      <h2>Log</h2>
      {job.events.length === 0 ? <Empty>Nothing logged yet.</Empty> : (
        <ol class="events" aria-label="Job log, oldest first">
          {job.events.map((e) => <li class={`level-${e.level}`}><span class="muted">{at(e.at)}</span> {e.level !== 'INFO' && <strong>{e.level}: </strong>}{e.message}</li>)}
        </ol>
      )}
    </div>
  );
}

function Curves({ metrics, baseline, headEpochs }: { metrics: EpochMetrics[]; baseline: number | null; headEpochs: number }) {
  const curves = useMemo(() => curvesOf(metrics, baseline), [metrics, baseline]);
  const loss: EpochSeries[] = useMemo(() => [
    { label: 'Training loss', values: curves.trainLoss, color: '#2563eb' },
    { label: 'Validation loss', values: curves.validationLoss, color: '#d97706' },
  ], [curves]);
  const accuracy: EpochSeries[] = useMemo(() => [
    { label: 'Validation accuracy', values: curves.validationAccuracy, color: '#059669' },
    { label: 'Training accuracy', values: curves.trainAccuracy, color: '#7c3aed' },
    ...(curves.baseline ? [{ label: 'Base model', values: curves.baseline, color: '#6b7280', reference: true }] : []),
  ], [curves]);
  const last = metrics[metrics.length - 1];
  const best = bestAccuracy(metrics);
  const n = `${metrics.length} epoch${metrics.length === 1 ? '' : 's'}`;
  const lossSummary = `Training and validation loss per epoch, ${n}; after epoch ${last.epoch}: training ${formatLoss(last.trainLoss)}, validation ${formatLoss(last.validationLoss)}. The table below has every value.`;
  const accuracySummary = `Validation accuracy per epoch, ${n}; ${best ? `best ${formatShare(best.accuracy)} at epoch ${best.epoch}` : 'no validation rows'}`
    + `${baseline !== null ? `; the base model scored ${formatShare(baseline)} (dashed reference line)` : ''}. The table below has every value.`;
  const bodyStage = metrics.some((m) => m.bodyTrained);
  return (
    <>
      {bodyStage && <p class="muted">Epochs after {headEpochs} trained the embedding table too: the head alone fell short of the quality bar.</p>}
      <div class="charts">
        <div><h3>Loss</h3><EpochChart name="loss" epochs={curves.epochs} series={loss} summary={lossSummary} yRange="from-zero" format={(v) => v.toFixed(2)} /></div>
        <div><h3>Accuracy</h3><EpochChart name="accuracy" epochs={curves.epochs} series={accuracy} summary={accuracySummary} yRange="share" format={(v) => `${Math.round(v * 100)}%`} /></div>
      </div>
      <table class="data epoch-table">
        <caption>Figures per epoch{baseline !== null ? `; the base model's validation accuracy was ${formatShare(baseline)}` : ''}</caption>
        <thead><tr>
          <th scope="col">Epoch</th><th scope="col">Trained</th><th scope="col" class="num">Steps</th><th scope="col" class="num">Training loss</th>
          <th scope="col" class="num">Validation loss</th><th scope="col" class="num">Training accuracy</th><th scope="col" class="num">Validation accuracy</th><th scope="col">Ended (UTC)</th>
        </tr></thead>
        <tbody>
          {metrics.map((m) => (
            <tr data-epoch={m.epoch}>
              <th scope="row">{m.epoch}</th>
              <td>{m.bodyTrained ? 'head and embeddings' : 'head'}</td>
              <td class="num">{m.step.toLocaleString('en-US')}</td>
              <td class="num">{formatLoss(m.trainLoss)}</td>
              <td class="num">{formatLoss(m.validationLoss)}</td>
              <td class="num">{formatShare(m.trainAccuracy)}</td>
              <td class="num validation-accuracy">{formatShare(m.validationAccuracy)}</td>
              <td>{at(m.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
