// KServe endpoints (/endpoints?ns=): the InferenceServices of the selected namespace with their
// readiness (and why not), the external URL users hand out (with a copy button), the cluster
// address, the traffic split, the model's status and last failure; one endpoint
// (/endpoints/details/<name>) with a test-predict panel (a JSON payload prefilled from the model's
// V2 metadata, sent through the dashboard's /serving/<ns>/<name>/, the answer and its latency) and
// curl examples with a personal access token; and the create form (/endpoints/new, from an MLflow
// model version or from any storage URI). Create and delete show only to those the API server lets
// write here; the server checks every call anyway.

import { EndpointCharts } from './endpoint_charts';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJSON, postRaw, useRequest, type RawAnswer } from './api';
import { redirectToSignIn } from './auth';
import { asNumber, asString, isObject } from './json';
import { Loading, SmartLink, Table } from './layout';
import { withNamespaceQuery } from './links';
import type { EnvState } from './namespaces';
import { ENDPOINTS_PATH, NEW_ENDPOINT_PATH, TOKENS_PATH, navigate } from './router';
import { CopyButton } from './tokens';
import { describe, parseTime, TimeAgo } from './ui';
import { DeployModelVersionButton, endpointHref, endpointsApi } from './endpoints_deploy';
import { EndpointForm, listModelVersions, type ModelVersion } from './endpoints_form';
import {
  Chip,
  DeleteButton,
  DetailCard,
  enc,
  Facts,
  FormNotAllowed,
  TitledCard,
  useAllowed,
  useConfirmedDelete,
  useWorkloadDetail,
  useWorkloadList,
  WorkloadDetailPage,
  WorkloadListCard,
  WorkloadPage,
  workloadApi,
  type ChipKind,
} from './workloads';

/* -------------------------------------------------------------------------------- the data */

export interface Reason {
  type: string;
  reason: string;
  message: string;
}

export interface TrafficTarget {
  revisionName: string;
  tag: string;
  percent: number;
  latestRevision: boolean;
}

export interface Endpoint {
  name: string;
  ready: boolean;
  /** 'ready', 'failed' (Ready is False) or 'pending' (not yet reported). */
  state: string;
  /** The conditions that are not True. */
  reasons: Reason[];
  /** status.url: the external URL users hand out. */
  url: string;
  /** status.address.url: where predictions go inside the cluster. */
  address: string;
  latestReadyRevision: string;
  traffic: TrafficTarget[];
  model: { format: string; formatVersion: string; protocolVersion: string; storageUri: string; runtime: string };
  serviceAccountName: string;
  /** The MLflow model version it was deployed from, when the dashboard did it. */
  mlflow: { model: string; version: string };
  modelStatus: { transitionStatus: string; activeModelState: string; targetModelState: string };
  lastFailure: { reason: string; message: string; time: Date | null } | null;
  /** /serving/<ns>/<name>/: predictions through the dashboard. */
  predictUrl: string;
  createdAt: Date | null;
  creator: string;
}

