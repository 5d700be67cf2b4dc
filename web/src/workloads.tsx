// What the pages of a namespace's workloads (notebooks, the notebook form, Spark applications,
// KServe endpoints) share: the workload API's lists and objects, names Kubernetes accepts, what the
// user may do here (GET /api/rules/:namespace), status chips, a log that grows as it is written, the refresh ticker,
// and the frame of those pages: the page by its path, the title, the list card, loading one
// workload and its page, the detail card, deleting after a confirmation, and sending a create
// form. Loaded with those pages, not on first load.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJSON, openStream, sendJSON, useRequest } from './api';
import { redirectToSignIn } from './auth';
import { SubmitButton, useCheckedForm, type Problems } from './fields';
import { Icon } from './icons';
import { isObject, strings } from './json';
import { ErrorBanner, Loading, SmartLink, Table } from './layout';
import { withNamespaceQuery } from './links';
import type { EnvState } from './namespaces';
import { navigate } from './router';
import { describe, Dialog, useErrors } from './ui';

/* ----------------------------------------------------------------- the workload API */

export const enc = encodeURIComponent;

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The objects of a list answer (its array `key`) that `to` accepts, by name. */
export function namedList<T extends { name: string }>(raw: unknown, key: string, to: (v: unknown) => T | null): T[] {
  const list = isObject(raw) && Array.isArray(raw[key]) ? raw[key] : [];
  return list
    .map(to)
    .filter((x): x is T => x !== null)
    .sort(byName);
}

/** The object `key` of the answer to `path`, as `to` makes it; the server must have sent one (`what`). */
export function theOne<T>(path: string, raw: unknown, key: string, what: string, to: (v: unknown) => T | null): T {
  const one = to(isObject(raw) ? raw[key] : undefined);
  if (!one) throw new ApiError(`${path}: the server sent no ${what}`, 0);
  return one;
}

/**
 * The calls of a namespace's workload API at base(ns) (/api/namespaces/<ns>/<plural>): list (the
 * answer's array `listKey`), get one (its object `oneKey`, a `what` in the error when missing) and
 * remove one, each workload made by `to`.
 */
