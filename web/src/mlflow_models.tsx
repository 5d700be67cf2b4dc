// Registered models of the namespace's MLflow workspace: the list (searched by name, with the
// latest version of each and its aliases), and one model's versions with their stage, aliases,
// status and the run each came from. Those who may write can deploy a version as a KServe
// endpoint (endpoints_deploy.tsx).

import { DeployModelVersionButton } from './endpoints_deploy';
import { Loading, SmartLink, Table } from './layout';
import { modelVersions, searchModels, toModel, mlflowCall, type ModelVersion, type RegisteredModel } from './mlflow_api';
import {
  mayWrite,
  MlflowTitle,
  modelHref,
  modelsHref,
  msDate,
  NotConfigured,
  OpenMlflowUi,
  runHref,
  SearchedList,
  unavailable,
  useLoad,
} from './mlflow_ui';
import type { EnvState } from './namespaces';
import { describe, TimeAgo } from './ui';
import { Chip } from './workloads';

function Aliases({ aliases }: { aliases: string[] }) {
  if (aliases.length === 0) return <span class="muted">—</span>;
  return (
    <span class="mlflow-aliases">
      {aliases.map((a) => (
        <span key={a} class="mlflow-alias" data-testid="alias">
          @{a}
        </span>
      ))}
    </span>
  );
}

function Stage({ stage }: { stage: string }) {
  if (!stage || stage === 'None') return <span class="muted">—</span>;
  return <Chip kind={stage === 'Production' ? 'ok' : stage === 'Staging' ? 'pending' : 'idle'} text={stage} />;
}

function ModelList({ ns }: { ns: string }) {
  return (
    <SearchedList
      ns={ns}
      what="models"
      search={searchModels}
      titleId="models-title"
      testid="models"
      heading="Registered models"
      searchId="model-search"
      tools={<OpenMlflowUi ns={ns} route="/models" />}
      empty={(applied) =>
        applied ? `No model of ${ns} has “${applied}” in its name.` : `No registered models in ${ns} yet.`
      }
    >
      {(items, now) => (
        <Table labelledBy="models-title" class="table-compact" columns={['Name', 'Latest version', 'Aliases', 'Last change', 'Description']}>
          {items.map((m) => {
            const latest = [...m.latest].sort((a, b) => Number(b.version) - Number(a.version))[0];
            return (
              <tr key={m.name} data-testid="model-row" data-name={m.name}>
                <th scope="row">
                  <SmartLink target={{ href: modelHref(ns, m.name), mode: 'spa' }}>{m.name}</SmartLink>
                </th>
                <td>{latest ? `Version ${latest.version}` : <span class="muted">—</span>}</td>
                <td>
                  <Aliases aliases={Object.entries(m.aliases).map(([a, v]) => `${a} → v${v}`)} />
                </td>
                <td>
                  <TimeAgo date={msDate(m.updated)} now={now} />
                </td>
                <td class="wrap">{m.description}</td>
              </tr>
            );
          })}
        </Table>
      )}
    </SearchedList>
  );
}

async function loadModel(ns: string, name: string, signal: AbortSignal): Promise<{ model: RegisteredModel; versions: ModelVersion[] }> {
  const raw = await mlflowCall(ns, 'GET', 'registered-models/get', { query: { name }, signal });
  const model = toModel(raw.registered_model);
  if (!model) throw new Error('MLflow sent no model');
  return { model, versions: await modelVersions(ns, model, signal) };
}

function ModelDetail({ ns, envState, name }: { ns: string; envState: EnvState; name: string }) {
  const got = useLoad((signal) => loadModel(ns, name, signal), [ns, name]);
  const writes = mayWrite(envState, ns);
  if (unavailable(got.error)) return <NotConfigured />;
  const now = Date.now();
  return (
    <div class="stack">
      <MlflowTitle trail={[['Models', modelsHref(ns)]]} here={<span class="ns-name">{name}</span>} />
      {got.error !== null && !got.value && <p class="card-note card">The model could not be loaded: {describe(got.error)}</p>}
      <section class="card" aria-labelledby="versions-title" data-testid="model-versions" data-rights={writes ? 'write' : 'read'}>
        <div class="card-title card-title-row">
          <h2 id="versions-title" class="card-heading">
            Versions of <span class="ns-name">{name}</span>
          </h2>
          <span class="card-tools">
            <OpenMlflowUi ns={ns} route={`/models/${encodeURIComponent(name)}`} />
          </span>
        </div>
        {got.value?.model.description && <p class="card-body">{got.value.model.description}</p>}
        {got.value === undefined ? (
          <Loading failed={got.error ? 'The versions could not be loaded.' : false} />
        ) : got.value.versions.length === 0 ? (
          <p class="card-note">This model has no versions yet.</p>
        ) : (
          <Table
            labelledBy="versions-title"
            class="table-compact"
            columns={['Version', 'Aliases', 'Stage', 'Status', 'Source run', 'Registered']}
            actions={writes}
          >
            {got.value.versions.map((v) => (
              <tr key={v.version} data-testid="version-row" data-version={v.version}>
                <th scope="row">Version {v.version}</th>
                <td>
                  <Aliases aliases={v.aliases} />
                </td>
                <td>
                  <Stage stage={v.stage} />
                </td>
                <td>{v.status}</td>
                <td>
                  {v.runId ? (
                    <SmartLink target={{ href: runHref(ns, '', v.runId), mode: 'spa' }}>
                      <span class="ns-name">{v.runId.slice(0, 8)}</span>
                    </SmartLink>
                  ) : (
                    <span class="muted" title={v.source}>
                      {v.source}
                    </span>
                  )}
                </td>
                <td>
                  <TimeAgo date={msDate(v.created)} now={now} />
                </td>
                {writes && (
                  <td class="actions">
                    <DeployModelVersionButton ns={ns} model={name} version={v.version} />
                  </td>
                )}
              </tr>
            ))}
          </Table>
        )}
      </section>
    </div>
  );
}

export function ModelsPage({ ns, envState, name }: { ns: string; envState: EnvState; name: string | null }) {
  if (name) return <ModelDetail ns={ns} envState={envState} name={name} />;
  return (
    <div class="stack">
      <h1 class="page-title">Models</h1>
      <ModelList ns={ns} />
    </div>
  );
}
