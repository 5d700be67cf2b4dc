// New notebook (/notebooks/new?ns=): Kubeflow's notebook form. Name, the server type (Jupyter, or
// VS Code and RStudio when the spawner config offers their image groups), an image from the
// server's catalog (or a custom one, when allowed), CPU, memory and GPUs, the affinity and
// toleration groups the spawner config offers, shared memory, the workspace volume (new, existing or none),
// data volumes, and the namespace's PodDefaults as opt-in configurations, with a button that gives
// the namespace MLflow access (a PodDefault labelled mlflow-access). Fields are checked here as
// the server checks them, so mistakes show next to the field; the server has the last word.

import { useState } from 'preact/hooks';
import { getJSON, sendJSON, useRequest } from './api';
import { TextField, type Problems } from './fields';
import { asString, isObject } from './json';
import { ErrorBanner, Loading } from './layout';
import { withNamespaceQuery } from './links';
import type { EnvState } from './namespaces';
import { notebookAsks } from './quota';
import { QuotaWarning } from './quota_view';
import { NOTEBOOKS_PATH } from './router';
import { CheckField, Choices, SelectField, useErrors } from './ui';
import {
  enc,
  FormActions,
  FormNotAllowed,
  nameProblem,
  TitledCard,
  useAllowed,
  useCreateForm,
  workloadGate,
  WorkloadTitle,
} from './workloads';

/* The server's limits (k8s/notebook.c), repeated so the form can say so before sending. */
export const NAME_MAX = 52;
export const GPUS_MAX = 16;
export const DATA_VOLUMES_MAX = 8;
const PVC_NAME_MAX = 63;
const IMAGE_MAX = 512;
const PATH_MAX = 255;
const HOME = '/home/jovyan';

const QUANTITY = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/;

export function quantityProblem(v: string, example: string): string | null {
  if (!v) return `Enter an amount, for example ${example}.`;
  if (!QUANTITY.test(v) || !/[1-9]/.test(v.replace(/[eE][+-]?\d+$/, ''))) {
    return `Not an amount Kubernetes understands: write it like ${example}.`;
  }
  return null;
}

export function mountPathProblem(p: string, taken: string[]): string | null {
  if (!p.startsWith('/')) return 'The mount path must start with /.';
  if (p.length > PATH_MAX) return `The mount path can be at most ${PATH_MAX} characters long.`;
  if (p.split('/').includes('..')) return 'The mount path cannot contain "..".';
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'The mount path cannot contain control characters.';
  if (taken.includes(p.replace(/\/+$/, ''))) return 'Another volume is mounted there already.';
  return null;
}

interface GpuVendor {
  limitsKey: string;
  uiName: string;
}

type ServerType = 'jupyter' | 'group-one' | 'group-two';

const SERVER_TYPES: [ServerType, string][] = [
  ['jupyter', 'JupyterLab'],
  ['group-one', 'VS Code'],
  ['group-two', 'RStudio'],
];

/** An affinity or toleration group of the spawner config. */
interface Choice {
  key: string;
  displayName: string;
}

interface FormConfig {
  images: string[];
  defaultImage: string;
  /** The VS Code and RStudio images (spawner config only). */
  groups: Partial<Record<ServerType, { value: string; options: string[] }>>;
  allowCustomImage: boolean;
  defaults: {
    cpu: string;
    memory: string;
    /** "" when the default is no workspace. */
    workspaceSize: string;
    affinityConfig: string;
    tolerationGroup: string;
    shm: boolean;
    podDefaults: string[];
    gpuCount: number;
    gpuVendor: string;
  };
  affinities: Choice[];
  tolerations: Choice[];
  /** Fields the administrator fixed (readOnly in spawner_ui_config.yaml). */
  readOnly: Record<string, boolean>;
  mlflowTrackingUri: string;
  vendors: GpuVendor[];
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && !!s) : [];

const choices = (v: unknown): Choice[] =>
  (Array.isArray(v) ? v : [])
    .filter(isObject)
    .map((c) => ({ key: asString(c.key), displayName: asString(c.displayName) || asString(c.key) }))
    .filter((c) => c.key);

