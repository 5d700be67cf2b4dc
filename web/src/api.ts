// Talking to the kfdash server. Every call either resolves with parsed JSON or rejects with an
// ApiError whose message is fit for the error banner; nothing here renders anything.

import { CSRF_HEADER, csrfToken } from './auth';
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

  constructor(message: string, status: number, signin: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.signin = signin;
  }
}

/** Methods that change state on the server: each carries the CSRF header. */
export type Mutation = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Sends one request and parses the answer. Server errors come as `{"error": "..."}` with a
 * 4xx/5xx status. Resolves with undefined for an empty success (204) unless `needBody`.
 */
async function request(
  method: 'GET' | Mutation,
  path: string,
  opts: { body?: unknown; signal?: AbortSignal; needBody: boolean },
): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    // Double-submit: the server compares this header with its cookie. No cookie (gateway
    // mode, where the server relies on Origin / Sec-Fetch-Site instead): no header.
    const csrf = csrfToken(document.cookie);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(`${path}: the server could not be reached`, 0);
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Fall through: a non-JSON body is reported below.
  }
  if (!res.ok) {
    const answer = typeof body === 'object' && body !== null ? (body as { error?: unknown; signin?: unknown }) : {};
    const reason = typeof answer.error === 'string' ? answer.error : res.statusText || 'request failed';
    const signin = res.status === 403 && typeof answer.signin === 'string' ? answer.signin : null;
    throw new ApiError(`${path}: ${reason} (HTTP ${res.status})`, res.status, signin);
  }
  if (body === undefined && (opts.needBody || text)) {
    throw new ApiError(`${path}: the server sent no JSON`, res.status);
  }
  return body;
}

/** GETs a JSON document. */
export function getJSON(path: string, signal?: AbortSignal): Promise<unknown> {
  return request('GET', path, { signal, needBody: true });
}

/**
 * Every state-changing call goes through here, so none can forget the CSRF header. `body` is
 * sent as JSON; the answer is parsed JSON, or undefined when the server sent none (204).
 */
export function sendJSON(method: Mutation, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
  return request(method, path, { body, signal, needBody: false });
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

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Who is signed in. Rejects with an ApiError of status 401 when nobody is. */
export async function fetchWhoami(signal?: AbortSignal): Promise<Identity> {
  const raw = await getJSON('/api/whoami', signal);
  if (!isObject(raw) || typeof raw.email !== 'string' || !raw.email) {
    throw new ApiError('/api/whoami: the server sent no email', 0);
  }
  const groups = Array.isArray(raw.groups) ? raw.groups.filter((g): g is string => typeof g === 'string') : [];
  return { email: raw.email, groups, source: typeof raw.source === 'string' ? raw.source : '' };
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

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toToken(v: unknown): AccessToken | null {
  if (!isObject(v) || typeof v.id !== 'string' || !v.id || typeof v.name !== 'string') return null;
  const created = num(v.created);
  const expires = num(v.expires);
  if (created === null || expires === null) return null;
  return { id: v.id, name: v.name, created, expires, lastUsed: num(v.last_used) };
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
