// MLflow through kfdash, for the MLflow pages: every call goes to /mlflow/ajax-api/... with
// X-MLFLOW-WORKSPACE set to the selected namespace (kfdash checks the user's role there and sends
// its own header upstream), and MLflow's JSON is shaped into the few types the pages draw.
// Nothing here renders anything.

import { ApiError, mlflowJSON } from './api';
import { isObject, looseNumber, looseString, objects, strings, type Json } from './json';

/** Where kfdash carries MLflow's UI: the link "Open MLflow UI" goes there. */
export const MLFLOW_UI = '/mlflow/';
const AJAX = '/mlflow/ajax-api/2.0/mlflow/';

/** The most runs one page of the runs table asks for (MLflow allows 1000 per search). */
export const RUNS_PAGE = 50;
/** The most points of one metric's history drawn. */
export const HISTORY_MAX = 10_000;

/** MLflow's UI, opened in workspace ns (its hash router reads ?workspace=). */
export function mlflowUiHref(ns: string, route = '/experiments'): string {
  return `${MLFLOW_UI}#${route}?workspace=${encodeURIComponent(ns)}`;
}

/**
 * One call to MLflow in workspace ns. `endpoint` is MLflow's ("runs/search"); GET sends `query`,
 * POST sends `body` as JSON (api.ts adds the CSRF header). Rejects with an ApiError carrying
 * MLflow's or kfdash's message.
 */
export function mlflowCall(
  ns: string,
  method: 'GET' | 'POST',
  endpoint: string,
  opts: { query?: Record<string, string | number | undefined>; body?: unknown; signal?: AbortSignal } = {},
): Promise<Json> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return mlflowJSON(method, AJAX + endpoint + (qs ? `?${qs}` : ''), {
    label: `MLflow (${endpoint})`,
    headers: { 'X-MLFLOW-WORKSPACE': ns },
    body: method === 'POST' ? opts.body ?? {} : undefined,
    signal: opts.signal,
  });
}

/* ------------------------------------------------------------------------- experiments */

export interface Experiment {
  id: string;
  name: string;
  artifactLocation: string;
  lifecycle: string;
  created: number | null;
  updated: number | null;
  tags: Record<string, string>;
}

function keyValues(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of objects(v)) if (looseString(t.key)) out[looseString(t.key)] = looseString(t.value);
  return out;
}

export function toExperiment(v: unknown): Experiment | null {
  if (!isObject(v) || !looseString(v.experiment_id)) return null;
  return {
    id: looseString(v.experiment_id),
    name: looseString(v.name),
    artifactLocation: looseString(v.artifact_location),
    lifecycle: looseString(v.lifecycle_stage),
    created: looseNumber(v.creation_time),
    updated: looseNumber(v.last_update_time),
    tags: keyValues(v.tags),
  };
}

export interface Page<T> {
  items: T[];
  next: string;
}

/** A MLflow filter for experiment names containing `text` ('' for all). */
export function nameFilter(text: string): string {
  const t = text.trim();
  return t ? `name ILIKE '%${t.replace(/'/g, "\\'")}%'` : '';
}

export async function searchExperiments(
  ns: string,
  opts: { filter: string; pageToken: string; max: number },
  signal?: AbortSignal,
): Promise<Page<Experiment>> {
  const raw = await mlflowCall(ns, 'POST', 'experiments/search', {
    body: {
      max_results: opts.max,
      filter: opts.filter || undefined,
      page_token: opts.pageToken || undefined,
      order_by: ['last_update_time DESC'],
    },
    signal,
  });
  return {
    items: objects(raw.experiments).map(toExperiment).filter((e): e is Experiment => e !== null),
    next: looseString(raw.next_page_token),
  };
}

export async function getExperiment(ns: string, id: string, signal?: AbortSignal): Promise<Experiment> {
  const raw = await mlflowCall(ns, 'GET', 'experiments/get', { query: { experiment_id: id }, signal });
  const e = toExperiment(raw.experiment);
  if (!e) throw new ApiError('MLflow (experiments/get): no experiment in the answer', 0);
  return e;
}

