// Notebooks (/notebooks?ns=): the Jupyter servers of the selected namespace with their status,
// a Connect link (the notebook's /notebook/<ns>/<name>/ in a new tab, as Kubeflow opens it),
// start/stop and delete, and a detail view (/notebooks/details/<name>) with the notebook's events
// and its pod's log as it grows. Write actions show only to those the API server lets write here
// (GET /api/rules/:namespace); the server checks every call anyway.

import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJSON, sendJSON, useRequest } from './api';
import { Icon } from './icons';
import { asNumber, asString, isObject, looseString } from './json';
import { Loading, SmartLink, Table } from './layout';
import { withNamespaceQuery } from './links';
import type { EnvState } from './namespaces';
import { NEW_NOTEBOOK_PATH, NOTEBOOKS_PATH } from './router';
import { describe, EVENT_COLUMNS, EventRow, parseTime, TimeAgo } from './ui';
import {
  Chip,
  DeleteButton,
  DetailCard,
  enc,
  Facts,
  LogStream,
  theOne,
  useAllowed,
  mayWriteByRole,
  useConfirmedDelete,
  useWorkloadDetail,
  useWorkloadList,
  WorkloadDetailPage,
  WorkloadListCard,
  WorkloadPage,
  workloadApi,
  type ChipKind,
} from './workloads';

const NOTEBOOK_RIGHTS = {
  create: { verb: 'create', group: 'kubeflow.org', resource: 'notebooks' },
  patch: { verb: 'patch', group: 'kubeflow.org', resource: 'notebooks' },
  delete: { verb: 'delete', group: 'kubeflow.org', resource: 'notebooks' },
};

const PHASE_KIND: Record<string, ChipKind> = {
  ready: 'ok',
  waiting: 'pending',
  uninitialized: 'pending',
  warning: 'warn',
  error: 'error',
  unavailable: 'error',
  terminating: 'idle',
  stopped: 'idle',
};

function PhaseChip({ phase, message }: { phase: string; message: string }) {
  return <Chip kind={PHASE_KIND[phase] ?? 'idle'} text={phase || 'unknown'} title={message} />;
}

/* -------------------------------------------------------------------- notebooks, the data */

export interface NotebookSummary {
  name: string;
  namespace: string;
  serverType: string;
  image: string;
  shortImage: string;
  cpu: string;
  memory: string;
  gpus: { count: number; vendor: string };
  volumes: string[];
  status: { phase: string; message: string };
  lastActivity: Date | null;
  createdAt: Date | null;
  creator: string;
  stopped: boolean;
  /** Where the notebook serves: /notebook/<ns>/<name>/. */
  url: string;
}

export function toNotebook(v: unknown): NotebookSummary | null {
  if (!isObject(v) || !asString(v.name)) return null;
  const gpus = isObject(v.gpus) ? v.gpus : {};
  const status = isObject(v.status) ? v.status : {};
  const volumes = Array.isArray(v.volumes)
    ? v.volumes.map((x) => (typeof x === 'string' ? x : isObject(x) ? asString(x.name) : '')).filter(Boolean)
    : [];
  const url = asString(v.url);
  return {
    name: asString(v.name),
    namespace: asString(v.namespace),
    serverType: asString(v.serverType) || 'jupyter',
    image: asString(v.image),
    shortImage: asString(v.shortImage) || asString(v.image).split('/').pop() || '',
    cpu: looseString(v.cpu),
    memory: asString(v.memory),
    gpus: { count: asNumber(gpus.count), vendor: asString(gpus.vendor) },
    volumes,
    status: { phase: asString(status.phase), message: asString(status.message) },
    lastActivity: parseTime(v.lastActivity),
    createdAt: parseTime(v.createdAt),
    creator: asString(v.creator),
    stopped: v.stopped === true,
    // Only a path of this dashboard is ever linked: never a URL the object could point elsewhere.
    url: url.startsWith('/notebook/') ? url : '',
  };
}

const nbBase = (ns: string) => `/api/namespaces/${enc(ns)}/notebooks`;

const api = workloadApi(nbBase, 'notebooks', 'notebook', 'notebook', toNotebook);