export function toEndpoint(v: unknown): Endpoint | null {
  if (!isObject(v) || !asString(v.name)) return null;
  const m = isObject(v.model) ? v.model : {};
  const ms = isObject(v.modelStatus) ? v.modelStatus : {};
  const from = isObject(v.mlflow) ? v.mlflow : {};
  const f = isObject(v.lastFailure) ? v.lastFailure : null;
  const predict = asString(v.predictUrl);
  return {
    name: asString(v.name),
    ready: v.ready === true,
    state: asString(v.state) || 'pending',
    reasons: (Array.isArray(v.reasons) ? v.reasons : [])
      .filter(isObject)
      .map((r) => ({ type: asString(r.type), reason: asString(r.reason), message: asString(r.message) })),
    url: asString(v.url),
    address: asString(v.address),
    latestReadyRevision: asString(v.latestReadyRevision),
    traffic: (Array.isArray(v.traffic) ? v.traffic : []).filter(isObject).map((t) => ({
      revisionName: asString(t.revisionName),
      tag: asString(t.tag),
      percent: asNumber(t.percent),
      latestRevision: t.latestRevision === true,
    })),
    model: {
      format: asString(m.format),
      formatVersion: asString(m.formatVersion),
      protocolVersion: asString(m.protocolVersion),
      storageUri: asString(m.storageUri),
      runtime: asString(m.runtime),
    },
    serviceAccountName: asString(v.serviceAccountName),
    mlflow: { model: asString(from.model), version: asString(from.version) },
    modelStatus: {
      transitionStatus: asString(ms.transitionStatus),
      activeModelState: asString(ms.activeModelState),
      targetModelState: asString(ms.targetModelState),
    },
    lastFailure: f ? { reason: asString(f.reason), message: asString(f.message), time: parseTime(f.time) } : null,
    // Only a path of this dashboard is ever called.
    predictUrl: predict.startsWith('/serving/') ? predict : '',
    createdAt: parseTime(v.createdAt),
    creator: asString(v.creator),
  };
}

const api = workloadApi(endpointsApi, 'inferenceServices', 'inferenceService', 'endpoint', toEndpoint);

export const ENDPOINT_RIGHTS = {
  create: { verb: 'create', group: 'serving.kserve.io', resource: 'inferenceservices' },
  delete: { verb: 'delete', group: 'serving.kserve.io', resource: 'inferenceservices' },
};

/* ------------------------------------------------------------------------------ the views */

const STATE_KIND: Record<string, ChipKind> = { ready: 'ok', failed: 'error', pending: 'pending' };
const STATE_TEXT: Record<string, string> = { ready: 'Ready', failed: 'Not ready', pending: 'Pending' };

/** Why an endpoint is not ready, in one line. */
function reasonsText(e: Endpoint): string {
  const parts = e.reasons.map((r) => [r.type, r.reason, r.message].filter(Boolean).join(': '));
  if (e.lastFailure?.message && !parts.some((p) => p.includes(e.lastFailure!.message))) {
    parts.push(`${e.lastFailure.reason}: ${e.lastFailure.message}`);
  }
  return parts.join('; ');
}

function StateChip({ e }: { e: Endpoint }) {
  return <Chip kind={STATE_KIND[e.state] ?? 'idle'} text={STATE_TEXT[e.state] ?? e.state} title={reasonsText(e)} />;
}

/** The traffic split: each target's share and revision (`short`: its tag or "latest" instead). */
function trafficText(e: Endpoint, short = false): string {
  if (e.traffic.length === 0) return '';
  const label = (t: TrafficTarget) =>
    short ? t.tag || (t.latestRevision ? 'latest' : t.revisionName) : `${t.revisionName || '?'}${t.tag ? ` (${t.tag})` : t.latestRevision ? ' (latest)' : ''}`;
  return e.traffic.map((t) => `${t.percent}% ${label(t)}`).join(', ');
}

function modelText(e: Endpoint): string {
  if (e.mlflow.model) return `${e.mlflow.model} v${e.mlflow.version} (MLflow)`;
  return [e.model.format, e.model.formatVersion].filter(Boolean).join(' ');
}

function modelStatusText(e: Endpoint): string {
  const { transitionStatus, activeModelState, targetModelState } = e.modelStatus;
  const state = activeModelState || (targetModelState ? `→ ${targetModelState}` : '');
  return [state, transitionStatus].filter(Boolean).join(', ');
}

/** A URL with a Copy button (for the external URL people hand out), described by the URL. */
function CopyableUrl({ url, id, label }: { url: string; id: string; label: string }) {
  const ref = useRef<HTMLElement>(null);
  if (!url) return <span class="muted">—</span>;
  return (
    <span class="copy-row">
      <code class="secret" id={id} ref={ref} data-testid="external-url">
        {url}
      </code>
      <CopyButton text={url} label={label} target={ref} describedBy={id} />
    </span>
  );
}

