// Spark applications (/spark-applications?ns=): the SparkApplications of the selected namespace
// with their state and executors; one application (/spark-applications/details/<name>) with its
// executor states, a link to its live Spark UI (through the dashboard, /spark/<ns>/<app>/) and the
// driver's log as it grows; and a submit form (/spark-applications/new) filled from one of the
// server's templates. Submit and delete show only to those the API server lets write here.

import { useState } from 'preact/hooks';
import { getJSON, useRequest } from './api';
import { TextField } from './fields';
import { Icon } from './icons';
import { asNumber, asString, isObject, looseString, type Json } from './json';
import { ErrorBanner, Loading, SmartLink, Table } from './layout';
import { withNamespaceQuery } from './links';
import type { EnvState } from './namespaces';
import { sparkAsks } from './quota';
import { QuotaWarning } from './quota_view';
import { NEW_SPARK_PATH, SPARK_PATH, navigate } from './router';
import { parseTime, SelectField, TimeAgo, useErrors } from './ui';
import {
  Chip,
  DeleteButton,
  DetailCard,
  enc,
  Facts,
  FormActions,
  FormNotAllowed,
  LogStream,
  nameProblem,
  TitledCard,
  useAllowed,
  useConfirmedDelete,
  useCreateForm,
  useWorkloadDetail,
  useWorkloadList,
  WorkloadDetailPage,
  WorkloadListCard,
  WorkloadPage,
  workloadApi,
  type ChipKind,
} from './workloads';

/* -------------------------------------------------------------------------------- the data */

export interface SparkApp {
  name: string;
  type: string;
  mode: string;
  image: string;
  mainApplicationFile: string;
  mainClass: string;
  arguments: string[];
  sparkVersion: string;
  /** The operator's applicationState.state; '' before the operator took it (NEW). */
  state: string;
  errorMessage: string;
  sparkApplicationId: string;
  driver: { pod: string; state: string; serviceAccount: string; cores: string; memory: string };
  executor: { instances: string; cores: string; memory: string };
  executorStates: [string, string][];
  executorCounts: [string, number][];
  submissionAttempts: number;
  executionAttempts: number;
  submittedAt: Date | null;
  terminatedAt: Date | null;
  createdAt: Date | null;
  /** /spark/<ns>/<name>/ while the driver's UI serves, else ''. */
  uiUrl: string;
}

const byFirst = <T,>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function toSparkApp(v: unknown): SparkApp | null {
  if (!isObject(v) || !asString(v.name)) return null;
  const d = isObject(v.driver) ? v.driver : {};
  const e = isObject(v.executor) ? v.executor : {};
  const states = isObject(v.executorStates) ? v.executorStates : {};
  const counts = isObject(v.executorCounts) ? v.executorCounts : {};
  const ui = asString(v.uiUrl);
  return {
    name: asString(v.name),
    type: asString(v.type),
    mode: asString(v.mode),
    image: asString(v.image),
    mainApplicationFile: asString(v.mainApplicationFile),
    mainClass: asString(v.mainClass),
    arguments: Array.isArray(v.arguments) ? v.arguments.map(looseString) : [],
    sparkVersion: asString(v.sparkVersion),
    state: asString(v.state),
    errorMessage: asString(v.errorMessage),
    sparkApplicationId: asString(v.sparkApplicationId),
    driver: {
      pod: asString(d.pod),
      state: asString(d.state),
      serviceAccount: asString(d.serviceAccount),
      cores: looseString(d.cores),
      memory: looseString(d.memory),
    },
    executor: { instances: looseString(e.instances), cores: looseString(e.cores), memory: looseString(e.memory) },
    executorStates: Object.entries(states)
      .map(([pod, s]): [string, string] => [pod, asString(s)])
      .sort(byFirst),
    executorCounts: Object.entries(counts)
      .map(([s, n]): [string, number] => [s, asNumber(n)])
      .filter(([, n]) => n > 0)
      .sort(byFirst),
    submissionAttempts: asNumber(v.submissionAttempts),
    executionAttempts: asNumber(v.executionAttempts),
    submittedAt: parseTime(v.submittedAt),
    terminatedAt: parseTime(v.terminatedAt),
    createdAt: parseTime(v.createdAt),
    // Only a path of this dashboard is ever linked.
    uiUrl: ui.startsWith('/spark/') ? ui : '',
  };
}