async function fetchConfig(signal: AbortSignal): Promise<FormConfig> {
  const raw = await getJSON('/api/config', signal);
  const c = isObject(raw) ? raw : {};
  const images = strings(c.images);
  const d = isObject(c.defaults) ? c.defaults : {};
  const gpus = isObject(d.gpus) ? d.gpus : {};
  const groups: FormConfig['groups'] = {};
  const rawGroups = isObject(c.imageGroups) ? c.imageGroups : {};
  for (const t of ['group-one', 'group-two'] as const) {
    const g = rawGroups[t];
    if (isObject(g) && asString(g.value)) groups[t] = { value: asString(g.value), options: strings(g.options) };
  }
  const ro = isObject(c.readOnly) ? c.readOnly : {};
  let vendors: GpuVendor[] = [];
  try {
    const g = await getJSON('/api/gpus', signal);
    const list = isObject(g) && Array.isArray(g.vendors) ? g.vendors : [];
    vendors = list
      .filter(isObject)
      .map((v) => ({ limitsKey: asString(v.limitsKey), uiName: asString(v.uiName) || asString(v.limitsKey) }))
      .filter((v) => v.limitsKey);
  } catch (err) {
    if (signal.aborted) throw err;
    // The names from /api/config are enough to offer GPUs.
  }
  if (vendors.length === 0 && Array.isArray(c.gpuVendors)) {
    vendors = c.gpuVendors.filter((s): s is string => typeof s === 'string').map((k) => ({ limitsKey: k, uiName: k }));
  }
  return {
    images,
    defaultImage: asString(c.defaultImage) || images[0] || '',
    groups,
    allowCustomImage: c.allowCustomImage !== false,
    defaults: {
      cpu: asString(d.cpu) || '0.5',
      memory: asString(d.memory) || '1Gi',
      workspaceSize: d.workspaceSize === null ? '' : asString(d.workspaceSize) || '5Gi',
      affinityConfig: asString(d.affinityConfig),
      tolerationGroup: asString(d.tolerationGroup),
      shm: d.shm !== false,
      podDefaults: strings(d.podDefaults),
      gpuCount: typeof gpus.count === 'number' ? gpus.count : 0,
      gpuVendor: asString(gpus.vendor),
    },
    affinities: choices(c.affinityConfigs),
    tolerations: choices(c.tolerationGroups),
    readOnly: Object.fromEntries(Object.entries(ro).map(([k, v]) => [k, v === true])),
    mlflowTrackingUri: asString(c.mlflowTrackingUri),
    vendors,
  };
}

interface Pvc {
  name: string;
  size: string;
  phase: string;
}

async function fetchPvcs(ns: string, signal?: AbortSignal): Promise<Pvc[]> {
  const raw = await getJSON(`/api/namespaces/${enc(ns)}/pvcs`, signal);
  const list = isObject(raw) && Array.isArray(raw.pvcs) ? raw.pvcs : [];
  return list
    .filter(isObject)
    .map((p) => ({ name: asString(p.name), size: asString(p.size), phase: asString(p.phase) }))
    .filter((p) => p.name);
}

interface PodDefault {
  name: string;
  label: string;
  desc: string;
}

const MLFLOW_LABEL = 'mlflow-access';

function toPodDefault(v: unknown): PodDefault | null {
  if (!isObject(v) || !asString(v.label)) return null;
  return { name: asString(v.name), label: asString(v.label), desc: asString(v.desc) };
}

async function fetchPodDefaults(ns: string, signal?: AbortSignal): Promise<PodDefault[]> {
  const raw = await getJSON(`/api/namespaces/${enc(ns)}/poddefaults`, signal);
  const list = isObject(raw) && Array.isArray(raw.poddefaults) ? raw.poddefaults : [];
  return list.map(toPodDefault).filter((p): p is PodDefault => p !== null);
}

type WorkspaceMode = 'new' | 'existing' | 'none';

