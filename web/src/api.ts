// Talking to the server: every request the web app makes goes through here, so that the CSRF
// header, the credentials mode and the failures (an ApiError, whose status says 401 "nobody is
// signed in" and whose `signin` says a recent sign-in is needed) are decided in one place.
// Calls resolve with parsed JSON (kfdash's API, MLflow through kfdash), with an answer as it came
// (the test-predict panel shows it raw), or with a response to read as it arrives (a log);
// useRequest() runs a page's call as its data changes. Nothing here renders anything, and nothing
// here navigates: callers decide what a 401 does.

import { useEffect } from 'preact/hooks';
import { CSRF_HEADER, csrfToken } from './auth';
import { asString, isObject, looseString, numberOrNull, optionalString, strings, type Json } from './json';
import {
  normalizeLinks,
  normalizeSettings,
  type DashboardLinks,
  type DashboardSettings,
} from './links';

export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached or answered garbage. */
  readonly status: number;
  /** A 403 for want of a recent sign-in: where to sign in again (the page adds its rd). */
  readonly signin: string | null;

  /** `cause`: for a server that could not be reached, what the browser said. */
  constructor(message: string, status: number, signin: string | null = null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ApiError';
    this.status = status;
    this.signin = signin;
  }
}

/** Methods that change state on the server: each carries the CSRF header. */
export type Mutation = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Method = 'GET' | Mutation;

/**
 * Who answers, and so how a refusal says why: kfdash's own {"error": "..."}; MLflow's
 * {"error_code", "message"} (or kfdash's, when kfdash refused before MLflow saw the call); the
 * Kubernetes API server's Status {"message"} or plain text (a log), passed on by kfdash.
 */
type Speaker = 'kfdash' | 'mlflow' | 'kubernetes';

/** What is sent besides method and path. */
interface Outgoing {
  accept: string;
  /** The body, already JSON text: it is sent as application/json. */
  body?: string;
  /** Headers a caller adds (X-MLFLOW-WORKSPACE). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** "label: " in front of a message, or nothing for an empty label. */
const prefix = (label: string) => (label ? `${label}: ` : '');

/**
 * The one fetch of the web app. Resolves with the response whatever its status; rejects with an
 * ApiError of status 0 when the server cannot be reached (`label` names the call in it), or with
 * the browser's own error once `signal` aborted the request.
 */
async function exchange(method: Method, path: string, out: Outgoing, label: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: out.accept, ...out.headers };
  if (out.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    // Double-submit: the server compares this header with its cookie. No cookie (gateway
    // mode, where the server relies on Origin / Sec-Fetch-Site instead): no header.
    const csrf = csrfToken(document.cookie);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  try {
    return await fetch(path, { method, headers, body: out.body, credentials: 'same-origin', signal: out.signal });
  } catch (err) {
    if (out.signal?.aborted) throw err;
    throw new ApiError(`${prefix(label)}the server could not be reached`, 0, null, err);
  }
}

/** JSON text parsed, or undefined when it is empty or not JSON. */
function parsed(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the server refused, in `speaker`'s words; undefined when it did not say. */
function reasonOf(speaker: Speaker, body: unknown, text: string): string | undefined {
  const said = isObject(body) ? body : {};
  switch (speaker) {
    case 'kfdash':
      return optionalString(said.error);
    case 'mlflow':
      return looseString(said.message) || looseString(said.error) || undefined;
    case 'kubernetes':
      if (typeof said.error === 'string') return said.error;
      if (typeof said.message === 'string') return said.message;
      // Not JSON at all: the text itself, cut short (it may be a whole error page).
      return body === undefined && text.trim() ? text.trim().slice(0, 300) : undefined;
  }
}

/** The ApiError for a refusal (`res` not ok, its body `text`). */
function refusal(res: Response, text: string, speaker: Speaker, label: string): ApiError {
  const body = parsed(text);
  const reason = reasonOf(speaker, body, text) ?? (res.statusText || 'request failed');
  const signin = res.status === 403 && isObject(body) ? optionalString(body.signin) ?? null : null;
  return new ApiError(`${prefix(label)}${reason} (HTTP ${res.status})`, res.status, signin);
}

/** A successful JSON answer: its status, its text, and the text parsed (undefined: none). */
interface JsonAnswer {
  status: number;
  text: string;
  body: unknown;
}

/**
 * Sends one JSON request (`body`, when given, as JSON) and reads the answer; a refusal rejects
 * with an ApiError in `speaker`'s words, named by `label`.
 */
async function requestJSON(
  method: Method,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; label: string; speaker: Speaker },
): Promise<JsonAnswer> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const out = { accept: 'application/json', body, headers: opts.headers, signal: opts.signal };
  const res = await exchange(method, path, out, opts.label);
  const text = await res.text();
  if (!res.ok) throw refusal(res, text, opts.speaker, opts.label);
  return { status: res.status, text, body: parsed(text) };
}

/** GETs a JSON document of kfdash's API. */
export async function getJSON(path: string, signal?: AbortSignal): Promise<unknown> {
  const answer = await requestJSON('GET', path, { signal, label: path, speaker: 'kfdash' });
  if (answer.body === undefined) throw new ApiError(`${path}: the server sent no JSON`, answer.status);
  return answer.body;
}

/**
 * Every state-changing call to kfdash's API goes through here, so none can forget the CSRF header.
 * `body` is sent as JSON; the answer is parsed JSON, or undefined when the server sent none (204).
 */