async function setStopped(ns: string, name: string, stopped: boolean): Promise<NotebookSummary> {
  const path = `${nbBase(ns)}/${enc(name)}`;
  return theOne(path, await sendJSON('PATCH', path, { stopped }), 'notebook', 'notebook', toNotebook);
}

interface NotebookEvent {
  key: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  time: Date | null;
  object: string;
}

async function listEvents(ns: string, name: string, signal?: AbortSignal): Promise<NotebookEvent[]> {
  const raw = await getJSON(`${nbBase(ns)}/${enc(name)}/events`, signal);
  const list = isObject(raw) && Array.isArray(raw.events) ? raw.events : [];
  return list.filter(isObject).map((e, i) => ({
    key: `${i}`,
    type: asString(e.type) || 'Normal',
    reason: asString(e.reason),
    message: asString(e.message),
    count: asNumber(e.count) || 1,
    time: parseTime(e.lastTimestamp),
    object: asString(e.object),
  }));
}

interface PodInfo {
  name: string;
  phase: string;
}

/** The notebook's pod, or null when it has none (stopped, or not started). */
async function getPod(ns: string, name: string, signal?: AbortSignal): Promise<PodInfo | null> {
  try {
    const raw = await getJSON(`${nbBase(ns)}/${enc(name)}/pod`, signal);
    const pod = isObject(raw) && isObject(raw.pod) ? raw.pod : {};
    const meta = isObject(pod.metadata) ? pod.metadata : {};
    const status = isObject(pod.status) ? pod.status : {};
    const podName = asString(meta.name) || asString(pod.name);
    return podName ? { name: podName, phase: asString(status.phase) || asString(pod.phase) } : null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && !/no such API route/.test(err.message)) return null;
    throw err;
  }
}

/* --------------------------------------------------------------------- notebooks, the view */

export const notebookHref = (ns: string, name: string) =>
  withNamespaceQuery(`${NOTEBOOKS_PATH}/details/${enc(name)}`, ns);

/**
 * Connect: the notebook's own UI in a new tab; a dimmed word while it cannot serve, or for a
 * viewer (a notebook runs code as its namespace: the server lets only contributors in).
 */
function ConnectLink({ nb, allowed }: { nb: NotebookSummary; allowed: boolean }) {
  if (!allowed) {
    return (
      <span
        class="button link-disabled"
        aria-disabled="true"
        title="Viewers cannot open notebooks: a notebook runs code as its namespace"
      >
        Connect
      </span>
    );
  }
  if (nb.status.phase !== 'ready' || nb.stopped || !nb.url) {
    return (
      <span class="button link-disabled" aria-disabled="true" title="The notebook is not running">
        Connect
      </span>
    );
  }
  return (
    <a class="button" href={nb.url} target="_blank" rel="noopener" aria-label={`Connect to ${nb.name}`}>
      <Icon name="launch" />
      Connect
    </a>
  );
}

function GpuText({ gpus }: { gpus: { count: number; vendor: string } }) {
  if (!gpus.count) return <span class="muted">none</span>;
  return (
    <>
      {gpus.count}
      {gpus.vendor && <span class="muted"> {gpus.vendor}</span>}
    </>
  );
}

/** Connect, then Stop/Start and Delete for those who may: the notebook's tools in its row and its card. */
function NotebookTools({ nb, rights, mayConnect, changes }: {
  nb: NotebookSummary;
  rights: Record<keyof typeof NOTEBOOK_RIGHTS, boolean> | null;
  mayConnect: boolean;
  changes: ReturnType<typeof useNotebookChanges>;
}) {
  const busy = changes.isBusy(nb.name) || nb.status.phase === 'terminating';
  return (
    <>
      <ConnectLink nb={nb} allowed={mayConnect} />
      {rights?.patch && (
        <button
          type="button"
          class="button"
          disabled={busy}
          aria-label={`${nb.stopped ? 'Start' : 'Stop'} ${nb.name}`}
          onClick={() => changes.toggle(nb)}
        >
          {nb.stopped ? 'Start' : 'Stop'}
        </button>
      )}
      {rights?.delete && <DeleteButton name={nb.name} disabled={busy} onClick={() => changes.ask(nb.name)} />}
    </>
  );
}

/**
 * Stop/start and delete with their confirmation and errors, shared by the list and the detail:
 * `changed` gets the notebook as it is after a stop or start, `removed` the name once deleted.
 */
