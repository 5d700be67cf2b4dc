// The create form of an endpoint (/endpoints/new?ns=): either a registered MLflow model version of
// the namespace (its MLflow workspace; listed by GET /api/namespaces/<ns>/mlflow-model-versions,
// one chosen in advance with ?model=&version=), which the server turns into modelFormat mlflow,
// protocol v2 and the version's artifact location; or any model by format and storage URI. Both
// may name a service account (for storage credentials; empty: the dashboard's default), a runtime
// and CPU and memory requests. The fields are checked here as the server checks them (k8s/isvc.c).

import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJSON } from './api';
import { TextField } from './fields';
import { asString, isObject, type Json } from './json';
import { ErrorBanner, Loading } from './layout';
import { withNamespaceQuery } from './links';
import { ENDPOINTS_PATH } from './router';
import { describe, Choices, SelectField, useErrors } from './ui';
import { endpointHref, endpointNameProblem, endpointsApi, ENDPOINT_NAME_MAX, suggestName } from './endpoints_deploy';
import { enc, FormActions, TitledCard, useCreateForm } from './workloads';

/** A registered model version the form offers. */
export interface ModelVersion {
  model: string;
  version: string;
  status: string;
  source: string;
  runId: string;
}

export async function listModelVersions(ns: string, signal?: AbortSignal): Promise<{ versions: ModelVersion[]; truncated: boolean }> {
  const raw = await getJSON(`/api/namespaces/${enc(ns)}/mlflow-model-versions`, signal);
  const list = isObject(raw) && Array.isArray(raw.modelVersions) ? raw.modelVersions : [];
  const versions = list
    .filter(isObject)
    .map((v) => ({ model: asString(v.model), version: asString(v.version), status: asString(v.status), source: asString(v.source), runId: asString(v.runId) }))
    .filter((v) => v.model && v.version)
    // By model, newest version first.
    .sort((a, b) => (a.model === b.model ? Number(b.version) - Number(a.version) : a.model < b.model ? -1 : 1));
  return { versions, truncated: isObject(raw) && raw.truncated === true };
}

const FORMATS = ['mlflow', 'sklearn', 'xgboost', 'lightgbm', 'tensorflow', 'pytorch', 'onnx', 'triton', 'huggingface', 'pmml'];
const QUANTITY = /^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const URI = /^[a-z][a-z0-9+.-]*:\S+$/;
const VERSION = /^[1-9][0-9]{0,9}$/;

type Source = 'mlflow' | 'uri';

interface Form {
  source: Source;
  name: string;
  /** The user wrote the name: choosing a version no longer changes it. */
  named: boolean;
  model: string;
  version: string;
  format: string;
  protocol: '' | 'v1' | 'v2';
  storageUri: string;
  runtime: string;
  serviceAccount: string;
  cpu: string;
  memory: string;
}

export function endpointFormProblems(f: Form): Record<string, string> {
  const p: Record<string, string> = {};
  const name = endpointNameProblem(f.name);
  if (name) p['ep-name'] = name;
  if (f.source === 'mlflow') {
    if (!f.model) p['ep-model'] = 'Choose a model.';
    else if (new TextEncoder().encode(f.model).length > 256) p['ep-model'] = 'At most 256 bytes.';
    if (!VERSION.test(f.version)) p['ep-version'] = 'A version number such as 1.';
  } else {
    if (!/^[a-z0-9._-]{1,64}$/.test(f.format)) p['ep-format'] = 'A format such as sklearn, mlflow or onnx.';
    if (!URI.test(f.storageUri) || f.storageUri.length > 4096) {
      p['ep-uri'] = 'A URI such as s3://bucket/model or pvc://claim/path.';
    }
  }
  if (f.runtime && !SUBDOMAIN.test(f.runtime)) p['ep-runtime'] = 'The name of a ServingRuntime.';
  if (f.serviceAccount && !SUBDOMAIN.test(f.serviceAccount)) p['ep-sa'] = 'The name of a service account.';
  if (f.cpu && !QUANTITY.test(f.cpu)) p['ep-cpu'] = 'A quantity such as 500m or 1.';
  if (f.memory && !QUANTITY.test(f.memory)) p['ep-memory'] = 'A quantity such as 1Gi.';
  return p;
}