export function workloadApi<T extends { name: string }>(
  base: (ns: string) => string,
  listKey: string,
  oneKey: string,
  what: string,
  to: (v: unknown) => T | null,
) {
  const one = (ns: string, name: string) => `${base(ns)}/${enc(name)}`;
  return {
    list: async (ns: string, signal?: AbortSignal): Promise<T[]> =>
      namedList(await getJSON(base(ns), signal), listKey, to),
    get: async (ns: string, name: string, signal?: AbortSignal): Promise<T> =>
      theOne(one(ns, name), await getJSON(one(ns, name), signal), oneKey, what, to),
    remove: async (ns: string, name: string): Promise<void> => {
      await sendJSON('DELETE', one(ns, name));
    },
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot name a Kubernetes object (a DNS-1123 label of at most `max`), or null. */
export function nameProblem(name: string, max: number, what: string): string | null {
  if (!name) return `Give the ${what} a name.`;
  if (name.length > max) return `The name can be at most ${max} characters long (it has ${name.length}).`;
  if (!DNS_LABEL.test(name)) {
    return 'Use lowercase letters, digits and dashes, starting and ending with a letter or digit.';
  }
  return null;
}

/** The name in `<base>/details/<name>`, or null for any other path. */
export function detailName(path: string, base: string): string | null {
  const prefix = `${base}/details/`;
  if (!path.startsWith(prefix)) return null;
  try {
    return decodeURIComponent(path.slice(prefix.length)) || null;
  } catch {
    return null;
  }
}

/* ------------------------------------------------------------ what the user may do here */

/** One thing to ask the rules about: may the user `verb` `resource` of API `group`? */
export interface Want {
  verb: string;
  group: string;
  resource: string;
}

interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
}

/** Whether SelfSubjectRulesReview rules allow `want` on every object (no resourceNames). */
export function rulesAllow(rules: Rule[], want: Want): boolean {
  const has = (list: string[], v: string) => list.includes('*') || list.includes(v);
  return rules.some(
    (r) =>
      r.resourceNames.length === 0 &&
      has(r.verbs, want.verb) &&
      has(r.apiGroups, want.group) &&
      has(r.resources, want.resource),
  );
}

function normalizeRules(raw: unknown): { rules: Rule[]; incomplete: boolean } {
  const list = isObject(raw) && Array.isArray(raw.rules) ? raw.rules : [];
  const rules = list.filter(isObject).map((r) => ({
    verbs: strings(r.verbs),
    apiGroups: strings(r.apiGroups),
    resources: strings(r.resources),
    resourceNames: strings(r.resourceNames),
  }));
  return { rules, incomplete: isObject(raw) && raw.incomplete === true };
}

/** Whether env-info makes the user more than a viewer of ns (or a cluster admin). */
export function mayWriteByRole(envState: EnvState, ns: string): boolean {
  if (envState.status !== 'ok') return false;
  const entry = envState.env.namespaces.find((n) => n.namespace === ns);
  return entry ? entry.role !== 'viewer' : envState.env.isClusterAdmin;
}

/**
 * Which of `wants` the API server lets the user do in ns, from GET /api/rules/:namespace; null
 * until known (write actions stay hidden meanwhile). Rules the server could not list completely,
 * or could not review at all, fall back to the role in env-info. `wants` must be a constant.
 */
export function useAllowed<K extends string>(
  ns: string,
  envState: EnvState,
  wants: Record<K, Want>,
): Record<K, boolean> | null {
  const [allowed, setAllowed] = useState<Record<K, boolean> | null>(null);
  const known = envState.status === 'ok';
  useEffect(() => {
    setAllowed(null);
    if (!ns || !known) return;
    const abort = new AbortController();
    const decide = (rules: Rule[], incomplete: boolean) => {
      const out = {} as Record<K, boolean>;
      for (const key of Object.keys(wants) as K[]) {
        out[key] = rulesAllow(rules, wants[key]) || (incomplete && mayWriteByRole(envState, ns));
      }
      setAllowed(out);
    };
    getJSON(`/api/rules/${enc(ns)}`, abort.signal)
      .then((raw) => {
        const { rules, incomplete } = normalizeRules(raw);
        decide(rules, incomplete);
      })
      .catch(() => {
        if (!abort.signal.aborted) decide([], true);
      });
    return () => abort.abort();
  }, [ns, known]);
  return allowed;
}

/* ------------------------------------------------------------------------ status chips */

export type ChipKind = 'ok' | 'pending' | 'warn' | 'error' | 'idle';

/** A short status word in colour, with the detail on hover and for assistive technology. */
export function Chip({ kind, text, title }: { kind: ChipKind; text: string; title?: string }) {
  return (
    <span class={`chip chip-${kind}`} title={title || undefined} data-testid="status" data-status={text}>
      {text}
      {title && <span class="visually-hidden">: {title}</span>}
    </span>
  );
}

/* ------------------------------------------------------------------------ streamed logs */

/** The most of a log kept in the page; older lines go first. */
const LOG_KEEP_CHARS = 1 << 20;

function keepTail(text: string): { text: string; cut: boolean } {
  if (text.length <= LOG_KEEP_CHARS) return { text, cut: false };
  const from = text.length - (LOG_KEEP_CHARS >> 1);
  const nl = text.indexOf('\n', from);
  return { text: text.slice(nl < 0 ? from : nl + 1), cut: true };
}

/** The API server encodes its refusals (a missing pod) as JSON only: accept both. */
const LOG_ACCEPT = 'text/plain, application/json;q=0.5';

type LogState = 'connecting' | 'streaming' | 'ended' | 'failed';

const LOG_STATE_TEXT: Record<LogState, string> = {
  connecting: 'Connecting…',
  streaming: 'Live: new lines appear as they are written',
  ended: 'The log ended',
  failed: 'The log could not be read',
};

/**
 * A text/plain stream (a container's log) in a <pre> that grows as bytes arrive, scrolled to
 * the end while the reader is there. `url` is fetched once per mount (and per Reconnect).
 */
export function LogStream({ url, label }: { url: string; label: string }) {
  const [text, setText] = useState('');
  const [cut, setCut] = useState(false);
  const [state, setState] = useState<LogState>('connecting');
  const [error, setError] = useState('');
  const [round, setRound] = useState(0);
  const pre = useRef<HTMLPreElement>(null);
  const atEnd = useRef(true);

  useEffect(() => {
    const abort = new AbortController();
    setText('');
    setCut(false);
    setError('');
    setState('connecting');
    const add = (chunk: string) => {
      if (!chunk) return;
      setText((t) => {
        const kept = keepTail(t + chunk);
        if (kept.cut) setCut(true);
        return kept.text;
      });
    };
    (async () => {
      const res = await openStream(url, LOG_ACCEPT, abort.signal);
      setState('streaming');
      const decoder = new TextDecoder();
      if (!res.body) {
        add(await res.text());
      } else {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          add(decoder.decode(value, { stream: true }));
        }
        add(decoder.decode());
      }
      setState('ended');
    })().catch((err: unknown) => {
      if (abort.signal.aborted) return;
      if (err instanceof ApiError && err.status === 401) return void redirectToSignIn();
      setError(describe(err));
      setState('failed');
    });
    return () => abort.abort();
  }, [url, round]);

  useEffect(() => {
    const el = pre.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [text]);

  const onScroll = () => {
    const el = pre.current;
    if (el) atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };

  return (
    <div class="log-view">
      <div class="log-tools">
        <span class={`log-state log-${state}`} role="status" data-testid="log-state" data-state={state}>
          {LOG_STATE_TEXT[state]}
          {error && `: ${error}`}
        </span>
        {(state === 'ended' || state === 'failed') && (
          <button type="button" class="button" onClick={() => setRound((r) => r + 1)}>
            <Icon name="refresh" />
            Reconnect
          </button>
        )}
      </div>
      {cut && <p class="log-cut muted">Earlier lines were dropped to keep the page fast.</p>}
      <pre class="log" ref={pre} tabIndex={0} aria-label={label} data-testid="log" onScroll={onScroll}>
        {text || (state === 'streaming' ? 'No lines yet.' : '')}
      </pre>
    </div>
  );
}

/* ------------------------------------------------------------------------------ refresh */

const REFRESH_MS = 10_000;

/** Calls back every REFRESH_MS while the tab is visible. */
export function useTicker(): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((t) => t + 1);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  return tick;
}

