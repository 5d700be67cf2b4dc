// One MLflow run: what it was (status, times, who, where its artifacts are), its params and latest
// metrics, a chart of each metric's history, its tags, and its artifacts to browse and download.
// Owners and contributors may delete it.

import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { Icon } from './icons';
import { ErrorBanner, Loading, Table } from './layout';
import {
  artifactHref,
  deleteRun,
  getExperiment,
  getRun,
  listArtifacts,
  metricHistory,
  pinWorkspaceCookie,
  type ArtifactFile,
  type Experiment,
  type Run,
} from './mlflow_api';
import { MetricPlot, type PlotSeries } from './mlflow_plot';
import {
  experimentHref,
  experimentsHref,
  fmtDuration,
  fmtNumber,
  mayWrite,
  MlflowTitle,
  msDate,
  NotConfigured,
  OpenMlflowUi,
  RunStatus,
  unavailable,
  useLoad,
} from './mlflow_ui';
import type { EnvState } from './namespaces';
import { navigate } from './router';
import { describe, Dialog, TimeAgo, useErrors } from './ui';
import { Facts } from './workloads';

/** Metric charts drawn on one run's page; more are listed, not drawn. */
const PLOTS_MAX = 12;

function MetricPlots({ ns, run }: { ns: string; run: Run }) {
  const keys = Object.keys(run.metrics).sort();
  const drawn = keys.slice(0, PLOTS_MAX);
  const [series, setSeries] = useState<Record<string, PlotSeries[]>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    for (const key of drawn) {
      metricHistory(ns, run.id, key, abort.signal)
        .then((h) =>
          setSeries((s) => ({ ...s, [key]: [{ label: key, points: h.map((m) => ({ step: m.step, value: m.value })) }] })),
        )
        .catch((err) => {
          if (!abort.signal.aborted) setError(describe(err));
        });
    }
    return () => abort.abort();
  }, [ns, run.id]);
  if (keys.length === 0) return <p class="card-note">This run logged no metrics.</p>;
  return (
    <div class="card-body">
      {error && <p class="card-note">Some histories could not be loaded: {error}</p>}
      <div class="mlflow-plots">
        {drawn.map((key) =>
          series[key] ? <MetricPlot key={key} title={key} series={series[key]} /> : <Loading key={key} />,
        )}
      </div>
      {keys.length > PLOTS_MAX && <p class="muted">{keys.length - PLOTS_MAX} more metrics are in the table above.</p>}
    </div>
  );
}