const appsBase = (ns: string) => `/api/namespaces/${enc(ns)}/sparkapplications`;

const api = workloadApi(appsBase, 'applications', 'application', 'application', toSparkApp);

const SPARK_RIGHTS = {
  create: { verb: 'create', group: 'sparkoperator.k8s.io', resource: 'sparkapplications' },
  delete: { verb: 'delete', group: 'sparkoperator.k8s.io', resource: 'sparkapplications' },
};

/* ------------------------------------------------------------------------------ the views */

const STATE_KIND: Record<string, ChipKind> = {
  RUNNING: 'ok',
  COMPLETED: 'ok',
  SUBMITTED: 'pending',
  PENDING_RERUN: 'pending',
  INVALIDATING: 'pending',
  SUCCEEDING: 'pending',
  '': 'pending',
  FAILING: 'warn',
  FAILED: 'error',
  SUBMISSION_FAILED: 'error',
  UNKNOWN: 'idle',
};

function StateChip({ state, message }: { state: string; message?: string }) {
  // The operator's own name for the empty state is NEW: not yet taken up.
  return <Chip kind={STATE_KIND[state] ?? 'idle'} text={state || 'NEW'} title={message} />;
}

export const sparkAppHref = (ns: string, name: string) => withNamespaceQuery(`${SPARK_PATH}/details/${enc(name)}`, ns);

function ExecutorCounts({ app }: { app: SparkApp }) {
  if (app.executorCounts.length === 0) {
    return <span class="muted">{app.executor.instances ? `${app.executor.instances} requested` : 'none'}</span>;
  }
  return (
    <span class="row-actions" data-testid="executor-counts">
      {app.executorCounts.map(([state, n]) => (
        <Chip key={state} kind={STATE_KIND[state] ?? 'idle'} text={`${n} ${state}`} />
      ))}
    </span>
  );
}

/** Deleting one application after a confirmation; `done` runs once it is gone. */
function useDelete(ns: string, report: (what: string, err: unknown) => void, done: (name: string) => void) {
  return useConfirmedDelete(
    (name) => api.remove(ns, name),
    (name) => (
      <>
        The application <strong>{name}</strong> is stopped if it runs, and removed with its driver and executors.
      </>
    ),
    report,
    done,
  );
}

function UiLink({ app, text: label }: { app: SparkApp; text?: string }) {
  if (!app.uiUrl) return null;
  return (
    <a
      class="button"
      href={app.uiUrl}
      target="_blank"
      rel="noopener"
      aria-label={label ? undefined : `Open the Spark UI of ${app.name}`}
    >
      <Icon name="launch" />
      {label ?? 'Spark UI'}
    </a>
  );
}

function AppList({ ns, envState }: { ns: string; envState: EnvState }) {
  const shown = useWorkloadList(ns, 'Spark applications', api.list);
  const { now } = shown;
  const rights = useAllowed(ns, envState, SPARK_RIGHTS);
  const del = useDelete(ns, shown.report, shown.removed);

  const titleId = 'spark-title';
  return (
    <WorkloadListCard
      shown={shown}
      titleId={titleId}
      heading="Spark applications"
      rights={rights}
      create={{ path: NEW_SPARK_PATH, text: 'Submit application' }}
      failed="The applications could not be loaded."
      empty={{
        testid: 'spark-empty',
        text: `No Spark applications in ${ns}.${rights?.create ? ' Submit one from a template with Submit application.' : ''}`,
      }}
      columns={['State', 'Name', 'Type', 'Executors', 'Submitted', 'Image']}
      dialog={del.dialog}
    >
      {(app) => (
        <tr key={app.name} data-testid="spark-row" data-name={app.name} data-state={app.state}>
          <td>
            <StateChip state={app.state} message={app.errorMessage} />
          </td>
          <th scope="row" class="person">
            <SmartLink target={{ href: sparkAppHref(ns, app.name), mode: 'spa' }}>{app.name}</SmartLink>
          </th>
          <td>{app.type}</td>
          <td>
            <ExecutorCounts app={app} />
          </td>
          <td>
            <TimeAgo date={app.submittedAt ?? app.createdAt} now={now} />
          </td>
          <td title={app.image}>{app.image.split('/').pop()}</td>
          <td class="actions">
            <span class="row-actions">
              <UiLink app={app} />
              {rights?.delete && (
                <DeleteButton name={app.name} disabled={del.busy === app.name} onClick={() => del.ask(app.name)} />
              )}
            </span>
          </td>
        </tr>
      )}
    </WorkloadListCard>
  );
}