/* ------------------------------------------------------------------------ the page frame */

/**
 * What a workload page shows instead of its content when it cannot show any: the dashboard has no
 * cluster (`unavailable`: "Notebooks are not available"), or no namespace is chosen (`noNamespace`
 * says to choose one); null when it can.
 */
export function workloadGate(envState: EnvState, ns: string, unavailable: string, noNamespace: string) {
  if (envState.status === 'unavailable') {
    return (
      <p class="card-note card">{`${unavailable}: this dashboard is not connected to a Kubernetes cluster.`}</p>
    );
  }
  if (!ns) return <p class="card-note card">{noNamespace}</p>;
  return null;
}

/** The page's title: `root` alone, or, on a part of it, a link back to `root` (at `href`) / `sub`. */
export function WorkloadTitle({ root, href, sub }: { root: string; href: string; sub?: ComponentChildren }) {
  return (
    <h1 class="page-title">
      {sub ? (
        <>
          <SmartLink target={{ href, mode: 'spa' }}>{root}</SmartLink>
          <span class="muted"> / </span>
          {sub}
        </>
      ) : (
        root
      )}
    </h1>
  );
}

/**
 * A workload page, by `path`: the list at `base`, one workload at `base`/details/<name>, the
 * create form at `newPath` (`newTitle` in the title) when the page has one (`create`), under the
 * page's title (`title`), or the note of workloadGate (`unavailable`, `noNamespace`) in their place.
 */
