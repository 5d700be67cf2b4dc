// What the MLflow pages share: who may write in the selected namespace (by env-info's role; the
// server refuses a viewer's writes anyway), how MLflow's numbers and times read, loading one thing
// with the page's errors, the title with its way back, and the note shown when MLflow is not
// there. Loaded with those pages, not on first load.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { Icon } from './icons';
import { SmartLink } from './layout';
import { withNamespaceQuery } from './links';
import { mlflowUiHref } from './mlflow_api';
import type { EnvState } from './namespaces';
import { EXPERIMENTS_PATH, MODELS_PATH } from './router';
import { Chip, type ChipKind } from './workloads';

export const enc = encodeURIComponent;

/** Owners and contributors write; viewers read; a cluster admin without a role writes too. */
export function mayWrite(envState: EnvState, ns: string): boolean {
  if (envState.status !== 'ok') return false;
  const entry = envState.env.namespaces.find((n) => n.namespace === ns);
  return entry ? entry.role !== 'viewer' : envState.env.isClusterAdmin;
}

/** MLflow's milliseconds as a Date, or null. */
export const msDate = (ms: number | null): Date | null => (ms === null || ms <= 0 ? null : new Date(ms));

/** A metric value short enough for a table cell, exact on hover. */
export function fmtNumber(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

export function fmtDuration(start: number | null, end: number | null): string {
  if (start === null || end === null || end < start) return '';
  const s = (end - start) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

const RUN_STATUS: Record<string, ChipKind> = {
  FINISHED: 'ok',
  RUNNING: 'pending',
  SCHEDULED: 'pending',
  FAILED: 'error',
  KILLED: 'warn',
};

export function RunStatus({ status }: { status: string }) {
  return <Chip kind={RUN_STATUS[status] ?? 'idle'} text={status || 'UNKNOWN'} />;
}

export const experimentsHref = (ns: string) => withNamespaceQuery(EXPERIMENTS_PATH, ns);
export const experimentHref = (ns: string, id: string) => withNamespaceQuery(`${EXPERIMENTS_PATH}/${enc(id)}`, ns);
export const runHref = (ns: string, experimentId: string, runId: string) =>
  withNamespaceQuery(`${EXPERIMENTS_PATH}/${enc(experimentId || '-')}/runs/${enc(runId)}`, ns);
export const compareHref = (ns: string, experimentId: string, runIds: string[]) =>
  withNamespaceQuery(`${EXPERIMENTS_PATH}/${enc(experimentId)}/compare?runs=${runIds.map(enc).join(',')}`, ns);
export const modelsHref = (ns: string) => withNamespaceQuery(MODELS_PATH, ns);
export const modelHref = (ns: string, name: string) => withNamespaceQuery(`${MODELS_PATH}/${enc(name)}`, ns);

/** The page title: the trail back (`[text, href]`s) then where the user is. */
export function MlflowTitle({ trail, here }: { trail: [string, string][]; here: ComponentChildren }) {
  return (
    <h1 class="page-title">
      {trail.map(([text, href]) => (
        <span key={href}>
          <SmartLink target={{ href, mode: 'spa' }}>{text}</SmartLink>
          <span class="muted"> / </span>
        </span>
      ))}
      {here}
    </h1>
  );
}

/** "Open MLflow UI": MLflow's own UI through kfdash, in this workspace, in a new tab. */
export function OpenMlflowUi({ ns, route }: { ns: string; route?: string }) {
  return (
    <a class="button" href={mlflowUiHref(ns, route)} target="_blank" rel="noopener" data-testid="open-mlflow-ui">
      <Icon name="launch" />
      Open MLflow UI
    </a>
  );
}

/** What a failed load means here: MLflow off (503 from kfdash) reads as a note, not an error. */
export function unavailable(err: unknown): boolean {
  return err instanceof ApiError && err.status === 503;
}

export function NotConfigured() {
  return (
    <p class="card-note card" data-testid="mlflow-not-configured">
      MLflow is not configured on this dashboard (setting <code>mlflow.url</code>).
    </p>
  );
}

/**
 * Loads `load()` again whenever `deps` change; `value` is undefined while loading, `error` the
 * failure (the page decides how it reads).
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    load(abort.signal)
      .then((v) => setValue(() => v))
      .catch((err) => {
        if (!abort.signal.aborted) setError(err);
      });
    return () => abort.abort();
  }, [...deps, round]);
  return { value, setValue, error, reload: () => setRound((r) => r + 1) };
}
