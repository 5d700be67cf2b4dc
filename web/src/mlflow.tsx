// MLflow pages of the selected namespace (its MLflow workspace), all through /mlflow/ajax-api with
// X-MLFLOW-WORKSPACE = the namespace:
//   /experiments                         experiments, searched by name, a page at a time
//   /experiments/<id>                    its runs table (mlflow_runs.tsx)
//   /experiments/<id>/compare?runs=a,b   a metric of several runs on one chart (mlflow_runs.tsx)
//   /experiments/<id>/runs/<run>         one run: params, metric plots, artifacts (mlflow_run.tsx)
//   /models[/<name>]                     registered models and their versions (mlflow_models.tsx)
// Write actions (New experiment, Delete run, Deploy) show only to owners and contributors.

import { useState } from 'preact/hooks';
import { ErrorBanner, Loading, SmartLink, Table } from './layout';
import { createExperiment, nameFilter, searchExperiments, type Experiment, type Page } from './mlflow_api';
import { ModelsPage } from './mlflow_models';
import { RunPage } from './mlflow_run';
import { ComparePage, RunsPage } from './mlflow_runs';
import {
  experimentHref,
  mayWrite,
  msDate,
  NotConfigured,
  OpenMlflowUi,
  unavailable,
  useLoad,
} from './mlflow_ui';
import type { EnvState } from './namespaces';
import { EXPERIMENTS_PATH, MODELS_PATH, navigate } from './router';
import { describe, Dialog, TextField, TimeAgo, useErrors } from './ui';
import { workloadGate } from './workloads';
import './mlflow.css';

const EXPERIMENTS_PAGE = 25;
/** Longer names are refused here; MLflow checks its own limit. */
const NAME_MAX = 500;

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function NewExperiment({ ns, onClose }: { ns: string; onClose: () => void }) {
  const [name, setName] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const problem = !name.trim() ? 'Give the experiment a name.' : name.length > NAME_MAX ? 'That name is too long.' : null;
  const submit = async () => {
    setTried(true);
    if (problem) return;
    setBusy(true);
    setFailure(null);
    try {
      const id = await createExperiment(ns, name.trim());
      onClose();
      navigate(experimentHref(ns, id));
    } catch (err) {
      setFailure(describe(err));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={`New experiment in ${ns}`}
      submitText="Create"
      busyText="Creating…"
      busy={busy}
      onSubmit={submit}
      onCancel={onClose}
      testid="new-experiment-dialog"
    >
      <TextField
        id="experiment-name"
        label="Name"
        value={name}
        autoComplete="off"
        error={tried ? problem : null}
        onInput={setName}
      />
      {failure && (
        <p class="field-error" role="alert">
          {failure}
        </p>
      )}
    </Dialog>
  );
}

function ExperimentsList({ ns, envState }: { ns: string; envState: EnvState }) {
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  /** Tokens of the pages before this one, and this one's. */
  const [tokens, setTokens] = useState<string[]>(['']);
  const [creating, setCreating] = useState(false);
  const { errors, report, clear } = useErrors();
  const token = tokens[tokens.length - 1];
  const page = useLoad<Page<Experiment>>(
    (signal) =>
      searchExperiments(ns, { filter: nameFilter(applied), pageToken: token, max: EXPERIMENTS_PAGE }, signal).catch(
        (err) => {
          if (!unavailable(err)) report(`Could not load the experiments of ${ns}`, err);
          throw err;
        },
      ),
    [ns, applied, token],
  );
  const writes = mayWrite(envState, ns);
  if (unavailable(page.error)) return <NotConfigured />;
  const now = Date.now();
  return (
    <>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <section class="card" aria-labelledby="experiments-title" data-testid="experiments" data-rights={writes ? 'write' : 'read'}>
        <div class="card-title card-title-row">
          <h2 id="experiments-title" class="card-heading">
            Experiments in <span class="ns-name">{ns}</span>
          </h2>
          <span class="card-tools">
            <OpenMlflowUi ns={ns} />
            {writes && (
              <button type="button" class="button primary" onClick={() => setCreating(true)}>
                New experiment
              </button>
            )}
          </span>
        </div>
        <form
          class="mlflow-toolbar"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setTokens(['']);
            setApplied(search);
          }}
        >
          <label class="visually-hidden" for="experiment-search">
            Search experiments by name
          </label>
          <input
            id="experiment-search"
            type="search"
            placeholder="Name contains…"
            value={search}
            onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="button">
            Search
          </button>
        </form>
        {page.value === undefined ? (
          <Loading failed={page.error ? 'The experiments could not be loaded.' : false} />
        ) : page.value.items.length === 0 ? (
          <p class="card-note" data-testid="experiments-empty">
            {applied ? `No experiment of ${ns} has “${applied}” in its name.` : `No experiments in ${ns} yet.`}
          </p>
        ) : (
          <Table labelledBy="experiments-title" class="table-compact" columns={['Name', 'ID', 'Last change', 'Created', 'Artifacts']}>
            {page.value.items.map((e) => (
              <tr key={e.id} data-testid="experiment-row" data-name={e.name}>
                <th scope="row">
                  <SmartLink target={{ href: experimentHref(ns, e.id), mode: 'spa' }}>{e.name}</SmartLink>
                </th>
                <td class="muted">{e.id}</td>
                <td>
                  <TimeAgo date={msDate(e.updated)} now={now} />
                </td>
                <td>
                  <TimeAgo date={msDate(e.created)} now={now} />
                </td>
                <td class="wrap muted">{e.artifactLocation}</td>
              </tr>
            ))}
          </Table>
        )}
        <div class="mlflow-pager">
          <button type="button" class="button" disabled={tokens.length < 2} onClick={() => setTokens((t) => t.slice(0, -1))}>
            Previous page
          </button>
          <span class="muted">Page {tokens.length}</span>
          <button
            type="button"
            class="button"
            disabled={!page.value?.next}
            onClick={() => page.value?.next && setTokens((t) => [...t, page.value!.next])}
          >
            Next page
          </button>
        </div>
      </section>
      {creating && <NewExperiment ns={ns} onClose={() => setCreating(false)} />}
    </>
  );
}