interface DataVolume {
  /** Stable key for the list. */
  id: number;
  mode: 'new' | 'existing';
  name: string;
  size: string;
  pvc: string;
  mountPath: string;
}

interface FormState {
  name: string;
  serverType: ServerType;
  image: string;
  custom: boolean;
  customImage: string;
  cpu: string;
  memory: string;
  gpuCount: number;
  gpuVendor: string;
  workspace: WorkspaceMode;
  workspaceSize: string;
  workspacePvc: string;
  volumes: DataVolume[];
  podDefaults: string[];
  affinityConfig: string;
  tolerationGroup: string;
  shm: boolean;
}

/** Every field's problem, keyed by the field's id. */
export function formProblems(f: FormState, vendors: GpuVendor[]): Record<string, string> {
  const p: Record<string, string> = {};
  const put = (id: string, problem: string | null) => {
    if (problem) p[id] = problem;
  };
  put('nb-name', nameProblem(f.name, NAME_MAX, 'notebook'));
  if (f.custom) {
    const img = f.customImage.trim();
    if (!img) p['nb-custom-image'] = 'Enter the image, for example registry.example.com/team/notebook:1.0.';
    else if (img.length > IMAGE_MAX) p['nb-custom-image'] = `The image can be at most ${IMAGE_MAX} characters long.`;
    else if (/\s/.test(img)) p['nb-custom-image'] = 'An image name has no spaces.';
  } else if (!f.image) {
    p['nb-image'] = 'Choose an image.';
  }
  put('nb-cpu', quantityProblem(f.cpu.trim(), '0.5 or 500m'));
  put('nb-memory', quantityProblem(f.memory.trim(), '1Gi or 512Mi'));
  if (!(Number.isInteger(f.gpuCount) && f.gpuCount >= 0 && f.gpuCount <= GPUS_MAX)) {
    p['nb-gpus'] = `Choose from 0 to ${GPUS_MAX} GPUs.`;
  } else if (f.gpuCount > 0 && !vendors.some((v) => v.limitsKey === f.gpuVendor)) {
    p['nb-gpu-vendor'] = 'Choose the GPU vendor.';
  }
  if (f.workspace === 'new') put('nb-ws-size', quantityProblem(f.workspaceSize.trim(), '5Gi'));
  if (f.workspace === 'existing' && !f.workspacePvc) p['nb-ws-pvc'] = 'Choose the volume.';
  if (f.volumes.length > DATA_VOLUMES_MAX) p['nb-volumes'] = `At most ${DATA_VOLUMES_MAX} data volumes.`;
  const taken = f.workspace === 'none' ? [] : [HOME];
  const names = new Set<string>();
  for (const v of f.volumes) {
    const at = `nb-vol-${v.id}`;
    if (v.mode === 'new') {
      const n = v.name.trim();
      put(`${at}-name`, nameProblem(n, PVC_NAME_MAX, 'volume'));
      if (!p[`${at}-name`] && (names.has(n) || (f.workspace === 'new' && n === `${f.name}-workspace`))) {
        p[`${at}-name`] = 'Another volume of this notebook has this name.';
      }
      names.add(n);
      put(`${at}-size`, quantityProblem(v.size.trim(), '10Gi'));
    } else if (!v.pvc) {
      p[`${at}-pvc`] = 'Choose the volume.';
    }
    const path = v.mountPath.trim();
    put(`${at}-path`, mountPathProblem(path, taken));
    taken.push(path.replace(/\/+$/, ''));
  }
  return p;
}

/** The POST body the server expects. */
export function requestBody(f: FormState) {
  return {
    name: f.name,
    image: f.custom ? f.customImage.trim() : f.image,
    customImage: f.custom,
    cpu: f.cpu.trim(),
    memory: f.memory.trim(),
    gpus: { count: f.gpuCount, vendor: f.gpuCount > 0 ? f.gpuVendor : '' },
    workspace:
      f.workspace === 'new'
        ? { mode: 'new', size: f.workspaceSize.trim() }
        : f.workspace === 'existing'
          ? { mode: 'existing', pvc: f.workspacePvc }
          : { mode: 'none' },
    dataVolumes: f.volumes.map((v) =>
      v.mode === 'new'
        ? { mode: 'new', name: v.name.trim(), size: v.size.trim(), mountPath: v.mountPath.trim() }
        : { mode: 'existing', pvc: v.pvc, mountPath: v.mountPath.trim() },
    ),
    podDefaults: f.podDefaults,
    serverType: f.serverType,
    affinityConfig: f.affinityConfig,
    tolerationGroup: f.tolerationGroup,
    shm: f.shm,
  };
}

