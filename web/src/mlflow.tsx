// MLflow pages of the selected namespace (its MLflow workspace), all through /mlflow/ajax-api with
// X-MLFLOW-WORKSPACE = the namespace:
//   /experiments                         experiments, searched by name, a page at a time
//   /experiments/<id>                    its runs table (mlflow_runs.tsx)
//   /experiments/<id>/compare?runs=a,b   a metric of several runs on one chart (mlflow_runs.tsx)
//   /experiments/<id>/runs/<run>         one run: params, metric plots, artifacts (mlflow_run.tsx)
//   /models[/<name>]                     registered models and their versions (mlflow_models.tsx)
// Write actions (New experiment, Delete run, Deploy) show only to owners and contributors.

import { useState } from 'preact/hooks';
import { TextField, useCheckedForm } from './fields';
import { SmartLink, Table } from './layout';
import { createExperiment, searchExperiments } from './mlflow_api';
import { ModelsPage } from './mlflow_models';
import { RunPage } from './mlflow_run';
import { ComparePage, RunsPage } from './mlflow_runs';
import { experimentHref, mayWrite, msDate, OpenMlflowUi, SearchedList } from './mlflow_ui';
import type { EnvState } from './namespaces';
import { EXPERIMENTS_PATH, MODELS_PATH, navigate } from './router';
import { describe, Dialog, TimeAgo } from './ui';
import { workloadGate } from './workloads';
import './mlflow.css';

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
  const [failure, setFailure] = useState<string | null>(null);
  const { busy, err, send } = useCheckedForm({
    'experiment-name': !name.trim() ? 'Give the experiment a name.' : name.length > NAME_MAX ? 'That name is too long.' : null,
  });
  const submit = send(
    async () => {
      setFailure(null);
      const id = await createExperiment(ns, name.trim());
      onClose();
      navigate(experimentHref(ns, id));
    },
    (e) => setFailure(describe(e)),
  );
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
      <TextField id="experiment-name" label="Name" value={name} error={err('experiment-name')} onInput={setName} />
      {failure && (
        <p class="field-error" role="alert">
          {failure}
        </p>
      )}
    </Dialog>
  );
}

function ExperimentsList({ ns, envState }: { ns: string; envState: EnvState }) {
  const [creating, setCreating] = useState(false);
  const writes = mayWrite(envState, ns);
  return (
    <>
      <SearchedList
        ns={ns}
        what="experiments"
        search={searchExperiments}
        titleId="experiments-title"
        testid="experiments"
        heading="Experiments"
        searchId="experiment-search"
        rights={writes}
        tools={
          <>
            <OpenMlflowUi ns={ns} />
            {writes && (
              <button type="button" class="button primary" onClick={() => setCreating(true)}>
                New experiment
              </button>
            )}
          </>
        }
        empty={(applied) =>
          applied ? `No experiment of ${ns} has “${applied}” in its name.` : `No experiments in ${ns} yet.`
        }
      >
        {(items, now) => (
          <Table labelledBy="experiments-title" class="table-compact" columns={['Name', 'ID', 'Last change', 'Created', 'Artifacts']}>
            {items.map((e) => (
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
      </SearchedList>
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