export function WorkloadPage({ envState, ns, path, base, newPath, title, newTitle, unavailable, noNamespace, list, detail, create }: {
  envState: EnvState;
  ns: string;
  path: string;
  base: string;
  newPath?: string;
  title: string;
  newTitle?: string;
  unavailable: string;
  noNamespace: string;
  list: () => ComponentChildren;
  detail: (name: string) => ComponentChildren;
  create?: () => ComponentChildren;
}) {
  const name = detailName(path, base);
  const creating = create !== undefined && path === newPath;
  const gate = workloadGate(envState, ns, unavailable, noNamespace);
  let body;
  if (gate) body = gate;
  else if (creating) body = create();
  else if (name) body = detail(name);
  else body = list();
  return (
    <div class={creating ? 'page' : 'page page-wide'}>
      <WorkloadTitle root={title} href={withNamespaceQuery(base, ns)} sub={creating ? newTitle : name} />
      {body}
    </div>
  );
}

/** For a viewer: the form is not for them (`what` is the plural, `verb` what the form does). */
export function FormNotAllowed({ ns, what, verb }: { ns: string; what: string; verb: string }) {
  return (
    <p class="card-note card" data-testid="form-not-allowed">
      {`You can look at the ${what} of ${ns} but not ${verb} one there. `}
      Ask its owner to make you a contributor.
    </p>
  );
}

/**
 * A namespace's workloads, listed again on every tick while the tab is visible and on reload()
 * (after a change), with the page's errors (`what` names the list in them) and a status line
 * saying what was just done. `load` lists the workloads of a namespace.
 */
export function useWorkloadList<T extends { name: string }>(
  ns: string,
  what: string,
  load: (ns: string, signal: AbortSignal) => Promise<T[]>,
) {
  const [list, setList] = useState<T[] | null>(null);
  const [now, setNow] = useState(Date.now());
  const [round, setRound] = useState(0);
  const [status, setStatus] = useState('');
  const tick = useTicker();
  const { errors, report, clear } = useErrors();

  useEffect(() => {
    setList(null);
    clear();
  }, [ns]);

  useRequest(
    (signal) => load(ns, signal),
    (l) => {
      setList(l);
      setNow(Date.now());
    },
    (err) => report(`Could not load the ${what} of ${ns}`, err),
    [ns, tick, round],
  );

  const reload = () => setRound((r) => r + 1);
  /** After `name` was deleted: out of the list at once, said in the status line, listed again. */
  const removed = (name: string) => {
    setList((l) => l && l.filter((x) => x.name !== name));
    setStatus(`${name} deleted.`);
    reload();
  };
  return { ns, list, setList, now, status, setStatus, reload, removed, errors, report, clear };
}

/**
 * One workload (`name` in `ns`), loaded again on every tick while the tab is visible and on
 * reload(); `gone` while the server says there is no such workload (404), other failures go to the
 * page's errors. `load` gets one workload; `item` is null until it answered. `tick` and `round`
 * change on each of those loads, for what the page loads along with it.
 */
export function useWorkloadDetail<T>(
  ns: string,
  name: string,
  load: (ns: string, name: string, signal: AbortSignal) => Promise<T>,
) {
  const [item, setItem] = useState<T | null>(null);
  const [gone, setGone] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [round, setRound] = useState(0);
  const tick = useTicker();
  const { errors, report, clear } = useErrors();

  useRequest(
    (signal) => load(ns, name, signal),
    (got) => {
      setItem(got);
      setGone(false);
      setNow(Date.now());
    },
    (err) => (err instanceof ApiError && err.status === 404 ? setGone(true) : report(`Could not load ${name}`, err)),
    [ns, name, tick, round],
  );

  const reload = () => setRound((r) => r + 1);
  return { ns, name, item, setItem, gone, setGone, now, tick, round, reload, errors, report, clear };
}

