// Home's view of the selected namespace at a glance: notebooks (running, stopped, failing), Spark
// applications (running, failed today), endpoints (ready or not, with request rate and errors
// from Prometheus), recent MLflow runs with their main metric, quota use as bars, recent warnings,
// and CPU and memory over the last hour; for cluster admins, the cluster's model traffic too.
// Each card links to its page and loads on its own: a service that is not configured is a short
// note in its card, never an error for the page. A chunk of its own, fetched by Home (pages.tsx)
// once a namespace is selected, so the first load stays small; uPlot comes later still.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJSON } from './api';
import {
  errorText as describe,
  fetchChart,
  fetchChartList,
  formatValue,
  lastValue,
  timeOf as parseTime,
  type Chart,
  type ChartList,
} from './charts';
import { ChartPanel, refreshMs } from './charts_plot';
import { asString, isObject, objects } from './json';
import { withNamespaceQuery } from './links';
import { mlflowCall, toRun, type Run } from './mlflow_api';
import { fetchEnvInfo } from './namespaces';
import { type NamespaceQuota, fetchQuota } from './quota';
import { QuotaBars } from './quota_view';
import {
  ACTIVITY_PATH,
  DIAGNOSTICS_PATH,
  ENDPOINTS_PATH,
  EXPERIMENTS_PATH,
  NOTEBOOKS_PATH,
  SPARK_PATH,
  navigate,
} from './router';
import './home.css';

const enc = encodeURIComponent;
const HOUR = 3600;
const RUNS_SHOWN = 5;
const WARNINGS_SHOWN = 5;

/** What a card shows: loading, a note (not configured, nothing there), an error, or its data. */
type Loaded<T> = { state: 'loading' } | { state: 'note'; text: string } | { state: 'error'; text: string } | { state: 'ok'; data: T };

/** Loads a card's data once per namespace; a 503 (the service is not configured) is a note. */
function useLoaded<T>(ns: string, load: (signal: AbortSignal) => Promise<T>, notConfigured: string): Loaded<T> {
  const [v, setV] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    setV({ state: 'loading' });
    const abort = new AbortController();
    load(abort.signal).then(
      (data) => abort.signal.aborted || setV({ state: 'ok', data }),
      (err) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.status === 503) setV({ state: 'note', text: notConfigured });
        else setV({ state: 'error', text: describe(err) });
      },
    );
    return () => abort.abort();
  }, [ns]);
  return v;
}

/** A glance card: its title links to its page. */
function Card({ id, title, href, children, wide }: {
  id: string;
  title: string;
  href: string;
  children: ComponentChildren;
  wide?: boolean;
}) {
  return (
    <section class={wide ? 'card glance-card glance-wide' : 'card glance-card'} aria-labelledby={`glance-${id}`} data-testid={`glance-${id}`}>
      <h2 id={`glance-${id}`} class="card-title glance-title">
        <a
          href={href}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            navigate(href);
          }}
        >
          {title}
        </a>
      </h2>
      <div class="glance-body">{children}</div>
    </section>
  );
}

/** A card's state other than its data, in words. */
function Otherwise({ v }: { v: Loaded<unknown> }) {
  if (v.state === 'loading')
    return (
      <p class="card-note" aria-busy="true">
        Loading…
      </p>
    );
  if (v.state === 'note')
    return (
      <p class="card-note" data-testid="glance-note">
        {v.text}
      </p>
    );
  if (v.state === 'error')
    return (
      <p class="card-note glance-error" data-testid="glance-error">
        {v.text}
      </p>
    );
  return null;
}

/** Big numbers side by side: [label, count, testid, tone]. */
function Counts({ items }: { items: [string, number, string, string][] }) {
  return (
    <dl class="glance-counts">
      {items.map(([label, n, id, tone]) => (
        <div key={id} class={`glance-count glance-${tone}`} data-testid={`count-${id}`} data-count={n}>
          <dt>{label}</dt>
          <dd>{n}</dd>
        </div>
      ))}
    </dl>
  );
}

/* ----------------------------------------------------------------------------- notebooks */

