import { useMemo, useState } from 'preact/hooks';
import { Empty, ErrorMessage, Loaded } from '../components/states';
import { UsageChart, UsageTable } from '../components/usage-chart';
import { downloadWithKey } from '../download';
import { useQuery } from '../use-query';
import {
  ApiUsageBucket, Bucket, customWindow, Meter, METERS, Preset, PRESETS, presetWindow, seriesOf, UsageWindow, utcDateString,
} from '../usage-range';

export const USAGE_QUERY = `query ConsoleUsage($filter: UsageFilter!, $bucket: UsageBucketSize!) {
  usage(filter: $filter, bucket: $bucket, groupBy: [MODEL, METER]) { start end meter quantity model { id slug name } } }`;

type Choice = { kind: 'preset'; preset: Preset } | { kind: 'custom'; from: string; to: string; bucket: Bucket };

/** What the page says about whose usage it shows, per kind of key. */
export type UsageAudience = 'own' | 'vendor' | 'all';
const INTRO: Record<UsageAudience, string> = {
  own: "Your organisation's metered usage, per model.",
  vendor: 'Usage of your models by every subscriber (and your own calls), per model.',
  all: 'Usage of every organisation (ADMIN), per model.',
};

/** Usage over a chosen UTC range: a chart per meter, one line per model, and the same numbers as a table. */
export function UsagePage({ apiKey, audience, mayExport }: { apiKey: string; audience: UsageAudience; mayExport: boolean }) {
  const [exported, setExported] = useState<{ ok: boolean; text: string } | null>(null);
  const [choice, setChoice] = useState<Choice>({ kind: 'preset', preset: '7d' });
  const [meter, setMeter] = useState<Meter>('REQUESTS');
  const today = utcDateString(new Date());
  const [draft, setDraft] = useState({ from: utcDateString(new Date(Date.now() - 13 * 86_400_000)), to: today, bucket: 'DAY' as Bucket });
  const window: UsageWindow | { error: string } = useMemo(
    () => (choice.kind === 'preset' ? presetWindow(choice.preset, new Date()) : customWindow(choice.from, choice.to, choice.bucket)),
    [JSON.stringify(choice)],
  );
  const variables = 'error' in window ? null : { filter: { from: window.from.toISOString(), to: window.to.toISOString() }, bucket: window.bucket };
  const state = useQuery<{ usage: ApiUsageBucket[] }>(apiKey, USAGE_QUERY, variables);
  const applyCustom = (event: Event) => {
    event.preventDefault();
    setChoice({ kind: 'custom', ...draft });
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>Usage</h1>
      <p>{INTRO[audience]} Times are UTC.</p>
      <div class="controls">
        <fieldset>
          <legend>Range</legend>
          {PRESETS.map((p) => (
            <label class="choice">
              <input type="radio" name="range" value={p.id} checked={choice.kind === 'preset' && choice.preset === p.id}
                onChange={() => setChoice({ kind: 'preset', preset: p.id })} /> {p.label}
            </label>
          ))}
        </fieldset>
        <form class="custom-range" onSubmit={applyCustom} aria-label="Custom range">
          <fieldset>
            <legend>Custom range (UTC, both days included)</legend>
            <label for="range-from">From</label> <input id="range-from" type="date" name="from" value={draft.from} max={today} onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} />
            <label for="range-to">To</label> <input id="range-to" type="date" name="to" value={draft.to} onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} />
            <label for="range-bucket">Bucket size</label> <select id="range-bucket" name="bucket" value={draft.bucket} onChange={(e) => setDraft({ ...draft, bucket: (e.target as HTMLSelectElement).value as Bucket })}>
              <option value="DAY">day</option>
              <option value="HOUR">hour</option>
            </select>
            <button type="submit">Show range</button>
          </fieldset>
        </form>
        <span class="meter-choice"><label for="usage-meter">Meter</label> <select id="usage-meter" name="meter" value={meter} onChange={(e) => setMeter((e.target as HTMLSelectElement).value as Meter)}>
          {METERS.map((m) => <option value={m}>{m}</option>)}
        </select></span>
      </div>
      {mayExport && !('error' in window) && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => downloadWithKey(apiKey,
            `/v1/usage.csv?from=${encodeURIComponent(window.from.toISOString())}&to=${encodeURIComponent(window.to.toISOString())}`, 'usage.csv')
            .then((name) => setExported({ ok: true, text: `Downloaded ${name}: every usage event of this range.` }), (e: Error) => setExported({ ok: false, text: `Could not export: ${e.message}` }))}>
            Export events as CSV
          </button>
        </div>
      )}
      {exported && <p class={`state ${exported.ok ? 'state-notice' : 'state-error'}`} role={exported.ok ? 'status' : 'alert'}>{exported.text}</p>}
      {'error' in window
        ? <ErrorMessage error={window.error} what="this range" />
        : (
          <Loaded state={state} what="usage">
            {({ usage }) => <UsageResult usage={usage} meter={meter} window={window} />}
          </Loaded>
        )}
    </section>
  );
}

/** The answer for one window and meter: the range, then the chart and table (or the empty state). */
function UsageResult({ usage, meter, window }: { usage: ApiUsageBucket[]; meter: Meter; window: UsageWindow }) {
  const series = useMemo(() => seriesOf(usage, meter, window), [usage, meter, window]);
  const at = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');
  return (
    <div class="usage-result" data-from={window.from.toISOString()} data-to={window.to.toISOString()}>
      <p class="range-note">{at(window.from)} to {at(window.to)} UTC (end exclusive), per {window.bucket === 'HOUR' ? 'hour' : 'day'}</p>
      {series.series.length === 0
        ? <Empty>No {meter} usage in this range.</Empty>
        : (
          <>
            <UsageChart usage={series} bucket={window.bucket} meter={meter} />
            <UsageTable usage={series} bucket={window.bucket} meter={meter} />
          </>
        )}
    </div>
  );
}