export async function createExperiment(ns: string, name: string): Promise<string> {
  const raw = await mlflowCall(ns, 'POST', 'experiments/create', { body: { name } });
  return looseString(raw.experiment_id);
}

/* -------------------------------------------------------------------------------- runs */

export interface Metric {
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

export interface Run {
  id: string;
  name: string;
  experimentId: string;
  status: string;
  user: string;
  start: number | null;
  end: number | null;
  artifactUri: string;
  lifecycle: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export function toRun(v: unknown): Run | null {
  if (!isObject(v) || !isObject(v.info)) return null;
  const info = v.info;
  const data = isObject(v.data) ? v.data : {};
  const id = looseString(info.run_id) || looseString(info.run_uuid);
  if (!id) return null;
  const metrics: Record<string, number> = {};
  for (const m of objects(data.metrics)) {
    const value = looseNumber(m.value);
    if (looseString(m.key) && value !== null) metrics[looseString(m.key)] = value;
  }
  return {
    id,
    name: looseString(info.run_name),
    experimentId: looseString(info.experiment_id),
    status: looseString(info.status),
    user: looseString(info.user_id),
    start: looseNumber(info.start_time),
    end: looseNumber(info.end_time),
    artifactUri: looseString(info.artifact_uri),
    lifecycle: looseString(info.lifecycle_stage),
    metrics,
    params: keyValues(data.params),
    tags: keyValues(data.tags),
  };
}

/** A column of the runs table: a run attribute, a metric or a param. */
export type ColumnKind = 'metric' | 'param';
export interface Column {
  kind: ColumnKind;
  key: string;
}

/** MLflow's name of a key in filters and order_by: backquoted unless a plain identifier. */
export function quotedKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : `\`${key.replace(/`/g, '')}\``;
}

/** order_by for sorting by `by` ('start' or a metric/param column) in `dir`. */
export function orderBy(by: Column | 'start', dir: 'ASC' | 'DESC'): string {
  if (by === 'start') return `attributes.start_time ${dir}`;
  return `${by.kind === 'metric' ? 'metrics' : 'params'}.${quotedKey(by.key)} ${dir}`;
}

export async function searchRuns(
  ns: string,
  experimentId: string,
  opts: { filter: string; orderBy: string; pageToken: string },
  signal?: AbortSignal,
): Promise<Page<Run>> {
  const raw = await mlflowCall(ns, 'POST', 'runs/search', {
    body: {
      experiment_ids: [experimentId],
      filter: opts.filter || undefined,
      order_by: opts.orderBy ? [opts.orderBy] : undefined,
      max_results: RUNS_PAGE,
      page_token: opts.pageToken || undefined,
    },
    signal,
  });
  return { items: objects(raw.runs).map(toRun).filter((r): r is Run => r !== null), next: looseString(raw.next_page_token) };
}

export async function getRun(ns: string, runId: string, signal?: AbortSignal): Promise<Run> {
  const raw = await mlflowCall(ns, 'GET', 'runs/get', { query: { run_id: runId }, signal });
  const run = toRun(raw.run);
  if (!run) throw new ApiError('MLflow (runs/get): no run in the answer', 0);
  return run;
}

export async function deleteRun(ns: string, runId: string): Promise<void> {
  await mlflowCall(ns, 'POST', 'runs/delete', { body: { run_id: runId } });
}

/** A metric's history, by step (then time). */
export async function metricHistory(ns: string, runId: string, key: string, signal?: AbortSignal): Promise<Metric[]> {
  const raw = await mlflowCall(ns, 'GET', 'metrics/get-history', {
    query: { run_id: runId, metric_key: key, max_results: HISTORY_MAX },
    signal,
  });
  const out: Metric[] = [];
  for (const m of objects(raw.metrics)) {
    const value = looseNumber(m.value);
    if (value === null) continue;
    out.push({ key, value, step: looseNumber(m.step) ?? 0, timestamp: looseNumber(m.timestamp) ?? 0 });
  }
  return out.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

/* --------------------------------------------------------------------------- artifacts */

export interface ArtifactFile {
  path: string;
  isDir: boolean;
  size: number | null;
}

export async function listArtifacts(ns: string, runId: string, path: string, signal?: AbortSignal): Promise<ArtifactFile[]> {
  const raw = await mlflowCall(ns, 'GET', 'artifacts/list', { query: { run_id: runId, path: path || undefined }, signal });
  return objects(raw.files)
    .map((f) => ({ path: looseString(f.path), isDir: f.is_dir === true, size: looseNumber(f.file_size) }))
    .filter((f) => f.path)
    .sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.path.localeCompare(b.path));
}