/**
 * A workload list's card, "<heading> in <ns>", with the page's errors and status line above it and
 * the `create` link (to create.path in this namespace) for those who may; data-rights says what
 * the rights allow: pending, write or read. The card shows "Loading…" (`failed` once the list
 * could not be loaded), the note `empty` (its testid and text) for an empty list, else a compact
 * table of `columns` (and one for the rows' buttons) with children(item) as each item's row.
 * `dialog` (a confirmation) goes after the card.
 */
export function WorkloadListCard<T extends { name: string }>({ shown, titleId, heading, rights, create, failed, empty, columns, dialog, children }: {
  shown: ReturnType<typeof useWorkloadList<T>>;
  titleId: string;
  heading: string;
  rights: { create: boolean } | null;
  create: { path: string; text: string };
  failed: string;
  empty: { testid: string; text: string };
  columns: string[];
  dialog: ComponentChildren;
  children: (item: T) => ComponentChildren;
}) {
  const { ns, list, errors, clear, status } = shown;
  return (
    <>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <p class="status-line" role="status">
        {status}
      </p>
      <section
        class="card"
        aria-labelledby={titleId}
        data-testid="workload-list"
        data-rights={rights === null ? 'pending' : rights.create ? 'write' : 'read'}
      >
        <div class="card-title card-title-row">
          <h2 id={titleId} class="card-heading">
            {`${heading} in `}
            <span class="ns-name">{ns}</span>
          </h2>
          <span class="card-tools">
            {rights?.create && (
              <SmartLink target={{ href: withNamespaceQuery(create.path, ns), mode: 'spa' }} class="button primary">
                {create.text}
              </SmartLink>
            )}
          </span>
        </div>
        {list === null ? (
          <Loading failed={errors.length > 0 && failed} />
        ) : list.length === 0 ? (
          <p class="card-note" data-testid={empty.testid}>
            {empty.text}
          </p>
        ) : (
          <Table labelledBy={titleId} class="table-compact" columns={columns} actions>
            {list.map(children)}
          </Table>
        )}
      </section>
      {dialog}
    </>
  );
}

/** A card with a title over its body (`row`: the body's fields side by side). */
export function TitledCard({ id, title, row, children }: {
  id: string;
  title: string;
  row?: boolean;
  children: ComponentChildren;
}) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id} class="card-title">
        {title}
      </h2>
      <div class={row ? 'card-body form-row' : 'card-body'}>{children}</div>
    </section>
  );
}

/** The card of one workload: its name as the heading, `tools` beside it (once loaded), then the rest. */
export function DetailCard({ titleId, testid, name, tools, children }: {
  titleId: string;
  testid: string;
  name: string;
  tools: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="card" aria-labelledby={titleId} data-testid={testid}>
      <div class="card-title card-title-row">
        <h2 id={titleId} class="card-heading">
          <span class="ns-name">{name}</span>
        </h2>
        {tools && <span class="card-tools">{tools}</span>}
      </div>
      {children}
    </section>
  );
}

/** The detail of a workload that is not there (any more): "There is no <what> named …", and the way back. */
export function GoneNote({ testid, what, name, ns, back }: {
  testid: string;
  what: string;
  name: string;
  ns: string;
  back: { href: string; text: string };
}) {
  return (
    <section class="card">
      <p class="card-note" data-testid={testid}>
        {`There is no ${what} named `}
        <span class="ns-name">{name}</span>
        {` in ${ns} (any more). `}
        <SmartLink target={{ href: back.href, mode: 'spa' }}>{back.text}</SmartLink>
      </p>
    </section>
  );
}

/**
 * The page of one workload: the page's errors over `children` (its DetailCard and what follows),
 * then `dialog` (a confirmation); once it is gone, GoneNote (`gone`: its testid, what it is called
 * and the way back) instead.
 */