function fmtSize(n: number | null): string {
  if (n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function Artifacts({ ns, runId }: { ns: string; runId: string }) {
  const [dir, setDir] = useState('');
  const files = useLoad<ArtifactFile[]>((signal) => listArtifacts(ns, runId, dir, signal), [ns, runId, dir]);
  const up = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  return (
    <section class="card" aria-labelledby="artifacts-title" data-testid="artifacts">
      <div class="card-title card-title-row">
        <h2 id="artifacts-title" class="card-heading">
          Artifacts{dir && <span class="muted"> / {dir}</span>}
        </h2>
        {dir && (
          <span class="card-tools">
            <button type="button" class="button" onClick={() => setDir(up)}>
              Up
            </button>
          </span>
        )}
      </div>
      {files.value === undefined ? (
        <Loading failed={files.error ? `The artifacts could not be listed: ${describe(files.error)}` : false} />
      ) : files.value.length === 0 ? (
        <p class="card-note" data-testid="artifacts-empty">
          No artifacts here.
        </p>
      ) : (
        <Table labelledBy="artifacts-title" class="table-compact" columns={['Name', 'Size']}>
          {files.value.map((f) => {
            const name = f.path.slice(f.path.lastIndexOf('/') + 1);
            return (
              <tr key={f.path} data-testid="artifact-row" data-path={f.path}>
                <th scope="row">
                  {f.isDir ? (
                    <button type="button" class="linkish" onClick={() => setDir(f.path)}>
                      {name}/
                    </button>
                  ) : (
                    <a href={artifactHref(runId, f.path)} download={name} onClick={() => pinWorkspaceCookie(ns)}>
                      <Icon name="description" />
                      {name}
                    </a>
                  )}
                </th>
                <td class="num">{f.isDir ? '' : fmtSize(f.size)}</td>
              </tr>
            );
          })}
        </Table>
      )}
    </section>
  );
}

function KeyValues({ id, title, values, testid }: { id: string; title: string; values: [string, string][]; testid: string }) {
  return (
    <section class="card" aria-labelledby={id} data-testid={testid}>
      <h2 id={id} class="card-title">
        {title}
      </h2>
      {values.length === 0 ? (
        <p class="card-note">None.</p>
      ) : (
        <Table labelledBy={id} class="table-compact" columns={['Name', 'Value']}>
          {values.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td class="wrap">{v}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

export function RunPage({ ns, envState, experimentId, runId }: {
  ns: string;
  envState: EnvState;
  experimentId: string;
  runId: string;
}) {
  const run = useLoad<Run>((signal) => getRun(ns, runId, signal), [ns, runId]);
  const expId = run.value?.experimentId || (experimentId !== '-' ? experimentId : '');
  const experiment = useLoad<Experiment | null>(
    (signal) => (expId ? getExperiment(ns, expId, signal) : Promise.resolve(null)),
    [ns, expId],
  );
  const { errors, report, clear } = useErrors();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const writes = mayWrite(envState, ns);

  if (unavailable(run.error)) return <NotConfigured />;
  const r = run.value;
  const expName = experiment.value?.name ?? expId;
  const trail: [string, string][] = [['Experiments', experimentsHref(ns)]];
  if (expId) trail.push([expName, experimentHref(ns, expId)]);
  const now = Date.now();
  const remove = async () => {
    setBusy(true);
    try {
      await deleteRun(ns, runId);
      navigate(expId ? experimentHref(ns, expId) : experimentsHref(ns));
    } catch (err) {
      report(`Could not delete the run`, err);
      setBusy(false);
      setAsking(false);
    }
  };
  if (run.error && !r) {
    const gone = run.error instanceof ApiError && run.error.status === 404;
    return (
      <div class="stack">
        <MlflowTitle trail={trail} here={<span class="ns-name">{runId}</span>} />
        <p class="card-note card" data-testid="run-gone">
          {gone ? `There is no run ${runId} in ${ns}.` : `The run could not be loaded: ${describe(run.error)}`}
        </p>
      </div>
    );
  }
  const userTags = r ? Object.entries(r.tags).filter(([k]) => !k.startsWith('mlflow.')) : [];
  return (
    <div class="stack">
      <MlflowTitle trail={trail} here={<span class="ns-name">{r?.name || runId}</span>} />
      <ErrorBanner messages={errors} onDismiss={clear} />
      <section class="card" aria-labelledby="run-title" data-testid="run-detail" data-rights={writes ? 'write' : 'read'}>
        <div class="card-title card-title-row">
          <h2 id="run-title" class="card-heading">
            <span class="ns-name">{r?.name || runId}</span>
          </h2>
          <span class="card-tools">
            {r && <RunStatus status={r.status} />}
            <OpenMlflowUi ns={ns} route={`/experiments/${encodeURIComponent(expId)}/runs/${encodeURIComponent(runId)}`} />
            {writes && r && r.lifecycle !== 'deleted' && (
              <button type="button" class="button danger" onClick={() => setAsking(true)} disabled={busy}>
                Delete run
              </button>
            )}
          </span>
        </div>
        {r ? (
          <Facts
            items={[
              ['Run ID', <span class="ns-name">{r.id}</span>],
              ['Started', <TimeAgo date={msDate(r.start)} now={now} />],
              ['Duration', fmtDuration(r.start, r.end)],
              ['User', r.user],
              ['Source', r.tags['mlflow.source.name'] ?? ''],
              ['Artifacts', <span class="wrap">{r.artifactUri}</span>],
              ...(r.lifecycle === 'deleted' ? [['State', 'deleted'] as [string, string]] : []),
            ]}
          />
        ) : (
          <Loading />
        )}
      </section>
      {r && (
        <>
          <div class="mlflow-two">
            <KeyValues id="params-title" title="Parameters" testid="run-params" values={Object.entries(r.params).sort()} />
            <KeyValues
              id="metrics-title"
              title="Metrics (latest)"
              testid="run-metrics"
              values={Object.entries(r.metrics)
                .sort()
                .map(([k, v]) => [k, fmtNumber(v)])}
            />
          </div>
          <section class="card" aria-labelledby="plots-title">
            <h2 id="plots-title" class="card-title">
              Metric history
            </h2>
            <MetricPlots ns={ns} run={r} />
          </section>
          {userTags.length > 0 && <KeyValues id="tags-title" title="Tags" testid="run-tags" values={userTags.sort()} />}
          <Artifacts ns={ns} runId={r.id} />
        </>
      )}
      {asking && (
        <Dialog
          title={`Delete run ${r?.name || runId}?`}
          submitText="Delete"
          busyText="Deleting…"
          danger
          busy={busy}
          onSubmit={remove}
          onCancel={() => setAsking(false)}
          testid="confirm-delete"
        >
          <p>The run moves to MLflow's deleted runs; MLflow's garbage collection removes it for good later.</p>
        </Dialog>
      )}
    </div>
  );
}