/**
 * Where a browser downloads a run's artifact: MLflow's get-artifact through kfdash. A link carries
 * no header, so the workspace is the kfdash_ns cookie: `pin` sets it to ns just before.
 */
export function artifactHref(runId: string, path: string): string {
  return `/mlflow/get-artifact?${new URLSearchParams({ path, run_uuid: runId }).toString()}`;
}

export function pinWorkspaceCookie(ns: string): void {
  if (ns) document.cookie = `kfdash_ns=${encodeURIComponent(ns)}; path=/; SameSite=Lax`;
}

/* ------------------------------------------------------------------------------ models */

export interface ModelVersion {
  name: string;
  version: string;
  stage: string;
  status: string;
  runId: string;
  source: string;
  created: number | null;
  aliases: string[];
  description: string;
}

export interface RegisteredModel {
  name: string;
  description: string;
  created: number | null;
  updated: number | null;
  /** alias -> version */
  aliases: Record<string, string>;
  latest: ModelVersion[];
  tags: Record<string, string>;
}

function toVersion(v: Json): ModelVersion {
  return {
    name: looseString(v.name),
    version: looseString(v.version),
    stage: looseString(v.current_stage),
    status: looseString(v.status),
    runId: looseString(v.run_id),
    source: looseString(v.source),
    created: looseNumber(v.creation_timestamp),
    aliases: strings(v.aliases),
    description: looseString(v.description),
  };
}

export function toModel(v: unknown): RegisteredModel | null {
  if (!isObject(v) || !looseString(v.name)) return null;
  const aliases: Record<string, string> = {};
  for (const a of objects(v.aliases)) if (looseString(a.alias)) aliases[looseString(a.alias)] = looseString(a.version);
  return {
    name: looseString(v.name),
    description: looseString(v.description),
    created: looseNumber(v.creation_timestamp),
    updated: looseNumber(v.last_updated_timestamp),
    aliases,
    latest: objects(v.latest_versions).map(toVersion),
    tags: keyValues(v.tags),
  };
}

export async function searchModels(
  ns: string,
  opts: { filter: string; pageToken: string; max: number },
  signal?: AbortSignal,
): Promise<Page<RegisteredModel>> {
  const raw = await mlflowCall(ns, 'GET', 'registered-models/search', {
    query: { max_results: opts.max, filter: opts.filter || undefined, page_token: opts.pageToken || undefined },
    signal,
  });
  return {
    items: objects(raw.registered_models).map(toModel).filter((m): m is RegisteredModel => m !== null),
    next: looseString(raw.next_page_token),
  };
}

/** Every version of a model, newest first; versions get their aliases from the model's. */
export async function modelVersions(ns: string, model: RegisteredModel, signal?: AbortSignal): Promise<ModelVersion[]> {
  const raw = await mlflowCall(ns, 'GET', 'model-versions/search', {
    query: { filter: `name='${model.name.replace(/'/g, "\\'")}'`, max_results: 1000 },
    signal,
  });
  const byVersion: Record<string, string[]> = {};
  for (const [alias, version] of Object.entries(model.aliases)) (byVersion[version] ??= []).push(alias);
  return objects(raw.model_versions)
    .map(toVersion)
    .map((v) => ({ ...v, aliases: v.aliases.length ? v.aliases : byVersion[v.version] ?? [] }))
    .sort((a, b) => Number(b.version) - Number(a.version));
}