function FailureNote({ e }: { e: Endpoint }) {
  if (!e.lastFailure) return null;
  return (
    <p class="field-error" data-testid="last-failure">
      {e.lastFailure.reason}
      {e.lastFailure.message && `: ${e.lastFailure.message}`}
    </p>
  );
}

/** Deleting one endpoint after a confirmation; `done` runs once it is gone. */
function useDelete(ns: string, report: (what: string, err: unknown) => void, done: (name: string) => void) {
  return useConfirmedDelete(
    (name) => api.remove(ns, name),
    (name) => (
      <>
        The endpoint <strong>{name}</strong> stops serving: its model server is removed, and its URL answers no
        more.
      </>
    ),
    report,
    done,
  );
}

function EndpointList({ ns, envState }: { ns: string; envState: EnvState }) {
  const shown = useWorkloadList(ns, 'endpoints', api.list);
  const rights = useAllowed(ns, envState, ENDPOINT_RIGHTS);
  const del = useDelete(ns, shown.report, shown.removed);
  const titleId = 'endpoints-title';
  return (
    <WorkloadListCard
      shown={shown}
      titleId={titleId}
      heading="Endpoints"
      rights={rights}
      create={{ path: NEW_ENDPOINT_PATH, text: 'New endpoint' }}
      failed="The endpoints could not be loaded."
      empty={{
        testid: 'endpoints-empty',
        text: `No endpoints in ${ns}.${rights?.create ? ' Deploy a registered MLflow model with New endpoint.' : ''}`,
      }}
      columns={['State', 'Name', 'External URL and cluster address', 'Traffic', 'Model status']}
      dialog={del.dialog}
    >
      {(e) => (
        <tr
          key={e.name}
          class={e.state === 'failed' ? 'row-warning' : undefined}
          data-testid="endpoint-row"
          data-name={e.name}
          data-state={e.state}
        >
          <td>
            <StateChip e={e} />
            {e.state !== 'ready' && e.reasons.length > 0 && (
              <p class="muted wrap" data-testid="reasons">
                {reasonsText(e)}
              </p>
            )}
          </td>
          <th scope="row" class="person">
            <SmartLink target={{ href: endpointHref(ns, e.name), mode: 'spa' }}>{e.name}</SmartLink>
            <br />
            <span class="muted" data-testid="model">
              {modelText(e)}
            </span>
          </th>
          <td class="wrap">
            <CopyableUrl url={e.url} id={`url-${e.name}`} label="Copy" />
            <span class="muted ns-name" data-testid="cluster-address">
              {e.address || '—'}
            </span>
          </td>
          <td title={trafficText(e)} data-testid="traffic">
            {trafficText(e, true) || <span class="muted">—</span>}
          </td>
          <td>
            {modelStatusText(e) || <span class="muted">—</span>}
            <FailureNote e={e} />
          </td>
          <td class="actions">
            <span class="row-actions">
              <SmartLink
                target={{ href: `${endpointHref(ns, e.name)}#predict`, mode: 'spa' }}
                class="button"
              >
                Predict<span class="visually-hidden"> with {e.name}</span>
              </SmartLink>
              {rights?.delete && (
                <DeleteButton name={e.name} disabled={del.busy === e.name} onClick={() => del.ask(e.name)} />
              )}
            </span>
          </td>
        </tr>
      )}
    </WorkloadListCard>
  );
}

/**
 * The namespace's registered MLflow model versions, each with Deploy: for those who may create
 * endpoints here. Quiet when MLflow is not there (the create form says why).
 */