export function endpointRequestBody(f: Form): Json {
  const body: Json = { name: f.name };
  if (f.source === 'mlflow') {
    body.fromMlflow = { model: f.model, version: f.version };
  } else {
    body.modelFormat = f.format;
    body.storageUri = f.storageUri.trim();
    if (f.protocol) body.protocolVersion = f.protocol;
  }
  if (f.runtime) body.runtime = f.runtime;
  if (f.serviceAccount) body.serviceAccountName = f.serviceAccount;
  const requests: Record<string, string> = {};
  if (f.cpu) requests.cpu = f.cpu;
  if (f.memory) requests.memory = f.memory;
  if (Object.keys(requests).length > 0) body.resources = { requests };
  return body;
}

const versionKey = (v: { model: string; version: string }) => `${v.model}\n${v.version}`;

export function EndpointForm({ ns, model, version }: { ns: string; model: string; version: string }) {
  const [versions, setVersions] = useState<ModelVersion[] | null>(null);
  const [listNote, setListNote] = useState('');
  const [f, setF] = useState<Form>(() => ({
    source: 'mlflow',
    name: model && version ? suggestName(model, version) : '',
    named: false,
    model,
    version,
    format: 'sklearn',
    protocol: '',
    storageUri: '',
    runtime: '',
    serviceAccount: '',
    cpu: '',
    memory: '',
  }));
  const { errors, report, clear } = useErrors();
  const set = (patch: Partial<Form>) => setF((old) => ({ ...old, ...patch }));
  const { busy, err, send } = useCreateForm(endpointFormProblems(f), report, clear);

  useEffect(() => {
    const abort = new AbortController();
    listModelVersions(ns, abort.signal)
      .then(({ versions: list, truncated }) => {
        setVersions(list);
        if (truncated) setListNote('MLflow has more versions than listed here.');
        // Nothing chosen in advance: the newest version of the first model.
        setF((old) => {
          if (old.model || list.length === 0) return old;
          const first = list[0];
          return { ...old, model: first.model, version: first.version, name: old.named ? old.name : suggestName(first.model, first.version) };
        });
      })
      .catch((e) => {
        if (abort.signal.aborted) return;
        if (e instanceof ApiError && e.status === 401) return report('', e);
        // Without the list the model and version are typed in.
        setVersions([]);
        setListNote(`MLflow's model versions could not be listed (${describe(e)}): type the model and version.`);
      });
    return () => abort.abort();
  }, [ns]);

  const choose = (key: string) => {
    const [m, v] = key.split('\n');
    set({ model: m, version: v, ...(f.named ? {} : { name: suggestName(m, v) }) });
  };

  const onSubmit = send({
    url: endpointsApi(ns),
    body: () => endpointRequestBody(f),
    then: endpointHref(ns, f.name),
    exists: `An endpoint named ${f.name} exists already in ${ns}`,
    failed: `Could not create ${f.name}`,
  });

  const offered = versions ?? [];
  const chosen = versionKey(f);
  const picker = offered.length > 0;
  const unlisted = picker && f.model && !offered.some((v) => versionKey(v) === chosen);
  return (
    <form class="stack" noValidate onSubmit={onSubmit} data-testid="endpoint-form">
      <ErrorBanner messages={errors} onDismiss={clear} />
      <TitledCard id="ep-model-card" title="Model">
        <Choices
          name="ep-source"
          legend="Where the model comes from"
          options={[
            ['mlflow', 'A registered MLflow model version'],
            ['uri', 'Another model, by format and storage URI'],
          ]}
          value={f.source}
          onChange={(source) => set({ source })}
        />
        {f.source === 'mlflow' && versions === null && <Loading />}
        {f.source === 'mlflow' && versions !== null && (
          <>
            {listNote && (
              <p class="muted" data-testid="versions-note">
                {listNote}
              </p>
            )}
            {picker ? (
              <SelectField
                id="ep-model"
                label="Model version"
                hint="Served with MLServer (protocol V2) from the artifacts MLflow keeps for the version."
                error={err('ep-model') ?? err('ep-version')}
                value={chosen}
                options={[
                  ...(unlisted ? [[chosen, `${f.model} · version ${f.version}`] as [string, string]] : []),
                  ...offered.map((v): [string, string] => [
                    versionKey(v),
                    `${v.model} · version ${v.version}${v.status && v.status !== 'READY' ? ` (${v.status})` : ''}`,
                  ]),
                ]}
                onChange={choose}
              />
            ) : (
              <div class="form-row">
                {offered.length === 0 && !listNote && (
                  <p class="card-note" data-testid="no-versions">
                    No registered model versions in {ns}'s MLflow workspace yet.
                  </p>
                )}
                <TextField
                  id="ep-model"
                  label="Registered model"
                  value={f.model}
                          error={err('ep-model')}
                  onInput={(v) => set({ model: v.trim() })}
                />
                <TextField
                  id="ep-version"
                  label="Version"
                  short
                  value={f.version}
                          error={err('ep-version')}
                  onInput={(v) => set({ version: v.trim() })}
                />
              </div>
            )}
          </>
        )}
        {f.source === 'uri' && (
          <>
            <TextField
              id="ep-format"
              label="Model format"
              hint={`As KServe names it: ${FORMATS.join(', ')}, …`}
              value={f.format}
                  error={err('ep-format')}
              onInput={(v) => set({ format: v.trim() })}
            />
            <SelectField
              id="ep-protocol"
              label="Protocol"
              value={f.protocol}
              options={[
                ['', 'KServe’s default for the format'],
                ['v1', 'V1'],
                ['v2', 'V2 (Open Inference Protocol)'],
              ]}
              onChange={(v) => set({ protocol: v as Form['protocol'] })}
            />
            <TextField
              id="ep-uri"
              label="Storage URI"
              hint="Where KServe downloads the model from: s3://, gs://, pvc://, https://, …"
              value={f.storageUri}
                  error={err('ep-uri')}
              onInput={(v) => set({ storageUri: v })}
            />
          </>
        )}
      </TitledCard>
      <TitledCard id="ep-endpoint" title="Endpoint">
        <TextField
          id="ep-name"
          label="Name"
          hint={`Lowercase letters, digits and dashes, starting with a letter; at most ${ENDPOINT_NAME_MAX}.`}
          value={f.name}
          error={err('ep-name')}
          onInput={(v) => set({ name: v.trim(), named: true })}
        />
        <TextField
          id="ep-sa"
          label="Service account"
          hint="Its secrets give the model server access to the storage; empty: the dashboard's default."
          value={f.serviceAccount}
          error={err('ep-sa')}
          onInput={(v) => set({ serviceAccount: v.trim() })}
        />
        <TextField
          id="ep-runtime"
          label="Serving runtime"
          hint="Empty: KServe picks one for the format."
          value={f.runtime}
          error={err('ep-runtime')}
          onInput={(v) => set({ runtime: v.trim() })}
        />
        <div class="form-row">
          <TextField
            id="ep-cpu"
            label="CPU request"
            short
            placeholder="1"
            value={f.cpu}
              error={err('ep-cpu')}
            onInput={(v) => set({ cpu: v.trim() })}
          />
          <TextField
            id="ep-memory"
            label="Memory request"
            short
            placeholder="2Gi"
            value={f.memory}
              error={err('ep-memory')}
            onInput={(v) => set({ memory: v.trim() })}
          />
        </div>
      </TitledCard>
      <FormActions busy={busy} text="Create" busyText="Creating…" cancelHref={withNamespaceQuery(ENDPOINTS_PATH, ns)} />
    </form>
  );
}
