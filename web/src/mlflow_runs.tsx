// An experiment's runs as a table (the columns the user picks among its metrics and params,
// MLflow's own filter string, sorting by start time or any column, a page at a time), and the
// compare view: one metric of several runs on one chart, with their params and metrics side by side.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorBanner, Loading, SmartLink, Table } from './layout';
import {
  getExperiment,
  getRun,
  metricHistory,
  orderBy,
  searchRuns,
  type Column,
  type Experiment,
  type Run,
} from './mlflow_api';
import { MetricPlot, type PlotSeries } from './mlflow_plot';
import {
  compareHref,
  experimentHref,
  experimentsHref,
  fmtDuration,
  fmtNumber,
  MlflowTitle,
  msDate,
  NotConfigured,
  OpenMlflowUi,
  RunStatus,
  runHref,
  unavailable,
  useLoad,
} from './mlflow_ui';
import { navigate } from './router';
import { describe, TimeAgo, useErrors } from './ui';

/** Columns shown before the user picks: this many metrics, then params. */
const DEFAULT_METRICS = 4;
const DEFAULT_PARAMS = 4;
/** Runs compared at once. */
export const COMPARE_MAX = 10;

const colId = (c: Column) => `${c.kind}:${c.key}`;

/** Every metric and param key of the runs, sorted. */
function keysOf(runs: Run[]): { metrics: string[]; params: string[] } {
  const m = new Set<string>();
  const p = new Set<string>();
  for (const r of runs) {
    Object.keys(r.metrics).forEach((k) => m.add(k));
    Object.keys(r.params).forEach((k) => p.add(k));
  }
  return { metrics: [...m].sort(), params: [...p].sort() };
}

function ColumnPicker({ metrics, params, chosen, onToggle }: {
  metrics: string[];
  params: string[];
  chosen: Set<string>;
  onToggle: (c: Column) => void;
}) {
  const group = (kind: Column['kind'], keys: string[], title: string) =>
    keys.length > 0 && (
      <fieldset class="mlflow-columns-group">
        <legend>{title}</legend>
        {keys.map((key) => {
          const c: Column = { kind, key };
          return (
            <label key={key} class="check">
              <input type="checkbox" checked={chosen.has(colId(c))} onChange={() => onToggle(c)} data-testid="column-choice" data-column={colId(c)} />
              {key}
            </label>
          );
        })}
      </fieldset>
    );
  return (
    <details class="mlflow-columns">
      <summary>Columns</summary>
      {group('metric', metrics, 'Metrics')}
      {group('param', params, 'Parameters')}
    </details>
  );
}