function DeployFromMlflow({ ns }: { ns: string }) {
  const [versions, setVersions] = useState<ModelVersion[] | null>(null);
  const [failure, setFailure] = useState('');
  useRequest(
    (signal) => listModelVersions(ns, signal),
    ({ versions: list }) => setVersions(list),
    (err) => (err instanceof ApiError && err.status === 401 ? redirectToSignIn() : setFailure(describe(err))),
    [ns],
  );
  if (failure || (versions && versions.length === 0)) return null;
  return (
    <section class="card" aria-labelledby="mlflow-versions-title" data-testid="mlflow-versions">
      <h2 id="mlflow-versions-title" class="card-title">
        Deploy a registered model of {ns}
      </h2>
      {versions === null ? (
        <Loading />
      ) : (
        <Table labelledBy="mlflow-versions-title" class="table-compact" columns={['Model', 'Version', 'Status', 'Source']} actions>
          {versions.map((v) => (
            <tr key={`${v.model}/${v.version}`} data-testid="mlflow-version-row" data-model={v.model} data-version={v.version}>
              <th scope="row" class="person">
                {v.model}
              </th>
              <td>{v.version}</td>
              <td>{v.status}</td>
              <td class="ns-name wrap">{v.source}</td>
              <td class="actions">
                <DeployModelVersionButton ns={ns} model={v.model} version={v.version} />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

/* ------------------------------------------------------------------------- predicting */

/** A V2 input tensor as the model's metadata describes it. */
interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

/**
 * JSON indented by two, with arrays of plain values on one line (a tensor's data stays readable).
 * Only formatting whitespace goes: JSON strings never hold a raw newline.
 */
export function compactJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(/\[(\s*[^[\]{}]*?\s*)\]/g, (_m, inner: string) =>
    `[${inner.trim().replace(/,\n\s*/g, ', ')}]`,
  );
}

/** The most zeros a prefilled payload holds: a large input gets a smaller batch. */
const PREFILL_MAX = 4096;

/** A V2 request for the metadata's inputs: each a batch of one (dimensions of -1 become 1), zeros. */
export function prefillV2(inputs: TensorSpec[]): string {
  const body = {
    inputs: inputs.map((i) => {
      const shape = i.shape.map((d) => (d > 0 ? d : 1));
      let size = shape.reduce((a, b) => a * b, 1);
      if (size > PREFILL_MAX) size = PREFILL_MAX;
      const zero = i.datatype === 'BYTES' ? '' : i.datatype === 'BOOL' ? false : 0;
      return { name: i.name, shape, datatype: i.datatype, data: new Array(size).fill(zero) };
    }),
  };
  return compactJson(body);
}

function toTensors(v: unknown): TensorSpec[] {
  const list = isObject(v) && Array.isArray(v.inputs) ? v.inputs : [];
  return list.filter(isObject).map((i) => ({
    name: asString(i.name),
    datatype: asString(i.datatype) || 'FP32',
    shape: (Array.isArray(i.shape) ? i.shape : []).map((d) => (typeof d === 'number' ? d : -1)),
  }));
}

const V1_PAYLOAD = compactJson({ instances: [[0, 0, 0, 0]] });
const V2_PAYLOAD = prefillV2([{ name: 'input-0', datatype: 'FP32', shape: [1, 1] }]);

/** Where a prediction goes through the dashboard, by the endpoint's protocol. */
function predictPath(e: Endpoint): string {
  return e.model.protocolVersion === 'v1'
    ? `${e.predictUrl}v1/models/${enc(e.name)}:predict`
    : `${e.predictUrl}v2/models/${enc(e.name)}/infer`;
}

/** The answer's predictions in one line: V2 outputs (name: data) or V1 predictions. */
function predictionsOf(text: string): string | null {
  try {
    const j: unknown = JSON.parse(text);
    if (isObject(j) && Array.isArray(j.outputs)) {
      return j.outputs
        .filter(isObject)
        .map((o) => `${asString(o.name)}: ${JSON.stringify(o.data)}`)
        .join('; ');
    }
    if (isObject(j) && Array.isArray(j.predictions)) return JSON.stringify(j.predictions);
  } catch {
    // Not JSON: shown as it came.
  }
  return null;
}

function pretty(text: string): string {
  try {
    return compactJson(JSON.parse(text));
  } catch {
    return text;
  }
}

/** Sends a payload to the endpoint through the dashboard and shows the answer and its latency. */
function PredictPanel({ ns, e }: { ns: string; e: Endpoint }) {
  const v1 = e.model.protocolVersion === 'v1';
  const [payload, setPayload] = useState(v1 ? V1_PAYLOAD : V2_PAYLOAD);
  const [prefilled, setPrefilled] = useState<'no' | 'yes' | 'failed'>(v1 ? 'failed' : 'no');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<RawAnswer | null>(null);
  const [problem, setProblem] = useState('');
  const edited = useRef(false);

  // The model's V2 metadata says what its inputs are: once it answers (the endpoint may still be
  // loading), the payload is made from it, unless the user has written one.
  useEffect(() => {
    if (v1 || prefilled === 'yes' || !e.predictUrl) return;
    const abort = new AbortController();
    getJSON(`${e.predictUrl}v2/models/${enc(e.name)}`, abort.signal)
      .then((meta) => {
        const inputs = toTensors(meta);
        if (inputs.length === 0) throw new Error('the metadata lists no inputs');
        if (!edited.current) setPayload(prefillV2(inputs));
        setPrefilled('yes');
        setNote(
          `Inputs from the model's metadata: ${inputs.map((i) => `${i.name} ${i.datatype} [${i.shape.join(', ')}]`).join(', ')}. ` +
            'Put your own values in place of the zeros.',
        );
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) return void redirectToSignIn();
        setPrefilled('failed');
        setNote(`The model's metadata could not be read (${describe(err)}): write the payload yourself.`);
      });
    return () => abort.abort();
  }, [ns, e.name, e.ready]);

  const send = async (ev: Event) => {
    ev.preventDefault();
    setProblem('');
    try {
      JSON.parse(payload);
    } catch (err) {
      setProblem(`The payload is not JSON: ${describe(err)}`);
      return;
    }
    setBusy(true);
    try {
      setAnswer(await postRaw(predictPath(e), payload));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return void redirectToSignIn();
      // Unreachable: say what the browser said, as the panel always has.
      const why = err instanceof ApiError && err.status === 0 ? err.cause : err;
      setProblem(`The dashboard could not be reached: ${describe(why)}`);
    } finally {
      setBusy(false);
    }
  };

  const predictions = answer && answer.status < 300 ? predictionsOf(answer.text) : null;
  return (
    <section class="card" aria-labelledby="predict-title" id="predict" data-testid="predict-panel">
      <h2 id="predict-title" class="card-title">
        Test a prediction
      </h2>
      <form class="card-body" noValidate onSubmit={send}>
        <p class="muted">
          POST <code>{predictPath(e)}</code> ({v1 ? 'protocol V1' : 'protocol V2'}), through the dashboard to the
          endpoint's cluster address.
        </p>
        {note && (
          <p class="muted" data-testid="prefill-note" data-prefilled={prefilled}>
            {note}
          </p>
        )}
        <div class="field">
          <label for="predict-payload">Payload (JSON)</label>
          <textarea
            id="predict-payload"
            rows={10}
            spellcheck={false}
            value={payload}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? 'predict-problem' : undefined}
            onInput={(ev) => {
              edited.current = true;
              setPayload((ev.currentTarget as HTMLTextAreaElement).value);
            }}
          />
          {problem && (
            <p id="predict-problem" class="field-error">
              {problem}
            </p>
          )}
        </div>
        <div class="form-actions">
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send'}
          </button>
        </div>
        {answer && (
          <div data-testid="predict-answer" data-status={answer.status}>
            <p role="status">
              <Chip kind={answer.status < 300 ? 'ok' : 'error'} text={`HTTP ${answer.status}`} />{' '}
              in <strong data-testid="predict-latency">{Math.max(1, Math.round(answer.ms))} ms</strong>
            </p>
            {predictions !== null && (
              <p>
                Predictions: <code data-testid="predictions">{predictions}</code>
              </p>
            )}
            <pre class="log" tabIndex={0} aria-label="The endpoint's answer" data-testid="predict-response">
              {pretty(answer.text)}
            </pre>
          </div>
        )}
      </form>
    </section>
  );
}

/** How a script calls the endpoint: curl with a personal access token. */
function CurlExamples({ ns, e }: { ns: string; e: Endpoint }) {
  const origin = window.location.origin;
  const token = 'Authorization: Bearer $KFDASH_TOKEN';
  const v1 = e.model.protocolVersion === 'v1';
  const examples: [string, string][] = v1
    ? [
        ['Ask whether the model is ready', `curl -H "${token}" ${origin}${e.predictUrl}v1/models/${e.name}`],
        [
          'Predict',
          `curl -H "${token}" -H "Content-Type: application/json" -d @payload.json ${origin}${predictPath(e)}`,
        ],
      ]
    : [
        ['Read the model’s metadata (its inputs and outputs)', `curl -H "${token}" ${origin}${e.predictUrl}v2/models/${e.name}`],
        [
          'Predict',
          `curl -H "${token}" -H "Content-Type: application/json" -d @payload.json ${origin}${predictPath(e)}`,
        ],
      ];
  const refs = [useRef<HTMLElement>(null), useRef<HTMLElement>(null)];
  return (
    <TitledCard id="curl-title" title="Call it from a script">
      <p>
        Create a personal access token on the{' '}
        <SmartLink target={{ href: withNamespaceQuery(TOKENS_PATH, ns), mode: 'spa' }}>Access tokens</SmartLink> page
        and put it in <code>KFDASH_TOKEN</code>; <code>payload.json</code> holds a request like the one above. The
        dashboard checks that you may use <strong>{ns}</strong> and carries the call to the endpoint.
      </p>
      {examples.map(([what, cmd], i) => (
        <div key={what}>
          <p class="muted">{what}</p>
          <div class="copy-row">
            <pre class="example">
              <code data-testid="curl-example" ref={refs[i]}>
                {cmd}
              </code>
            </pre>
            <CopyButton text={cmd} label="Copy command" target={refs[i]} />
          </div>
        </div>
      ))}
      {e.url && (
        <p class="muted">
          From outside the dashboard, KServe's ingress serves it at <code>{e.url}</code>; inside the cluster, at{' '}
          <code>{e.address || '—'}</code>.
        </p>
      )}
    </TitledCard>
  );
}

/* ------------------------------------------------------------------------------ one endpoint */

/** While an endpoint is not ready its page asks again this often. */
const WAITING_MS = 3000;

function EndpointDetail({ ns, name, envState }: { ns: string; name: string; envState: EnvState }) {
  const shown = useWorkloadDetail(ns, name, api.get);
  const { item: e, gone, now, round, reload } = shown;
  const rights = useAllowed(ns, envState, ENDPOINT_RIGHTS);
  const listHref = withNamespaceQuery(ENDPOINTS_PATH, ns);
  const del = useDelete(ns, shown.report, () => navigate(listHref));

  // Becoming ready takes a model download and a server start: look again soon.
  const ready = e?.ready ?? false;
  useEffect(() => {
    if (ready || gone) return;
    const timer = setTimeout(reload, WAITING_MS);
    return () => clearTimeout(timer);
  }, [ready, gone, round]);

  // Opened at #predict (from the list): show the panel once it is there.
  const hashDone = useRef(false);
  useEffect(() => {
    if (!e || hashDone.current || window.location.hash !== '#predict') return;
    hashDone.current = true;
    document.getElementById('predict')?.scrollIntoView();
  }, [e]);

  return (
    <WorkloadDetailPage
      shown={shown}
      gone={{ testid: 'endpoint-gone', what: 'endpoint', back: { href: listHref, text: 'Back to the endpoints' } }}
      dialog={del.dialog}
    >
      <DetailCard
        titleId="endpoint-title"
        testid="endpoint-detail"
        name={name}
        tools={
          e && (
            <>
              <StateChip e={e} />
              {rights?.delete && <DeleteButton name={name} disabled={del.busy === name} onClick={() => del.ask(name)} />}
            </>
          )
        }
      >
        {e && e.state !== 'ready' && (
          <p class="card-body notice" data-testid="endpoint-waiting">
            {e.state === 'failed'
              ? `Not ready: ${reasonsText(e) || 'KServe gave no reason'}`
              : `Getting ready${reasonsText(e) ? `: ${reasonsText(e)}` : ''}. This page looks again every few seconds.`}
          </p>
        )}
        {e ? (
          <Facts
            items={[
              ['External URL', <CopyableUrl url={e.url} id="detail-url" label="Copy URL" />],
              ['Cluster address', e.address && <span class="ns-name">{e.address}</span>],
              ['Through the dashboard', e.predictUrl && <code>{window.location.origin + e.predictUrl}</code>],
              ['Model', modelText(e)],
              ['Format', [e.model.format, e.model.formatVersion].filter(Boolean).join(' ')],
              ['Protocol', e.model.protocolVersion || 'v1 (KServe’s default)'],
              ['Storage URI', e.model.storageUri && <span class="ns-name">{e.model.storageUri}</span>],
              ['Runtime', e.model.runtime || (e.model.format ? 'chosen by KServe for the format' : '')],
              ['Service account', e.serviceAccountName],
              ['Traffic', trafficText(e)],
              ['Model status', modelStatusText(e)],
              [
                'Last failure',
                e.lastFailure && (
                  <span data-testid="detail-failure">
                    {e.lastFailure.reason}: {e.lastFailure.message}
                    {e.lastFailure.time && (
                      <>
                        {' '}
                        (<TimeAgo date={e.lastFailure.time} now={now} />)
                      </>
                    )}
                  </span>
                ),
              ],
              ['Created', <TimeAgo date={e.createdAt} now={now} />],
              ['Created by', e.creator],
            ]}
          />
        ) : (
          <Loading />
        )}
      </DetailCard>
      {e && <EndpointCharts ns={ns} name={name} />}
      {e && e.predictUrl && <PredictPanel key={`${ns}/${name}`} ns={ns} e={e} />}
      {e && e.predictUrl && <CurlExamples ns={ns} e={e} />}
    </WorkloadDetailPage>
  );
}

/* ------------------------------------------------------------------------------ the page */

function NewEndpointPage({ ns, envState, search }: { ns: string; envState: EnvState; search: string }) {
  const rights = useAllowed(ns, envState, ENDPOINT_RIGHTS);
  if (rights === null) return <Loading />;
  if (!rights.create) return <FormNotAllowed ns={ns} what="endpoints" verb="create" />;
  const q = new URLSearchParams(search);
  return <EndpointForm key={ns} ns={ns} model={q.get('model') ?? ''} version={q.get('version') ?? ''} />;
}

function EndpointsOverview({ ns, envState }: { ns: string; envState: EnvState }) {
  const rights = useAllowed(ns, envState, ENDPOINT_RIGHTS);
  return (
    <div class="stack">
      <EndpointList ns={ns} envState={envState} />
      {rights?.create && <DeployFromMlflow ns={ns} />}
    </div>
  );
}

/** The page: the list, one endpoint at …/details/<name>, the create form at …/new. */
export function EndpointsPage({ envState, ns, path, search }: {
  envState: EnvState;
  ns: string;
  path: string;
  search: string;
}) {
  return (
    <WorkloadPage
      envState={envState}
      ns={ns}
      path={path}
      base={ENDPOINTS_PATH}
      newPath={NEW_ENDPOINT_PATH}
      title="Endpoints"
      newTitle="New endpoint"
      unavailable="Endpoints are not available"
      noNamespace="Select a namespace in the top bar to see its endpoints."
      list={() => <EndpointsOverview ns={ns} envState={envState} />}
      detail={(name) => <EndpointDetail key={`${ns}/${name}`} ns={ns} name={name} envState={envState} />}
      create={() => <NewEndpointPage ns={ns} envState={envState} search={search} />}
    />
  );
}