/** The page: which of the MLflow views `path` names. */
export function MlflowPage({ envState, ns, path, search }: { envState: EnvState; ns: string; path: string; search: string }) {
  const gate = workloadGate(envState, ns, 'MLflow is not available', 'Select a namespace in the top bar to see its MLflow experiments and models.');
  let view;
  if (path === MODELS_PATH || path.startsWith(`${MODELS_PATH}/`)) {
    const name = path.startsWith(`${MODELS_PATH}/`) ? decode(path.slice(MODELS_PATH.length + 1)) : null;
    view = <ModelsPage key={`${ns}/${name}`} ns={ns} envState={envState} name={name} />;
  } else {
    const rest = path.slice(EXPERIMENTS_PATH.length + 1).split('/').map(decode);
    const [experiment, what, run] = rest;
    if (!experiment) {
      view = (
        <div class="stack">
          <h1 class="page-title">Experiments</h1>
          <ExperimentsList key={ns} ns={ns} envState={envState} />
        </div>
      );
    } else if (what === 'runs' && run) {
      view = <RunPage key={`${ns}/${run}`} ns={ns} envState={envState} experimentId={experiment} runId={run} />;
    } else if (what === 'compare') {
      const ids = (new URLSearchParams(search).get('runs') ?? '').split(',').filter(Boolean);
      view = <ComparePage key={`${ns}/${ids.join(',')}`} ns={ns} experimentId={experiment} runIds={ids} />;
    } else if (rest.length === 1) {
      view = <RunsPage key={`${ns}/${experiment}`} ns={ns} experimentId={experiment} />;
    } else {
      view = <p class="card-note card">There is no such MLflow page.</p>;
    }
  }
  return <div class="page page-wide">{gate ?? view}</div>;
}