function useNotebookChanges(
  ns: string,
  report: (what: string, err: unknown) => void,
  changed: (nb: NotebookSummary) => void,
  removed: (name: string) => void,
) {
  const [toggling, setToggling] = useState<string | null>(null);
  const toggle = async (nb: NotebookSummary) => {
    setToggling(nb.name);
    try {
      changed(await setStopped(ns, nb.name, !nb.stopped));
    } catch (err) {
      report(`Could not ${nb.stopped ? 'start' : 'stop'} ${nb.name}`, err);
    } finally {
      setToggling(null);
    }
  };
  const del = useConfirmedDelete(
    (name) => api.remove(ns, name),
    (name) => (
      <>
        The notebook server <strong>{name}</strong> stops and is removed. Its workspace volume is kept, so a new
        notebook can use it again.
      </>
    ),
    report,
    removed,
  );
  const isBusy = (name: string) => toggling === name || del.busy === name;
  return { isBusy, toggle, ask: del.ask, dialog: del.dialog };
}

function NotebookList({ ns, envState }: { ns: string; envState: EnvState }) {
  const shown = useWorkloadList(ns, 'notebooks', api.list);
  const { setList, now, setStatus, reload, report } = shown;
  const rights = useAllowed(ns, envState, NOTEBOOK_RIGHTS);
  const changes = useNotebookChanges(
    ns,
    report,
    (nb) => {
      setList((l) => l && l.map((x) => (x.name === nb.name ? nb : x)));
      setStatus(`${nb.name} ${nb.stopped ? 'is stopping' : 'is starting'}.`);
      reload();
    },
    shown.removed,
  );

  const titleId = 'notebooks-title';
  return (
    <WorkloadListCard
      shown={shown}
      titleId={titleId}
      heading="Notebooks"
      rights={rights}
      create={{ path: NEW_NOTEBOOK_PATH, text: 'New notebook' }}
      failed="The notebooks could not be loaded."
      empty={{
        testid: 'notebooks-empty',
        text: `No notebooks in ${ns} yet.${rights?.create ? ' Create one with New notebook.' : ''}`,
      }}
      columns={['Status', 'Name', 'Created', 'Last activity', 'Image', 'Resources']}
      dialog={changes.dialog}
    >
      {(nb) => (
        <tr key={nb.name} data-testid="notebook-row" data-name={nb.name} data-phase={nb.status.phase}>
          <td>
            <PhaseChip phase={nb.status.phase} message={nb.status.message} />
          </td>
          <th scope="row" class="person">
            <SmartLink target={{ href: notebookHref(ns, nb.name), mode: 'spa' }}>{nb.name}</SmartLink>
            {nb.serverType !== 'jupyter' && <span class="muted"> ({nb.serverType})</span>}
          </th>
          <td>
            <TimeAgo date={nb.createdAt} now={now} />
          </td>
          <td>
            <TimeAgo date={nb.lastActivity} now={now} />
          </td>
          <td title={nb.image}>{nb.shortImage}</td>
          <td>
            {nb.cpu || '?'} CPU · {nb.memory || '?'}
            {nb.gpus.count > 0 && ` · ${nb.gpus.count} GPU`}
          </td>
          <td class="actions">
            <span class="row-actions">
              <NotebookTools nb={nb} rights={rights} mayConnect={mayWriteByRole(envState, ns)} changes={changes} />
            </span>
          </td>
        </tr>
      )}
    </WorkloadListCard>
  );
}

function NotebookLogs({ ns, name, tick }: { ns: string; name: string; tick: number }) {
  const [pod, setPod] = useState<PodInfo | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    getPod(ns, name, abort.signal)
      .then((p) => {
        // The same pod keeps its stream; only a new one (or none) changes what is shown.
        setPod((old) => (old && p && old.name === p.name ? old : p));
        setError(null);
      })
      .catch((err) => {
        if (!abort.signal.aborted) setError(describe(err));
      });
    return () => abort.abort();
  }, [ns, name, tick]);
  if (error) return <p class="card-note">The pod could not be looked up: {error}</p>;
  if (pod === undefined) return <Loading />;
  if (pod === null) {
    return (
      <p class="card-note" data-testid="no-pod">
        No pod: the notebook is stopped or has not started yet.
      </p>
    );
  }
  const url = `${nbBase(ns)}/${enc(name)}/pod/${enc(pod.name)}/logs?tailLines=1000&follow=true`;
  return (
    <div class="card-body">
      <p class="muted">
        Pod <span class="ns-name">{pod.name}</span>
        {pod.phase && ` (${pod.phase})`}
      </p>
      <LogStream key={pod.name} url={url} label={`Log of ${pod.name}`} />
    </div>
  );
}