export function RunsPage({ ns, experimentId }: { ns: string; experimentId: string }) {
  const { errors, report, clear } = useErrors();
  const experiment = useLoad<Experiment>((signal) => getExperiment(ns, experimentId, signal), [ns, experimentId]);
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState('');
  const [sortBy, setSortBy] = useState<string>('start');
  const [dir, setDir] = useState<'ASC' | 'DESC'>('DESC');
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [next, setNext] = useState('');
  const [more, setMore] = useState('');
  const [failed, setFailed] = useState<unknown>(null);
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const [selected, setSelected] = useState<string[]>([]);

  const sortColumn: Column | 'start' = sortBy === 'start' ? 'start' : { kind: sortBy.startsWith('metric:') ? 'metric' : 'param', key: sortBy.slice(sortBy.indexOf(':') + 1) };
  const order = orderBy(sortColumn, dir);

  // The first page on every new query; later pages are added by "Load more" (`more`).
  useEffect(() => {
    const abort = new AbortController();
    setFailed(null);
    searchRuns(ns, experimentId, { filter: applied, orderBy: order, pageToken: more }, abort.signal)
      .then((page) => {
        setRuns((old) => (more && old ? [...old, ...page.items] : page.items));
        setNext(page.next);
      })
      .catch((err) => {
        if (abort.signal.aborted) return;
        setFailed(err);
        if (!unavailable(err)) report('Could not search the runs', err);
      });
    return () => abort.abort();
  }, [ns, experimentId, applied, order, more]);

  const keys = useMemo(() => keysOf(runs ?? []), [runs]);
  const chosen =
    picked ??
    new Set([
      ...keys.metrics.slice(0, DEFAULT_METRICS).map((key) => colId({ kind: 'metric', key })),
      ...keys.params.slice(0, DEFAULT_PARAMS).map((key) => colId({ kind: 'param', key })),
    ]);
  const columns: Column[] = [
    ...keys.metrics.map((key) => ({ kind: 'metric' as const, key })),
    ...keys.params.map((key) => ({ kind: 'param' as const, key })),
  ].filter((c) => chosen.has(colId(c)));
  const toggle = (c: Column) => {
    const s = new Set(chosen);
    if (s.has(colId(c))) s.delete(colId(c));
    else s.add(colId(c));
    setPicked(s);
  };
  const restart = () => {
    setMore('');
    setRuns(null);
  };
  const select = (id: string, on: boolean) =>
    setSelected((s) => (on ? [...s.filter((x) => x !== id), id].slice(-COMPARE_MAX) : s.filter((x) => x !== id)));

  if (unavailable(failed) || unavailable(experiment.error)) return <NotConfigured />;
  const name = experiment.value?.name ?? experimentId;
  const now = Date.now();
  return (
    <div class="stack">
      <MlflowTitle trail={[['Experiments', experimentsHref(ns)]]} here={<span class="ns-name">{name}</span>} />
      <ErrorBanner messages={errors} onDismiss={clear} />
      {experiment.error !== null && !experiment.value && (
        <p class="card-note card">The experiment could not be loaded: {describe(experiment.error)}</p>
      )}
      <section class="card" aria-labelledby="runs-title" data-testid="runs">
        <div class="card-title card-title-row">
          <h2 id="runs-title" class="card-heading">
            Runs
          </h2>
          <span class="card-tools">
            <button
              type="button"
              class="button primary"
              disabled={selected.length < 2}
              onClick={() => navigate(compareHref(ns, experimentId, selected))}
              data-testid="compare-runs"
            >
              Compare{selected.length ? ` (${selected.length})` : ''}
            </button>
            <OpenMlflowUi ns={ns} route={`/experiments/${encodeURIComponent(experimentId)}`} />
          </span>
        </div>
        <form
          class="mlflow-toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            restart();
            setApplied(filter.trim());
          }}
        >
          <label for="runs-filter">Filter</label>
          <input
            id="runs-filter"
            class="mlflow-filter"
            spellcheck={false}
            placeholder="metrics.accuracy > 0.9 and params.solver = 'lbfgs'"
            value={filter}
            onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="button">
            Apply
          </button>
          <label for="runs-sort">Sort by</label>
          <select
            id="runs-sort"
            value={sortBy}
            onChange={(e) => {
              restart();
              setSortBy((e.currentTarget as HTMLSelectElement).value);
            }}
          >
            <option value="start">Start time</option>
            {keys.metrics.map((k) => (
              <option key={`m${k}`} value={`metric:${k}`}>
                {`metric ${k}`}
              </option>
            ))}
            {keys.params.map((k) => (
              <option key={`p${k}`} value={`param:${k}`}>
                {`param ${k}`}
              </option>
            ))}
          </select>
          <button
            type="button"
            class="button"
            aria-label={dir === 'DESC' ? 'Descending: sort ascending' : 'Ascending: sort descending'}
            onClick={() => {
              restart();
              setDir((d) => (d === 'DESC' ? 'ASC' : 'DESC'));
            }}
          >
            {dir === 'DESC' ? '↓ desc' : '↑ asc'}
          </button>
          <ColumnPicker metrics={keys.metrics} params={keys.params} chosen={chosen} onToggle={toggle} />
        </form>
        {runs === null ? (
          <Loading failed={failed ? 'The runs could not be loaded.' : false} />
        ) : runs.length === 0 ? (
          <p class="card-note" data-testid="runs-empty">
            {applied ? 'No run matches the filter.' : 'No runs in this experiment yet.'}
          </p>
        ) : (
          <Table
            labelledBy="runs-title"
            class="table-compact mlflow-runs"
            columns={['Compare', 'Run', 'Status', 'Started', 'Duration', ...columns.map((c) => (c.kind === 'metric' ? c.key : `${c.key} (param)`))]}
          >
            {runs.map((r) => (
              <tr key={r.id} data-testid="run-row" data-run={r.id} data-name={r.name}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Compare ${r.name || r.id}`}
                    checked={selected.includes(r.id)}
                    onChange={(e) => select(r.id, (e.currentTarget as HTMLInputElement).checked)}
                  />
                </td>
                <th scope="row">
                  <SmartLink target={{ href: runHref(ns, experimentId, r.id), mode: 'spa' }}>{r.name || r.id}</SmartLink>
                </th>
                <td>
                  <RunStatus status={r.status} />
                </td>
                <td>
                  <TimeAgo date={msDate(r.start)} now={now} />
                </td>
                <td>{fmtDuration(r.start, r.end)}</td>
                {columns.map((c) =>
                  c.kind === 'metric' ? (
                    <td key={colId(c)} class="num" title={r.metrics[c.key]?.toString()} data-metric={c.key}>
                      {fmtNumber(r.metrics[c.key])}
                    </td>
                  ) : (
                    <td key={colId(c)} data-param={c.key}>
                      {r.params[c.key] ?? ''}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </Table>
        )}
        {next && runs !== null && (
          <div class="mlflow-pager">
            <button type="button" class="button" onClick={() => setMore(next)}>
              Load more runs
            </button>
          </div>
        )}
      </section>
    </div>
  );
}

/* ------------------------------------------------------------------------------ compare */

export function ComparePage({ ns, experimentId, runIds }: { ns: string; experimentId: string; runIds: string[] }) {
  const ids = runIds.slice(0, COMPARE_MAX);
  const runs = useLoad<Run[]>((signal) => Promise.all(ids.map((id) => getRun(ns, id, signal))), [ns, ids.join(',')]);
  const experiment = useLoad<Experiment>((signal) => getExperiment(ns, experimentId, signal), [ns, experimentId]);
  const keys = useMemo(() => keysOf(runs.value ?? []), [runs.value]);
  const [metric, setMetric] = useState('');
  const shown = metric || keys.metrics[0] || '';
  const [series, setSeries] = useState<PlotSeries[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!runs.value || !shown) return;
    const abort = new AbortController();
    setSeries(null);
    setError(null);
    Promise.all(runs.value.map((r) => metricHistory(ns, r.id, shown, abort.signal)))
      .then((histories) =>
        setSeries(
          runs.value!.map((r, i) => ({ label: r.name || r.id, points: histories[i].map((m) => ({ step: m.step, value: m.value })) })),
        ),
      )
      .catch((err) => {
        if (!abort.signal.aborted) setError(describe(err));
      });
    return () => abort.abort();
  }, [runs.value, shown, ns]);

  if (unavailable(runs.error)) return <NotConfigured />;
  const name = experiment.value?.name ?? experimentId;
  return (
    <div class="stack">
      <MlflowTitle
        trail={[
          ['Experiments', experimentsHref(ns)],
          [name, experimentHref(ns, experimentId)],
        ]}
        here={`Compare ${ids.length} runs`}
      />
      {runs.error !== null && <p class="card-note card">The runs could not be loaded: {describe(runs.error)}</p>}
      {ids.length < 2 && <p class="card-note card">Pick at least two runs in the runs table to compare them.</p>}
      <section class="card" aria-labelledby="compare-title" data-testid="compare">
        <div class="card-title card-title-row">
          <h2 id="compare-title" class="card-heading">
            {shown ? `${shown} by step` : 'Metrics'}
          </h2>
          <span class="card-tools">
            <label for="compare-metric">Metric</label>
            <select id="compare-metric" value={shown} onChange={(e) => setMetric((e.currentTarget as HTMLSelectElement).value)}>
              {keys.metrics.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </span>
        </div>
        <div class="card-body">
          {error ? (
            <p class="card-note">The histories could not be loaded: {error}</p>
          ) : runs.value && !shown ? (
            <p class="card-note">These runs logged no metrics.</p>
          ) : series === null ? (
            <Loading />
          ) : (
            <MetricPlot title={`${shown} of ${series.length} runs`} series={series} testid="compare-plot" />
          )}
        </div>
      </section>
      {runs.value && runs.value.length > 0 && (
        <section class="card" aria-labelledby="compare-table-title">
          <h2 id="compare-table-title" class="card-title">
            Side by side
          </h2>
          <Table labelledBy="compare-table-title" class="table-compact" columns={['', ...runs.value.map((r) => r.name || r.id)]}>
            {keys.metrics.map((k) => (
              <tr key={`m${k}`}>
                <th scope="row">{k}</th>
                {runs.value!.map((r) => (
                  <td key={r.id} class="num">
                    {fmtNumber(r.metrics[k])}
                  </td>
                ))}
              </tr>
            ))}
            {keys.params.map((k) => (
              <tr key={`p${k}`}>
                <th scope="row">
                  {k} <span class="muted">(param)</span>
                </th>
                {runs.value!.map((r) => (
                  <td key={r.id}>{r.params[k] ?? ''}</td>
                ))}
              </tr>
            ))}
          </Table>
        </section>
      )}
    </div>
  );
}