const FORM_RIGHTS = {
  create: { verb: 'create', group: 'kubeflow.org', resource: 'notebooks' },
  podDefaults: { verb: 'create', group: 'kubeflow.org', resource: 'poddefaults' },
};

let volumeIds = 0;

/** A choice of the namespace's existing volumes (PersistentVolumeClaims). */
function PvcField({ id, value, error, pvcs, onChange }: {
  id: string;
  value: string;
  error: string | null;
  pvcs: Pvc[];
  onChange: (pvc: string) => void;
}) {
  return (
    <SelectField
      id={id}
      label="Volume"
      error={error}
      value={value}
      options={[['', 'Choose…'], ...pvcs.map((p): [string, string] => [p.name, p.size ? `${p.name} (${p.size})` : p.name])]}
      onChange={onChange}
    />
  );
}

function VolumeRow({ v, problems, shown, pvcs, onChange, onRemove }: {
  v: DataVolume;
  problems: Problems;
  shown: boolean;
  pvcs: Pvc[];
  onChange: (next: DataVolume) => void;
  onRemove: () => void;
}) {
  const at = `nb-vol-${v.id}`;
  const err = (id: string) => (shown ? problems[`${at}-${id}`] ?? null : null);
  return (
    <fieldset class="subform" data-testid="data-volume">
      <legend>Data volume</legend>
      <div class="form-row">
        <SelectField
          id={`${at}-mode`}
          label="Type"
          value={v.mode}
          options={[
            ['new', 'New volume'],
            ['existing', 'Existing volume'],
          ]}
          onChange={(mode) => onChange({ ...v, mode: mode === 'existing' ? 'existing' : 'new' })}
        />
        {v.mode === 'new' ? (
          <>
            <TextField
              id={`${at}-name`}
              label="Volume name"
              value={v.name}
              error={err('name')}
              onInput={(name) => onChange({ ...v, name })}
            />
            <TextField
              id={`${at}-size`}
              label="Size"
              short
              value={v.size}
              error={err('size')}
              onInput={(size) => onChange({ ...v, size })}
            />
          </>
        ) : (
          <PvcField
            id={`${at}-pvc`}
            value={v.pvc}
            error={err('pvc')}
            pvcs={pvcs}
            onChange={(pvc) => onChange({ ...v, pvc })}
          />
        )}
        <TextField
          id={`${at}-path`}
          label="Mount path"
          value={v.mountPath}
          error={err('path')}
          onInput={(mountPath) => onChange({ ...v, mountPath })}
        />
        <div class="field field-button">
          <button type="button" class="button danger" onClick={onRemove}>
            Remove
          </button>
        </div>
      </div>
    </fieldset>
  );
}