function NotebookDetail({ ns, name, envState }: { ns: string; name: string; envState: EnvState }) {
  const shown = useWorkloadDetail(ns, name, api.get);
  const { item: nb, setItem, setGone, now, tick, round, reload, report } = shown;
  const [events, setEvents] = useState<NotebookEvent[] | null>(null);
  const rights = useAllowed(ns, envState, NOTEBOOK_RIGHTS);
  const listHref = withNamespaceQuery(NOTEBOOKS_PATH, ns);

  useRequest(
    (signal) => listEvents(ns, name, signal),
    setEvents,
    (err) => report(`Could not load the events of ${name}`, err),
    [ns, name, tick, round],
  );

  const changes = useNotebookChanges(
    ns,
    report,
    (next) => {
      setItem(next);
      reload();
    },
    () => {
      setGone(true);
      reload();
    },
  );

  return (
    <WorkloadDetailPage
      shown={shown}
      gone={{ testid: 'notebook-gone', what: 'notebook', back: { href: listHref, text: 'Back to the notebooks' } }}
      dialog={changes.dialog}
    >
      <DetailCard
        titleId="nb-title"
        testid="notebook-detail"
        name={name}
        tools={
          nb && (
            <>
              <PhaseChip phase={nb.status.phase} message={nb.status.message} />
              <NotebookTools nb={nb} rights={rights} mayConnect={mayWriteByRole(envState, ns)} changes={changes} />
            </>
          )
        }
      >
        {nb ? (
          <Facts
            items={[
              ['Status', nb.status.message || nb.status.phase],
              ['Image', <span class="ns-name">{nb.image}</span>],
              ['Server type', nb.serverType],
              ['CPUs', nb.cpu],
              ['Memory', nb.memory],
              ['GPUs', <GpuText gpus={nb.gpus} />],
              ['Volumes', nb.volumes.join(', ')],
              ['Created', <TimeAgo date={nb.createdAt} now={now} />],
              ['Last activity', <TimeAgo date={nb.lastActivity} now={now} />],
              ['Creator', nb.creator],
            ]}
          />
        ) : (
          <Loading />
        )}
      </DetailCard>
      <section class="card" aria-labelledby="nb-events-title">
        <h2 id="nb-events-title" class="card-title">
          Events
        </h2>
        {events === null ? (
          <Loading />
        ) : events.length === 0 ? (
          <p class="card-note" data-testid="events-empty">
            No recent events. Kubernetes keeps events for about an hour.
          </p>
        ) : (
          <Table labelledBy="nb-events-title" columns={EVENT_COLUMNS}>
            {events.map((e) => (
              <EventRow key={e.key} event={e} now={now} object={e.object} testid="event-row" />
            ))}
          </Table>
        )}
      </section>
      <section class="card" aria-labelledby="nb-logs-title">
        <h2 id="nb-logs-title" class="card-title">
          Logs
        </h2>
        <NotebookLogs ns={ns} name={name} tick={tick} />
      </section>
    </WorkloadDetailPage>
  );
}

/** The page: the list at /notebooks, one notebook at /notebooks/details/<name>. */
export function NotebooksPage({ envState, ns, path }: { envState: EnvState; ns: string; path: string }) {
  return (
    <WorkloadPage
      envState={envState}
      ns={ns}
      path={path}
      base={NOTEBOOKS_PATH}
      title="Notebooks"
      unavailable="Notebooks are not available"
      noNamespace="Select a namespace in the top bar to see its notebooks."
      list={() => <NotebookList ns={ns} envState={envState} />}
      detail={(name) => <NotebookDetail key={`${ns}/${name}`} ns={ns} name={name} envState={envState} />}
    />
  );
}