export function WorkloadDetailPage({ shown, gone, dialog, children }: {
  shown: Pick<ReturnType<typeof useWorkloadDetail>, 'ns' | 'name' | 'gone' | 'errors' | 'clear'>;
  gone: { testid: string; what: string; back: { href: string; text: string } };
  dialog: ComponentChildren;
  children: ComponentChildren;
}) {
  const { ns, name, errors, clear } = shown;
  if (shown.gone) return <GoneNote testid={gone.testid} what={gone.what} name={name} ns={ns} back={gone.back} />;
  return (
    <div class="stack">
      <ErrorBanner messages={errors} onDismiss={clear} />
      {children}
      {dialog}
    </div>
  );
}

/** A term and its value in a detail card. */
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([term, value]) => (
        <div key={term} class="fact">
          <dt>{term}</dt>
          <dd>{value === '' || value === null || value === undefined ? <span class="muted">—</span> : value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The Delete button of one workload. */
export function DeleteButton({ name, disabled, onClick }: { name: string; disabled: boolean; onClick: () => void }) {
  return (
    <button type="button" class="button danger" disabled={disabled} aria-label={`Delete ${name}`} onClick={onClick}>
      Delete
    </button>
  );
}

/**
 * Deleting one workload once the user confirmed it: ask(name) opens the dialog ("Delete
 * <name>?", with `explain(name)` saying what follows), `remove(name)` deletes it, then
 * `done(name)` runs; a failure goes to `report`. `busy` is the name being deleted.
 */
export function useConfirmedDelete(
  remove: (name: string) => Promise<void>,
  explain: (name: string) => ComponentChildren,
  report: (what: string, err: unknown) => void,
  done: (name: string) => void,
) {
  const [asking, setAsking] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const confirmed = async () => {
    if (!asking) return;
    const name = asking;
    setBusy(name);
    try {
      await remove(name);
      done(name);
    } catch (err) {
      report(`Could not delete ${name}`, err);
    } finally {
      setBusy(null);
      setAsking(null);
    }
  };
  const dialog = asking && (
    <Dialog
      title={`Delete ${asking}?`}
      submitText="Delete"
      busyText="Deleting…"
      danger
      busy={busy === asking}
      onSubmit={confirmed}
      onCancel={() => setAsking(null)}
      testid="confirm-delete"
    >
      <p>{explain(asking)}</p>
    </Dialog>
  );
  return { ask: setAsking, busy, dialog };
}

/* ---------------------------------------------------------------------- create forms */

/** Where a create form sends, where it goes after, and what a refusal is called. */
export interface Create {
  url: string;
  body: () => unknown;
  /** Where the browser goes once it is created. */
  then: string;
  /** The error's start when the name is taken (409). */
  exists: string;
  /** The error's start for any other refusal. */
  failed: string;
}

/**
 * Sending a create form (useCheckedForm): send(create) is the form's onSubmit; it POSTs and then
 * opens create.then; a refusal goes to the page's errors (`report`, after `clear`).
 */
export function useCreateForm(problems: Problems, report: (what: string, err: unknown) => void, clear: () => void) {
  const form = useCheckedForm(problems);
  const send = (create: Create) =>
    form.send(
      async () => {
        clear();
        await sendJSON('POST', create.url, create.body());
        navigate(create.then);
      },
      (err) => report(err instanceof ApiError && err.status === 409 ? create.exists : create.failed, err),
    );
  return { ...form, send };
}

/** A create form's buttons: send (`text`, `busyText` while sending) and Cancel, back to `cancelHref`. */
export function FormActions({ busy, text, busyText, cancelHref }: {
  busy: boolean;
  text: string;
  busyText: string;
  cancelHref: string;
}) {
  return (
    <div class="form-actions">
      <SubmitButton busy={busy} text={text} busyText={busyText} />
      <SmartLink target={{ href: cancelHref, mode: 'spa' }} class="button">
        Cancel
      </SmartLink>
    </div>
  );
}