export async function sendJSON(method: Mutation, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
  const answer = await requestJSON(method, path, { body, signal, label: path, speaker: 'kfdash' });
  if (answer.body === undefined && answer.text) throw new ApiError(`${path}: the server sent no JSON`, answer.status);
  return answer.body;
}

/**
 * One call to MLflow through kfdash: `headers` go along (X-MLFLOW-WORKSPACE), a POST sends `body`
 * as JSON, and `label` names the call in errors, which carry MLflow's message or kfdash's. MLflow
 * answers every call with an object; an empty answer is an empty one.
 */
export async function mlflowJSON(
  method: 'GET' | 'POST',
  path: string,
  opts: { label: string; headers: Record<string, string>; body?: unknown; signal?: AbortSignal },
): Promise<Json> {
  const answer = await requestJSON(method, path, { ...opts, speaker: 'mlflow' });
  const body = answer.text ? answer.body : {};
  if (!isObject(body)) throw new ApiError(`${opts.label}: the answer is not JSON`, answer.status);
  return body;
}

/** An answer as it came, for a page that shows it so. */
export interface RawAnswer {
  status: number;
  /** The body as text. */
  text: string;
  /** Milliseconds from sending to the last byte of the answer. */
  ms: number;
}

/**
 * POSTs `payload`, JSON text sent as it is, and resolves with the answer whatever its status and
 * how long it took; only a 401 (nobody is signed in any more) rejects, as it does for every call.
 */
export async function postRaw(path: string, payload: string, signal?: AbortSignal): Promise<RawAnswer> {
  const t0 = performance.now();
  const res = await exchange('POST', path, { accept: 'application/json', body: payload, signal }, path);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status === 401) throw refusal(res, text, 'kfdash', path);
  return { status: res.status, text, ms };
}

/**
 * GETs `path` to read its body as it arrives (a container's log through kfdash; `accept` lists
 * the types wanted). Resolves with the response once its status is a success; a refusal rejects
 * with an ApiError in the API server's words (no path in the message: the page says what failed).
 */
export async function openStream(path: string, accept: string, signal: AbortSignal): Promise<Response> {
  const res = await exchange('GET', path, { accept, signal }, '');
  if (!res.ok) throw refusal(res, await res.text().catch(() => ''), 'kubernetes', '');
  return res;
}

/**
 * Calls `request(signal)` when `deps` change (once, for []) and hands its answer to `ok` or its
 * failure to `fail`, unless a later call, or leaving the page, overtook it: that call is cancelled
 * and says nothing.
 */
export function useRequest<T>(
  request: (signal: AbortSignal) => Promise<T>,
  ok: (answer: T) => void,
  fail: (err: unknown) => void,
  deps: readonly unknown[],
): void {
  useEffect(() => {
    const abort = new AbortController();
    request(abort.signal).then(
      (answer) => abort.signal.aborted || ok(answer),
      (err) => abort.signal.aborted || fail(err),
    );
    return () => abort.abort();
  }, deps);
}

export async function fetchDashboardLinks(signal?: AbortSignal): Promise<DashboardLinks> {
  return normalizeLinks(await getJSON('/api/dashboard-links', signal));
}

export async function fetchDashboardSettings(signal?: AbortSignal): Promise<DashboardSettings> {
  return normalizeSettings(await getJSON('/api/dashboard-settings', signal));
}

export interface Identity {
  email: string;
  groups: string[];
  /**
   * How the server recognised the caller: 'session', 'id-token', 'service-account',
   * 'personal-token' or 'gateway'. Kept as sent, so that a newer server's value is no error.
   */
  source: string;
}

/** Who is signed in. Rejects with an ApiError of status 401 when nobody is. */
export async function fetchWhoami(signal?: AbortSignal): Promise<Identity> {
  const raw = await getJSON('/api/whoami', signal);
  if (!isObject(raw) || typeof raw.email !== 'string' || !raw.email) {
    throw new ApiError('/api/whoami: the server sent no email', 0);
  }
  return { email: raw.email, groups: strings(raw.groups), source: asString(raw.source) };
}

/** A personal access token as listed: never its secret. Times are Unix seconds. */
export interface AccessToken {
  id: string;
  name: string;
  created: number;
  expires: number;
  /** null until a request has used it. */
  lastUsed: number | null;
}

/** The answer to creating a token: the only time its secret is seen. */
export interface CreatedToken extends AccessToken {
  token: string;
}

function toToken(v: unknown): AccessToken | null {
  if (!isObject(v) || typeof v.id !== 'string' || !v.id || typeof v.name !== 'string') return null;
  const created = numberOrNull(v.created);
  const expires = numberOrNull(v.expires);
  if (created === null || expires === null) return null;
  return { id: v.id, name: v.name, created, expires, lastUsed: numberOrNull(v.last_used) };
}

export async function listTokens(signal?: AbortSignal): Promise<AccessToken[]> {
  const raw = await getJSON('/api/tokens', signal);
  const list = isObject(raw) && Array.isArray(raw.tokens) ? raw.tokens : [];
  return list.map(toToken).filter((t): t is AccessToken => t !== null);
}

export async function createToken(name: string, expiresInDays: number): Promise<CreatedToken> {
  const raw = await sendJSON('POST', '/api/tokens', { name, expires_in_days: expiresInDays });
  const token = toToken(raw);
  const secret = isObject(raw) ? raw.token : undefined;
  if (!token || typeof secret !== 'string' || !secret) {
    throw new ApiError('/api/tokens: the server did not send the new token', 0);
  }
  return { ...token, token: secret };
}

export async function revokeToken(id: string): Promise<void> {
  await sendJSON('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
}
