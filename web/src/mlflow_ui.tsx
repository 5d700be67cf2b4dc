// What the MLflow pages share: who may write in the selected namespace (by env-info's role; the
// server refuses a viewer's writes anyway), how MLflow's numbers and times read, loading one thing
// with the page's errors, a list searched by name a page at a time, the title with its way back,
// and the note shown when MLflow is not there. Loaded with those pages, not on first load.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, useRequest } from './api';
import { Icon } from './icons';
import { ErrorBanner, Loading, SmartLink } from './layout';
import { withNamespaceQuery } from './links';
import { mlflowUiHref, nameFilter, type Page } from './mlflow_api';
import type { EnvState } from './namespaces';
import { EXPERIMENTS_PATH, MODELS_PATH } from './router';
import { useErrors } from './ui';
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
  useRequest(
    (signal) => {
      setError(null);
      return load(signal);
    },
    (v) => setValue(() => v),
    setError,
    [...deps, round],
  );
  return { value, setValue, error, reload: () => setRound((r) => r + 1) };
}

/** How many a searched list shows at a time. */
const SEARCH_PAGE = 25;

/** What a searched list asks MLflow for: names containing the search, one page, at most `max`. */
type Search<T> = (
  ns: string,
  opts: { filter: string; pageToken: string; max: number },
  signal?: AbortSignal,
) => Promise<Page<T>>;

/**
 * A card of what `search` finds in the namespace's workspace, SEARCH_PAGE at a time: "<heading> in
 * <ns>" with `tools` beside it, a search by name, then "Loading…", `empty(the search)` when nothing
 * is found, or children(the page's items, now) (a Table labelled by `titleId`), and the way to the
 * pages before and after. `what` (plural) names the list in the search's label and the page's
 * errors; `testid` marks the card (and `<testid>-empty`), `rights` its data-rights (write or read)
 * where it has write actions. MLflow not configured reads as NotConfigured.
 */
export function SearchedList<T>({ ns, what, search, titleId, testid, heading, searchId, rights, tools, empty, children }: {
  ns: string;
  what: string;
  search: Search<T>;
  titleId: string;
  testid: string;
  heading: string;
  searchId: string;
  rights?: boolean;
  tools: ComponentChildren;
  empty: (applied: string) => string;
  children: (items: T[], now: number) => ComponentChildren;
}) {
  const [typed, setTyped] = useState('');
  const [applied, setApplied] = useState('');
  /** Tokens of the pages before this one, and this one's. */
  const [tokens, setTokens] = useState<string[]>(['']);
  const { errors, report, clear } = useErrors();
  const token = tokens[tokens.length - 1];
  const page = useLoad<Page<T>>(
    (signal) =>
      search(ns, { filter: nameFilter(applied), pageToken: token, max: SEARCH_PAGE }, signal).catch((err) => {
        if (!unavailable(err)) report(`Could not load the ${what} of ${ns}`, err);
        throw err;
      }),
    [ns, applied, token],
  );
  if (unavailable(page.error)) return <NotConfigured />;
  const now = Date.now();
  return (
    <>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <section
        class="card"
        aria-labelledby={titleId}
        data-testid={testid}
        data-rights={rights === undefined ? undefined : rights ? 'write' : 'read'}
      >
        <div class="card-title card-title-row">
          <h2 id={titleId} class="card-heading">
            {`${heading} in `}
            <span class="ns-name">{ns}</span>
          </h2>
          <span class="card-tools">{tools}</span>
        </div>
        <form
          class="mlflow-toolbar"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setTokens(['']);
            setApplied(typed);
          }}
        >
          <label class="visually-hidden" for={searchId}>
            {`Search ${what} by name`}
          </label>
          <input
            id={searchId}
            type="search"
            placeholder="Name contains…"
            value={typed}
            onInput={(e) => setTyped((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit" class="button">
            Search
          </button>
        </form>
        {page.value === undefined ? (
          <Loading failed={page.error ? `The ${what} could not be loaded.` : false} />
        ) : page.value.items.length === 0 ? (
          <p class="card-note" data-testid={`${testid}-empty`}>
            {empty(applied)}
          </p>
        ) : (
          children(page.value.items, now)
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
    </>
  );
}