function AppDetail({ ns, name, envState }: { ns: string; name: string; envState: EnvState }) {
  const shown = useWorkloadDetail(ns, name, api.get);
  const { item: app, now } = shown;
  const rights = useAllowed(ns, envState, SPARK_RIGHTS);
  const listHref = withNamespaceQuery(SPARK_PATH, ns);
  const del = useDelete(ns, shown.report, () => navigate(listHref));

  const logsUrl = `${appsBase(ns)}/${enc(name)}/logs?follow=true&tailLines=1000`;
  return (
    <WorkloadDetailPage
      shown={shown}
      gone={{
        testid: 'spark-gone',
        what: 'Spark application',
        back: { href: listHref, text: 'Back to the applications' },
      }}
      dialog={del.dialog}
    >
      <DetailCard
        titleId="app-title"
        testid="spark-detail"
        name={name}
        tools={
          app && (
            <>
              <StateChip state={app.state} message={app.errorMessage} />
              <UiLink app={app} text="Open Spark UI" />
              {rights?.delete && (
                <DeleteButton name={name} disabled={del.busy === name} onClick={() => del.ask(name)} />
              )}
            </>
          )
        }
      >
        {app?.errorMessage && (
          <p class="card-body notice" data-testid="spark-error">
            {app.errorMessage}
          </p>
        )}
        {app ? (
          <Facts
            items={[
              ['Type', `${app.type}${app.mode ? ` (${app.mode} mode)` : ''}`],
              ['Image', <span class="ns-name">{app.image}</span>],
              ['Application file', <span class="ns-name">{app.mainApplicationFile}</span>],
              ['Main class', app.mainClass],
              ['Arguments', app.arguments.join(' ')],
              ['Spark version', app.sparkVersion],
              ['Spark application id', app.sparkApplicationId],
              [
                'Driver',
                `${app.driver.pod || '—'}${app.driver.state ? ` (${app.driver.state})` : ''}, ` +
                  `${app.driver.cores || '?'} cores, ${app.driver.memory || '?'}`,
              ],
              ['Service account', app.driver.serviceAccount],
              [
                'Executors',
                `${app.executor.instances || '?'} × ${app.executor.cores || '?'} cores, ${app.executor.memory || '?'}`,
              ],
              ['Attempts', `${app.submissionAttempts} submitted, ${app.executionAttempts} run`],
              ['Submitted', <TimeAgo date={app.submittedAt} now={now} />],
              ['Finished', app.terminatedAt ? <TimeAgo date={app.terminatedAt} now={now} /> : ''],
            ]}
          />
        ) : (
          <Loading />
        )}
      </DetailCard>
      <section class="card" aria-labelledby="exec-title">
        <h2 id="exec-title" class="card-title">
          Executors
        </h2>
        {!app ? (
          <Loading />
        ) : app.executorStates.length === 0 ? (
          <p class="card-note" data-testid="no-executors">
            No executors yet.
          </p>
        ) : (
          <Table labelledBy="exec-title" columns={['Pod', 'State']}>
            {app.executorStates.map(([pod, state]) => (
              <tr key={pod} data-testid="executor-row" data-pod={pod} data-state={state}>
                <th scope="row" class="ns-name">
                  {pod}
                </th>
                <td>
                  <StateChip state={state} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
      <TitledCard id="driver-log-title" title="Driver log">
        <LogStream url={logsUrl} label={`Driver log of ${name}`} />
      </TitledCard>
    </WorkloadDetailPage>
  );
}

/* ------------------------------------------------------------------------- the submit form */

interface Template {
  id: string;
  title: string;
  description: string;
  form: Json;
}

async function fetchTemplates(signal?: AbortSignal): Promise<Template[]> {
  const raw = await getJSON('/api/spark/templates', signal);
  const list = isObject(raw) && Array.isArray(raw.templates) ? raw.templates : [];
  return list
    .filter(isObject)
    .map((t) => ({
      id: asString(t.id),
      title: asString(t.title) || asString(t.id),
      description: asString(t.description),
      form: isObject(t.form) ? t.form : {},
    }))
    .filter((t) => t.id);
}

/* The server's limits (k8s/sparkapp.c), repeated so the form can say so before sending. */
export const APP_NAME_MAX = 63;
const ARGS_MAX = 64;
const ARG_BYTES_MAX = 4096;
const CONF_MAX = 64;
const CORES_MAX = 64;
const INSTANCES_MAX = 100;
const TEXT_MAX = 1024;
const TYPES = ['Python', 'Scala', 'Java', 'R'];
const MEMORY = /^\d+(\.\d+)?([kmgt]|[KMGT]i?|[kmgt]b)?$/;

interface SparkForm {
  /** The template's body: fields the form does not show (e.g. timeToLiveSeconds) pass through. */
  base: Json;
  name: string;
  type: string;
  image: string;
  mainApplicationFile: string;
  mainClass: string;
  /** One argument per line. */
  arguments: string;
  sparkVersion: string;
  /** key=value, one per line. */
  sparkConf: string;
  driverCores: string;
  driverMemory: string;
  serviceAccount: string;
  instances: string;
  executorCores: string;
  executorMemory: string;
}

function fromTemplate(t: Template | null): SparkForm {
  const f = t?.form ?? {};
  const d = isObject(f.driver) ? f.driver : {};
  const e = isObject(f.executor) ? f.executor : {};
  const conf = isObject(f.sparkConf) ? f.sparkConf : {};
  return {
    base: f,
    name: asString(f.name),
    type: asString(f.type) || 'Python',
    image: asString(f.image),
    mainApplicationFile: asString(f.mainApplicationFile),
    mainClass: asString(f.mainClass),
    arguments: Array.isArray(f.arguments) ? f.arguments.map(looseString).join('\n') : '',
    sparkVersion: asString(f.sparkVersion),
    sparkConf: Object.entries(conf)
      .map(([k, v]) => `${k}=${looseString(v)}`)
      .join('\n'),
    driverCores: looseString(d.cores) || '1',
    driverMemory: looseString(d.memory) || '512m',
    serviceAccount: asString(d.serviceAccount),
    instances: looseString(e.instances) || '1',
    executorCores: looseString(e.cores) || '1',
    executorMemory: looseString(e.memory) || '512m',
  };
}

const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

function parseConf(s: string): { conf: Record<string, string>; bad: string | null } {
  const conf: Record<string, string> = {};
  for (const line of lines(s)) {
    const eq = line.indexOf('=');
    if (eq <= 0) return { conf, bad: line };
    conf[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { conf, bad: null };
}

function wholeIn(v: string, min: number, max: number): boolean {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return n >= min && n <= max;
}

export function sparkFormProblems(f: SparkForm): Record<string, string> {
  const p: Record<string, string> = {};
  const name = nameProblem(f.name, APP_NAME_MAX, 'application');
  if (name) p['sp-name'] = name;
  if (!TYPES.includes(f.type)) p['sp-type'] = 'Choose the type.';
  const need = (id: string, v: string, what: string) => {
    if (!v.trim()) p[id] = `Enter the ${what}.`;
    else if (v.length > TEXT_MAX) p[id] = `The ${what} can be at most ${TEXT_MAX} characters long.`;
  };
  need('sp-image', f.image, 'image');
  need('sp-file', f.mainApplicationFile, 'application file');
  if (f.type === 'Scala' || f.type === 'Java') need('sp-class', f.mainClass, 'main class');
  else if (f.mainClass.length > TEXT_MAX) p['sp-class'] = `The main class can be at most ${TEXT_MAX} characters long.`;
  const args = lines(f.arguments);
  if (args.length > ARGS_MAX) p['sp-args'] = `At most ${ARGS_MAX} arguments (there are ${args.length}).`;
  else if (args.some((a) => new TextEncoder().encode(a).length > ARG_BYTES_MAX)) {
    p['sp-args'] = `An argument can be at most ${ARG_BYTES_MAX} bytes long.`;
  }
  const { conf, bad } = parseConf(f.sparkConf);
  if (bad) p['sp-conf'] = `Write each setting as key=value: "${bad.slice(0, 40)}" is not.`;
  else if (Object.keys(conf).length > CONF_MAX) p['sp-conf'] = `At most ${CONF_MAX} settings.`;
  if (!wholeIn(f.driverCores, 1, CORES_MAX)) p['sp-driver-cores'] = `From 1 to ${CORES_MAX}.`;
  if (!wholeIn(f.executorCores, 1, CORES_MAX)) p['sp-exec-cores'] = `From 1 to ${CORES_MAX}.`;
  if (!wholeIn(f.instances, 1, INSTANCES_MAX)) p['sp-instances'] = `From 1 to ${INSTANCES_MAX}.`;
  if (!MEMORY.test(f.driverMemory.trim())) p['sp-driver-memory'] = 'Write it like 512m or 2g.';
  if (!MEMORY.test(f.executorMemory.trim())) p['sp-exec-memory'] = 'Write it like 512m or 2g.';
  return p;
}

export function sparkRequestBody(f: SparkForm) {
  const body: Json = {
    ...f.base,
    name: f.name,
    type: f.type,
    image: f.image.trim(),
    mainApplicationFile: f.mainApplicationFile.trim(),
    arguments: lines(f.arguments),
    sparkConf: parseConf(f.sparkConf).conf,
    driver: {
      ...(isObject(f.base.driver) ? f.base.driver : {}),
      cores: Number(f.driverCores),
      memory: f.driverMemory.trim(),
      serviceAccount: f.serviceAccount.trim(),
    },
    executor: {
      ...(isObject(f.base.executor) ? f.base.executor : {}),
      instances: Number(f.instances),
      cores: Number(f.executorCores),
      memory: f.executorMemory.trim(),
    },
  };
  if (f.mainClass.trim()) body.mainClass = f.mainClass.trim();
  else delete body.mainClass;
  if (f.sparkVersion.trim()) body.sparkVersion = f.sparkVersion.trim();
  else delete body.sparkVersion;
  return body;
}

function SubmitForm({ ns, templates }: { ns: string; templates: Template[] }) {
  const [templateId, setTemplateId] = useState(templates[0]?.id ?? '');
  const [f, setF] = useState<SparkForm>(() => fromTemplate(templates[0] ?? null));
  const { errors, report, clear } = useErrors();
  const listHref = withNamespaceQuery(SPARK_PATH, ns);
  const template = templates.find((t) => t.id === templateId) ?? null;

  const set = (patch: Partial<SparkForm>) => setF((old) => ({ ...old, ...patch }));
  const { busy, err, send, setTried } = useCreateForm(sparkFormProblems(f), report, clear);

  const choose = (id: string) => {
    setTemplateId(id);
    setF(fromTemplate(templates.find((t) => t.id === id) ?? null));
    setTried(false);
  };

  const onSubmit = send({
    url: appsBase(ns),
    body: () => sparkRequestBody(f),
    then: listHref,
    exists: `An application named ${f.name} exists already in ${ns}`,
    failed: `Could not submit ${f.name}`,
  });

  return (
    <form class="stack" noValidate onSubmit={onSubmit} data-testid="spark-form">
      <ErrorBanner messages={errors} onDismiss={clear} />
      <TitledCard id="sp-app" title="Application">
        {templates.length > 0 && (
          <SelectField
            id="sp-template"
            label="Template"
            hint={template?.description}
            value={templateId}
            options={templates.map((t) => [t.id, t.title])}
            onChange={choose}
          />
        )}
        <TextField
          id="sp-name"
          label="Name"
          value={f.name}
          hint={`Lowercase letters, digits and dashes; at most ${APP_NAME_MAX}.`}
          error={err('sp-name')}
          onInput={(v) => set({ name: v.trim() })}
        />
        <SelectField
          id="sp-type"
          label="Type"
          error={err('sp-type')}
          value={f.type}
          options={TYPES}
          onChange={(type) => set({ type })}
        />
        <TextField
          id="sp-image"
          label="Image"
          value={f.image}
          error={err('sp-image')}
          onInput={(v) => set({ image: v })}
        />
        <TextField
          id="sp-file"
          label="Application file"
          value={f.mainApplicationFile}
          hint="local:///path in the image, or a URL Spark can fetch"
          error={err('sp-file')}
          onInput={(v) => set({ mainApplicationFile: v })}
        />
        <TextField
          id="sp-class"
          label="Main class"
          value={f.mainClass}
          hint="Needed for Scala and Java"
          error={err('sp-class')}
          onInput={(v) => set({ mainClass: v })}
        />
        <TextField
          id="sp-args"
          label="Arguments"
          hint="One per line"
          rows={3}
          value={f.arguments}
          error={err('sp-args')}
          onInput={(v) => set({ arguments: v })}
        />
        <TextField
          id="sp-version"
          label="Spark version"
          value={f.sparkVersion}
          short
          error={err('sp-version')}
          onInput={(v) => set({ sparkVersion: v })}
        />
        <TextField
          id="sp-conf"
          label="Spark configuration"
          hint="key=value, one per line"
          rows={3}
          value={f.sparkConf}
          error={err('sp-conf')}
          onInput={(v) => set({ sparkConf: v })}
        />
      </TitledCard>
      <TitledCard id="sp-resources" title="Driver and executors">
        <div class="form-row">
          <TextField
            id="sp-driver-cores"
            label="Driver cores"
            value={f.driverCores}
            short
            error={err('sp-driver-cores')}
            onInput={(v) => set({ driverCores: v })}
          />
          <TextField
            id="sp-driver-memory"
            label="Driver memory"
            value={f.driverMemory}
            short
            error={err('sp-driver-memory')}
            onInput={(v) => set({ driverMemory: v })}
          />
          <TextField
            id="sp-sa"
            label="Service account"
            value={f.serviceAccount}
            hint="Must be allowed to create pods in the namespace"
            error={err('sp-sa')}
            onInput={(v) => set({ serviceAccount: v })}
          />
        </div>
        <div class="form-row">
          <TextField
            id="sp-instances"
            label="Executors"
            value={f.instances}
            short
            error={err('sp-instances')}
            onInput={(v) => set({ instances: v })}
          />
          <TextField
            id="sp-exec-cores"
            label="Executor cores"
            value={f.executorCores}
            short
            error={err('sp-exec-cores')}
            onInput={(v) => set({ executorCores: v })}
          />
          <TextField
            id="sp-exec-memory"
            label="Executor memory"
            value={f.executorMemory}
            short
            error={err('sp-exec-memory')}
            onInput={(v) => set({ executorMemory: v })}
          />
        </div>
      </TitledCard>
      <QuotaWarning ns={ns} what="Spark application" asks={sparkAsks(f)} />
      <FormActions busy={busy} text="Submit" busyText="Submitting…" cancelHref={listHref} />
    </form>
  );
}

function SubmitPage({ ns, envState }: { ns: string; envState: EnvState }) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const { errors, report, clear } = useErrors();
  const rights = useAllowed(ns, envState, SPARK_RIGHTS);
  useRequest(
    fetchTemplates,
    setTemplates,
    (err) => {
      // Without templates the form starts empty.
      setTemplates([]);
      report('Could not load the templates', err);
    },
    [],
  );
  if (rights && !rights.create) return <FormNotAllowed ns={ns} what="Spark applications" verb="submit" />;
  return (
    <>
      <ErrorBanner messages={errors} onDismiss={clear} />
      {templates === null || rights === null ? <Loading /> : <SubmitForm key={ns} ns={ns} templates={templates} />}
    </>
  );
}

/** The page: the list, one application at …/details/<name>, the submit form at …/new. */
export function SparkPage({ envState, ns, path }: { envState: EnvState; ns: string; path: string }) {
  return (
    <WorkloadPage
      envState={envState}
      ns={ns}
      path={path}
      base={SPARK_PATH}
      newPath={NEW_SPARK_PATH}
      title="Spark applications"
      newTitle="Submit application"
      unavailable="Spark is not available"
      noNamespace="Select a namespace in the top bar to see its Spark applications."
      list={() => <AppList ns={ns} envState={envState} />}
      detail={(name) => <AppDetail key={`${ns}/${name}`} ns={ns} name={name} envState={envState} />}
      create={() => <SubmitPage ns={ns} envState={envState} />}
    />
  );
}