function Form({ ns, config, mayAddMlflow }: { ns: string; config: FormConfig; mayAddMlflow: boolean }) {
  const d = config.defaults;
  const ro = config.readOnly;
  const [f, setF] = useState<FormState>(() => ({
    name: '',
    serverType: 'jupyter',
    image: config.defaultImage,
    custom: config.images.length === 0,
    customImage: '',
    cpu: d.cpu,
    memory: d.memory,
    gpuCount: d.gpuCount,
    gpuVendor: d.gpuVendor || (config.vendors[0]?.limitsKey ?? ''),
    workspace: d.workspaceSize ? 'new' : 'none',
    workspaceSize: d.workspaceSize || '5Gi',
    workspacePvc: '',
    volumes: [],
    podDefaults: d.podDefaults,
    affinityConfig: d.affinityConfig,
    tolerationGroup: d.tolerationGroup,
    shm: d.shm,
  }));
  const group = f.serverType === 'jupyter' ? null : config.groups[f.serverType];
  const images = group ? group.options : config.images;
  const serverTypes = SERVER_TYPES.filter(([t]) => t === 'jupyter' || config.groups[t]);
  const [pvcs, setPvcs] = useState<Pvc[]>([]);
  const [podDefaults, setPodDefaults] = useState<PodDefault[] | null>(null);
  const [mlflowBusy, setMlflowBusy] = useState(false);
  const [status, setStatus] = useState('');
  const { errors, report, clear } = useErrors();
  const listHref = withNamespaceQuery(NOTEBOOKS_PATH, ns);

  useRequest((signal) => fetchPvcs(ns, signal), setPvcs, (err) => report(`Could not list the volumes of ${ns}`, err), [ns]);
  useRequest(
    (signal) => fetchPodDefaults(ns, signal),
    setPodDefaults,
    (err) => {
      setPodDefaults([]);
      report(`Could not list the configurations of ${ns}`, err);
    },
    [ns],
  );

  const set = (patch: Partial<FormState>) => setF((old) => ({ ...old, ...patch }));
  const problems = formProblems(f, config.vendors);
  const { tried, busy, err, send } = useCreateForm(problems, report, clear);

  const addVolume = () => {
    const n = f.volumes.length + 1;
    set({
      volumes: [
        ...f.volumes,
        {
          id: ++volumeIds,
          mode: 'new',
          name: `${f.name || 'notebook'}-data-${n}`.slice(0, PVC_NAME_MAX),
          size: '10Gi',
          pvc: '',
          mountPath: `${HOME}/data-${n}`,
        },
      ],
    });
  };

  const giveMlflow = async () => {
    setMlflowBusy(true);
    clear();
    try {
      await sendJSON('POST', `/api/namespaces/${enc(ns)}/poddefaults/mlflow`);
      setPodDefaults(await fetchPodDefaults(ns));
      set({ podDefaults: f.podDefaults.includes(MLFLOW_LABEL) ? f.podDefaults : [...f.podDefaults, MLFLOW_LABEL] });
      setStatus(`${ns} has MLflow access: notebooks that opt in log to its MLflow workspace.`);
    } catch (e) {
      report(`Could not give ${ns} MLflow access`, e);
    } finally {
      setMlflowBusy(false);
    }
  };

  const onSubmit = send({
    url: `/api/namespaces/${enc(ns)}/notebooks`,
    body: () => requestBody(f),
    then: listHref,
    exists: `A notebook named ${f.name} exists already in ${ns}`,
    failed: `Could not create ${f.name}`,
  });

  const hasMlflow = podDefaults?.some((p) => p.label === MLFLOW_LABEL) ?? true;

  return (
    <form class="stack" noValidate onSubmit={onSubmit} data-testid="notebook-form">
      <ErrorBanner messages={errors} onDismiss={clear} />
      <TitledCard id="nb-basics" title="Name and image">
        <TextField
          id="nb-name"
          label="Name"
          name="name"
          hint={`Lowercase letters, digits and dashes; at most ${NAME_MAX}.`}
          value={f.name}
          error={err('nb-name')}
          onInput={(v) => set({ name: v.trim() })}
        />
        {serverTypes.length > 1 && (
          <SelectField
            id="nb-server-type"
            label="Server"
            value={f.serverType}
            options={serverTypes}
            onChange={(t) => {
              const serverType = t as ServerType;
              const g = serverType === 'jupyter' ? null : config.groups[serverType];
              set({ serverType, image: g ? g.value : config.defaultImage, custom: false });
            }}
          />
        )}
        {images.length > 0 && (
          <SelectField
            id="nb-image"
            label="Image"
            error={err('nb-image')}
            name="image"
            value={f.image}
            options={images}
            disabled={f.custom || ro.image}
            onChange={(image) => set({ image })}
          />
        )}
        {config.allowCustomImage && !ro.image && (
          <CheckField checked={f.custom} disabled={images.length === 0} onChange={(custom) => set({ custom })}>
            Custom image
          </CheckField>
        )}
        {f.custom && (
          <TextField
            id="nb-custom-image"
            label="Custom image"
            placeholder="registry.example.com/team/notebook:1.0"
            value={f.customImage}
            error={err('nb-custom-image')}
            onInput={(v) => set({ customImage: v })}
          />
        )}
      </TitledCard>

      <TitledCard id="nb-resources" title="CPU, memory and GPUs" row>
        <TextField
          id="nb-cpu"
          label="CPUs"
          hint="e.g. 0.5 or 2"
          short
          value={f.cpu}
          error={err('nb-cpu')}
          disabled={ro.cpu}
          onInput={(v) => set({ cpu: v })}
        />
        <TextField
          id="nb-memory"
          label="Memory"
          hint="e.g. 1Gi or 512Mi"
          short
          value={f.memory}
          error={err('nb-memory')}
          disabled={ro.memory}
          onInput={(v) => set({ memory: v })}
        />
        <SelectField
          id="nb-gpus"
          label="GPUs"
          error={err('nb-gpus')}
          value={String(f.gpuCount)}
          options={[['0', 'None'], '1', '2', '4', '8', '16']}
          disabled={config.vendors.length === 0 || ro.gpus}
          onChange={(n) => set({ gpuCount: Number(n) })}
        />
        {f.gpuCount > 0 && (
          <SelectField
            id="nb-gpu-vendor"
            label="GPU vendor"
            error={err('nb-gpu-vendor')}
            value={f.gpuVendor}
            disabled={ro.gpus}
            options={config.vendors.map((v): [string, string] => [v.limitsKey, v.uiName])}
            onChange={(gpuVendor) => set({ gpuVendor })}
          />
        )}
      </TitledCard>

      <TitledCard id="nb-workspace" title="Workspace volume">
        <Choices
          name="workspace"
          legend="Workspace volume"
          hint={`Mounted at ${HOME}: your files stay when the notebook stops or is deleted.`}
          options={[
            ['new', 'New volume'],
            ['existing', 'Existing volume'],
            ['none', 'No workspace volume'],
          ]}
          value={f.workspace}
          disabled={ro.workspace}
          onChange={(workspace) => set({ workspace })}
        />
        {f.workspace === 'new' && (
          <TextField
            id="nb-ws-size"
            label="Size"
            hint={`The volume ${f.name || '<name>'}-workspace`}
            short
            value={f.workspaceSize}
            error={err('nb-ws-size')}
            disabled={ro.workspace}
            onInput={(v) => set({ workspaceSize: v })}
          />
        )}
        {f.workspace === 'existing' && (
          <PvcField
            id="nb-ws-pvc"
            value={f.workspacePvc}
            error={err('nb-ws-pvc')}
            pvcs={pvcs}
            onChange={(pvc) => set({ workspacePvc: pvc })}
          />
        )}
      </TitledCard>

      <TitledCard id="nb-data" title="Data volumes">
        {f.volumes.map((v) => (
          <VolumeRow
            key={v.id}
            v={v}
            problems={problems}
            shown={tried}
            pvcs={pvcs}
            onChange={(next) => set({ volumes: f.volumes.map((x) => (x.id === v.id ? next : x)) })}
            onRemove={() => set({ volumes: f.volumes.filter((x) => x.id !== v.id) })}
          />
        ))}
        <button
          type="button"
          class="button"
          disabled={f.volumes.length >= DATA_VOLUMES_MAX || ro.dataVolumes}
          onClick={addVolume}
        >
          Add data volume
        </button>
        {f.volumes.length >= DATA_VOLUMES_MAX && (
          <p class="field-hint">A notebook can have at most {DATA_VOLUMES_MAX} data volumes.</p>
        )}
      </TitledCard>

      <TitledCard id="nb-configs" title="Configurations">
        {podDefaults === null ? (
          <p class="muted" aria-busy="true">
            Loading…
          </p>
        ) : podDefaults.length === 0 ? (
          <p class="muted" data-testid="no-poddefaults">
            {ns} has no configurations (PodDefaults) to add to notebooks.
          </p>
        ) : (
          <fieldset class="choices">
            <legend class="visually-hidden">Configurations</legend>
            {podDefaults.map((p) => (
              <label key={p.label} class="check">
                <input
                  type="checkbox"
                  value={p.label}
                  checked={f.podDefaults.includes(p.label)}
                  disabled={ro.podDefaults}
                  onChange={(e) =>
                    set({
                      podDefaults: e.currentTarget.checked
                        ? [...f.podDefaults, p.label]
                        : f.podDefaults.filter((l) => l !== p.label),
                    })
                  }
                />
                {p.desc || p.name}
                <span class="muted"> ({p.label})</span>
              </label>
            ))}
          </fieldset>
        )}
        {!hasMlflow && mayAddMlflow && config.mlflowTrackingUri && (
          <p>
            <button type="button" class="button" disabled={mlflowBusy} onClick={giveMlflow}>
              {mlflowBusy ? 'Giving access…' : 'Give this namespace MLflow access'}
            </button>
          </p>
        )}
        <p class="status-line" role="status">
          {status}
        </p>
      </TitledCard>

      <TitledCard id="nb-advanced" title="Scheduling and shared memory" row>
        {config.affinities.length > 0 && (
          <SelectField
            id="nb-affinity"
            label="Affinity"
            value={f.affinityConfig}
            options={[['', 'None'], ...config.affinities.map((c): [string, string] => [c.key, c.displayName])]}
            disabled={ro.affinityConfig}
            onChange={(affinityConfig) => set({ affinityConfig })}
          />
        )}
        {config.tolerations.length > 0 && (
          <SelectField
            id="nb-tolerations"
            label="Tolerations"
            value={f.tolerationGroup}
            options={[['', 'None'], ...config.tolerations.map((c): [string, string] => [c.key, c.displayName])]}
            disabled={ro.tolerationGroup}
            onChange={(tolerationGroup) => set({ tolerationGroup })}
          />
        )}
        <CheckField checked={f.shm} disabled={ro.shm} onChange={(shm) => set({ shm })}>
          Shared memory at /dev/shm
        </CheckField>
      </TitledCard>

      <QuotaWarning
        ns={ns}
        what="notebook"
        asks={notebookAsks({
          cpu: f.cpu,
          memory: f.memory,
          gpuCount: f.gpuCount,
          gpuVendor: f.gpuVendor,
          newVolumes: [
            ...(f.workspace === 'new' ? [f.workspaceSize] : []),
            ...f.volumes.filter((v) => v.mode === 'new').map((v) => v.size),
          ],
        })}
      />
      <FormActions busy={busy} text="Launch" busyText="Creating…" cancelHref={listHref} />
    </form>
  );
}

export function NotebookFormPage({ envState, ns }: { envState: EnvState; ns: string }) {
  const [config, setConfig] = useState<FormConfig | null>(null);
  const { errors, report, clear } = useErrors();
  const rights = useAllowed(ns, envState, FORM_RIGHTS);

  useRequest(fetchConfig, setConfig, (err) => report('Could not load the notebook settings', err), []);

  const gate = workloadGate(envState, ns, 'Notebooks are not available', 'Select a namespace in the top bar first.');
  let body;
  if (gate) body = gate;
  else if (rights && !rights.create) body = <FormNotAllowed ns={ns} what="notebooks" verb="create" />;
  else if (!config || !rights) body = errors.length ? null : <Loading />;
  else body = <Form key={ns} ns={ns} config={config} mayAddMlflow={rights.podDefaults} />;
  return (
    <div class="page">
      <WorkloadTitle
        root="Notebooks"
        href={withNamespaceQuery(NOTEBOOKS_PATH, ns)}
        sub={<>New notebook{ns && <span class="muted"> in {ns}</span>}</>}
      />
      <ErrorBanner messages={errors} onDismiss={clear} />
      {body}
    </div>
  );
}