interface NotebookFacts {
  name: string;
  phase: string;
  stopped: boolean;
}

const FAILING = new Set(['error', 'warning', 'unavailable']);

function NotebooksCard({ ns }: { ns: string }) {
  const v = useLoaded(
    ns,
    async (signal) =>
      objects((await getJSON(`/api/namespaces/${enc(ns)}/notebooks`, signal) as { notebooks?: unknown }).notebooks).map(
        (n): NotebookFacts => ({
          name: asString(n.name),
          phase: isObject(n.status) ? asString(n.status.phase) : '',
          stopped: n.stopped === true,
        }),
      ),
    'Notebooks are not available: kfdash has no Kubernetes API server.',
  );
  return (
    <Card id="notebooks" title="Notebooks" href={withNamespaceQuery(NOTEBOOKS_PATH, ns)}>
      {v.state !== 'ok' ? (
        <Otherwise v={v} />
      ) : (
        <>
          <Counts
            items={[
              ['Running', v.data.filter((n) => n.phase === 'ready').length, 'running', 'ok'],
              ['Stopped', v.data.filter((n) => n.stopped || n.phase === 'stopped').length, 'stopped', 'idle'],
              ['Failing', v.data.filter((n) => FAILING.has(n.phase)).length, 'failing', 'bad'],
            ]}
          />
          {v.data.filter((n) => FAILING.has(n.phase)).length > 0 && (
            <p class="glance-line">
              Failing: {v.data.filter((n) => FAILING.has(n.phase)).map((n) => n.name).join(', ')}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

/* ---------------------------------------------------------------------------------- Spark */

interface SparkFacts {
  name: string;
  state: string;
  ended: Date | null;
}

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function SparkCard({ ns }: { ns: string }) {
  const v = useLoaded(
    ns,
    async (signal) =>
      objects((await getJSON(`/api/namespaces/${enc(ns)}/sparkapplications`, signal) as { applications?: unknown }).applications).map(
        (a): SparkFacts => ({
          name: asString(a.name),
          state: asString(a.state),
          ended: parseTime(a.terminatedAt) ?? parseTime(a.submittedAt) ?? parseTime(a.createdAt),
        }),
      ),
    'Spark applications are not available: kfdash has no Kubernetes API server.',
  );
  const today = startOfToday();
  const failed = v.state === 'ok' ? v.data.filter((a) => /FAIL/.test(a.state) && (a.ended?.getTime() ?? 0) >= today) : [];
  return (
    <Card id="spark" title="Spark applications" href={withNamespaceQuery(SPARK_PATH, ns)}>
      {v.state !== 'ok' ? (
        <Otherwise v={v} />
      ) : (
        <>
          <Counts
            items={[
              ['Running', v.data.filter((a) => a.state === 'RUNNING').length, 'spark-running', 'ok'],
              ['Failed today', failed.length, 'spark-failed', 'bad'],
              ['In all', v.data.length, 'spark-all', 'idle'],
            ]}
          />
          {failed.length > 0 && <p class="glance-line">Failed today: {failed.map((a) => a.name).join(', ')}</p>}
        </>
      )}
    </Card>
  );
}

/* ------------------------------------------------------------------------------ endpoints */

interface EndpointFacts {
  name: string;
  ready: boolean;
  state: string;
}

/** The last value of each endpoint's series in a chart, by endpoint. */
function byEndpoint(c: Chart | null): Map<string, number | null> {
  const m = new Map<string, number | null>();
  for (const s of c?.series ?? []) m.set(s.labels.serving_kserve_io_inferenceservice ?? s.label, lastValue(s));
  return m;
}

function EndpointsCard({ ns, charts }: { ns: string; charts: ChartList | null }) {
  const v = useLoaded(
    ns,
    async (signal) =>
      objects((await getJSON(`/api/namespaces/${enc(ns)}/inferenceservices`, signal) as { inferenceServices?: unknown }).inferenceServices).map(
        (e): EndpointFacts => ({ name: asString(e.name), ready: e.ready === true, state: asString(e.state) }),
      ),
    'Endpoints are not available: kfdash has no Kubernetes API server.',
  );
  const [rates, setRates] = useState<Chart | null>(null);
  const [errors, setErrors] = useState<Chart | null>(null);
  const prometheus = charts?.configured === true;
  const every = refreshMs(charts?.scrapeInterval ?? NaN);
  // The error ratios follow the request rates (their ChartPanel below), at the same pace.
  useEffect(() => {
    setErrors(null);
    if (!prometheus) return;
    const abort = new AbortController();
    const load = () =>
      fetchChart({ ns, chart: 'endpoint-errors', range: HOUR }, abort.signal).then(
        (c) => abort.signal.aborted || setErrors(c),
        () => {},
      );
    load();
    const timer = setInterval(load, every);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [ns, prometheus, every]);
  const rate = byEndpoint(rates);
  const error = byEndpoint(errors);
  return (
    <Card id="endpoints" title="Endpoints" href={withNamespaceQuery(ENDPOINTS_PATH, ns)} wide>
      {v.state !== 'ok' ? (
        <Otherwise v={v} />
      ) : (
        <>
          <Counts
            items={[
              ['Ready', v.data.filter((e) => e.ready).length, 'endpoints-ready', 'ok'],
              ['Not ready', v.data.filter((e) => !e.ready).length, 'endpoints-not-ready', 'bad'],
            ]}
          />
          {v.data.length > 0 && (
            <table class="glance-table" data-testid="endpoint-rows">
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">State</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {v.data.map((e) => (
                  <tr key={e.name} data-testid="endpoint-row" data-name={e.name} data-rate={rate.get(e.name) ?? ''}>
                    <td>
                      <a
                        href={withNamespaceQuery(`${ENDPOINTS_PATH}/details/${enc(e.name)}`, ns)}
                        onClick={(ev) => {
                          ev.preventDefault();
                          navigate(withNamespaceQuery(`${ENDPOINTS_PATH}/details/${enc(e.name)}`, ns));
                        }}
                      >
                        {e.name}
                      </a>
                    </td>
                    <td>
                      <span class={`chip ${e.ready ? 'chip-ok' : e.state === 'failed' ? 'chip-error' : 'chip-pending'}`}>
                        {e.ready ? 'ready' : e.state || 'pending'}
                      </span>
                    </td>
                    <td>{prometheus ? formatValue(rate.get(e.name) ?? null, 'req/s') : '–'}</td>
                    <td>{prometheus ? formatValue(error.get(e.name) ?? null, 'ratio') : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {charts === null ? null : !prometheus ? (
            <p class="card-note" data-testid="glance-note">
              Request rates and errors need Prometheus: kfdash has none configured (prometheus.url).
            </p>
          ) : (
            v.data.length > 0 && (
              <ChartPanel ask={{ ns, chart: 'endpoint-requests', range: HOUR }} title="Requests per second, last hour" onChart={setRates} />
            )
          )}
        </>
      )}
    </Card>
  );
}

/* ---------------------------------------------------------------------------- MLflow runs */

/** The metric a run is judged by: a well-known name if it logged one, else its first. */
const MAIN_METRICS = ['accuracy', 'acc', 'f1', 'f1_score', 'auc', 'roc_auc', 'r2', 'rmse', 'mse', 'mae', 'loss'];

export function mainMetric(run: Run): [string, number] | null {
  const keys = Object.keys(run.metrics);
  if (!keys.length) return null;
  const lower = new Map(keys.map((k) => [k.toLowerCase(), k]));
  for (const m of MAIN_METRICS) {
    const hit = lower.get(m) ?? keys.find((k) => k.toLowerCase().endsWith(`_${m}`) || k.toLowerCase().startsWith(`${m}_`));
    if (hit) return [hit, run.metrics[hit]];
  }
  const first = keys.sort()[0];
  return [first, run.metrics[first]];
}

async function recentRuns(ns: string, signal: AbortSignal): Promise<Run[]> {
  const ex = await mlflowCall(ns, 'POST', 'experiments/search', {
    body: { max_results: 50, order_by: ['last_update_time DESC'] },
    signal,
  });
  const ids = objects(ex.experiments)
    .map((e) => asString(e.experiment_id))
    .filter(Boolean);
  if (!ids.length) return [];
  const runs = await mlflowCall(ns, 'POST', 'runs/search', {
    body: { experiment_ids: ids, max_results: RUNS_SHOWN, order_by: ['attributes.start_time DESC'] },
    signal,
  });
  return objects(runs.runs)
    .map(toRun)
    .filter((r): r is Run => r !== null);
}

function RunsCard({ ns }: { ns: string }) {
  const v = useLoaded(ns, (signal) => recentRuns(ns, signal), 'MLflow is not configured (mlflow.url).');
  return (
    <Card id="runs" title="Recent MLflow runs" href={withNamespaceQuery(EXPERIMENTS_PATH, ns)}>
      {v.state !== 'ok' ? (
        <Otherwise v={v} />
      ) : v.data.length === 0 ? (
        <p class="card-note">No runs yet in {ns}.</p>
      ) : (
        <ul class="glance-list" data-testid="run-rows">
          {v.data.map((r) => {
            const m = mainMetric(r);
            const href = withNamespaceQuery(`${EXPERIMENTS_PATH}/${enc(r.experimentId)}/runs/${enc(r.id)}`, ns);
            return (
              <li key={r.id} data-testid="run-row" data-run={r.id} data-metric={m ? m[0] : ''}>
                <a
                  href={href}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(href);
                  }}
                >
                  {r.name || r.id}
                </a>
                <span class="muted"> {r.status.toLowerCase()}</span>
                {m && (
                  <span class="glance-metric">
                    {m[0]} = {Number(m[1].toPrecision(4))}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

/* ---------------------------------------------------------------------------------- quota */

function QuotaCard({ ns }: { ns: string }) {
  const v = useLoaded<NamespaceQuota>(ns, (signal) => fetchQuota(ns, signal), 'Quotas are not available: kfdash has no Kubernetes API server.');
  return (
    <Card id="quota" title="Quota" href={withNamespaceQuery(DIAGNOSTICS_PATH, ns)}>
      {v.state !== 'ok' ? (
        <Otherwise v={v} />
      ) : v.data.quotas.length === 0 ? (
        <p class="card-note" data-testid="glance-note">
          {ns} has no resource quota: nothing limits what it may use.
        </p>
      ) : (
        <QuotaBars quota={v.data} />
      )}
    </Card>
  );
}

/* ------------------------------------------------------------------------------- warnings */

interface Warning {
  key: string;
  object: string;
  reason: string;
  message: string;
  time: Date | null;
}

function WarningsCard({ ns }: { ns: string }) {
  const v = useLoaded(
    ns,
    async (signal) => {
      const raw = await getJSON(`/api/activities/${enc(ns)}`, signal);
      const list = Array.isArray(raw) ? raw : isObject(raw) ? (raw.items as unknown) : [];
      return objects(list)
        .filter((e) => e.type === 'Warning')
        .map((e, i): Warning => {
          const o = isObject(e.involvedObject) ? e.involvedObject : {};
          const meta = isObject(e.metadata) ? e.metadata : {};
          return {
            key: asString(meta.uid) || String(i),
            object: `${asString(o.kind)} ${asString(o.name)}`.trim(),
            reason: asString(e.reason),
            message: asString(e.message),
            time: parseTime(e.lastTimestamp) ?? parseTime(e.eventTime) ?? parseTime(meta.creationTimestamp),
          };
        })
        .sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0))
        .slice(0, WARNINGS_SHOWN);
    },
    'Events are not available: kfdash has no Kubernetes API server.',
  );
  return (
    <Card id="warnings" title="Recent warnings" href={withNamespaceQuery(ACTIVITY_PATH, ns)}>
      {v.state !== 'ok' ? (
        <Otherwise v={v} />
      ) : v.data.length === 0 ? (
        <p class="card-note">No warnings in {ns}.</p>
      ) : (
        <ul class="glance-list" data-testid="warning-rows">
          {v.data.map((w) => (
            <li key={w.key} data-testid="warning-row">
              <strong>{w.reason}</strong> <span class="muted">{w.object}</span>
              <div class="glance-message">{w.message}</div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/* -------------------------------------------------------------------- charts of the hour */

function UsageCard({ ns, charts }: { ns: string; charts: ChartList | null }) {
  return (
    <Card id="usage" title="CPU and memory, last hour" href={withNamespaceQuery(NOTEBOOKS_PATH, ns)} wide>
      {charts === null ? (
        <p class="card-note" aria-busy="true">
          Loading…
        </p>
      ) : !charts.configured ? (
        <p class="card-note" data-testid="glance-note">
          Charts need Prometheus: kfdash has none configured (prometheus.url).
        </p>
      ) : (
        <div class="glance-charts">
          <ChartPanel ask={{ ns, chart: 'notebook-cpu', range: HOUR }} />
          <ChartPanel ask={{ ns, chart: 'notebook-memory', range: HOUR }} />
          <ChartPanel ask={{ ns, chart: 'spark-cpu', range: HOUR }} />
          <ChartPanel ask={{ ns, chart: 'spark-memory', range: HOUR }} />
        </div>
      )}
    </Card>
  );
}

function ClusterCard({ charts }: { charts: ChartList }) {
  const has = (name: string) => charts.charts.some((c) => c.scope === 'cluster' && c.name === name);
  return (
    <Card id="cluster" title="Across the cluster, last hour" href={DIAGNOSTICS_PATH} wide>
      <div class="glance-charts">
        {has('requests') && <ChartPanel ask={{ ns: '', chart: 'requests', range: HOUR }} />}
        {has('process-cpu') && <ChartPanel ask={{ ns: '', chart: 'process-cpu', range: HOUR }} />}
      </div>
    </Card>
  );
}

/* ----------------------------------------------------------------------------------- all */

export function ProfileGlance({ ns, isAdmin }: { ns: string; isAdmin: boolean }) {
  const [charts, setCharts] = useState<ChartList | null>(null);
  // Whether the user holds a role in ns (a cluster admin reads every namespace): a link may name
  // a namespace that is not theirs (?ns= wins), and then one note says so instead of a refusal
  // in every card. null while not known; if env-info cannot be read the cards say what they get.
  const [member, setMember] = useState<boolean | null>(isAdmin ? true : null);
  useEffect(() => {
    if (isAdmin) return;
    const abort = new AbortController();
    fetchEnvInfo(abort.signal).then(
      (env) => abort.signal.aborted || setMember(env.isClusterAdmin || env.namespaces.some((n) => n.namespace === ns)),
      () => abort.signal.aborted || setMember(true),
    );
    return () => abort.abort();
  }, [ns, isAdmin]);
  useEffect(() => {
    let live = true;
    fetchChartList().then(
      (c) => live && setCharts(c),
      () => live && setCharts({ configured: false, scrapeInterval: 30, dashboardUrl: '', charts: [] }),
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <section class="glance" aria-label={`${ns} at a glance`} data-testid="glance" data-namespace={ns}>
      <h2 class="glance-heading">
        {ns} <span class="muted">at a glance</span>
      </h2>
      {member === null ? (
        <p class="card-note" aria-busy="true">
          Loading…
        </p>
      ) : !member ? (
        <p class="card-note card glance-no-role" data-testid="glance-no-role">
          You have no role in {ns}, so nothing of it is shown here: ask its owner to add you as a contributor, or pick one of
          your namespaces.
        </p>
      ) : (
        <div class="cards glance-cards">
          <NotebooksCard ns={ns} />
          <SparkCard ns={ns} />
          <QuotaCard ns={ns} />
          <EndpointsCard ns={ns} charts={charts} />
          <RunsCard ns={ns} />
          <WarningsCard ns={ns} />
          <UsageCard ns={ns} charts={charts} />
          {isAdmin && charts?.configured && <ClusterCard charts={charts} />}
        </div>
      )}
    </section>
  );
}
