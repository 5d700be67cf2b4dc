// Profiles as the dashboard sees them: who the user is to each namespace (env-info), whether they
// may register one, and which namespace is in effect. The rules (names, the choice of namespace)
// are pure functions; the fetchers only shape the server's JSON.

import { ApiError, getJSON, sendJSON } from './api';
import { asString, isObject } from './json';

/** What the user is to a namespace: Kubeflow's three roles, plus a cluster admin's view of any. */
export type Role = 'owner' | 'contributor' | 'viewer' | 'admin';

export interface NamespaceEntry {
  namespace: string;
  role: Role;
}

/** The parts of GET /api/workgroup/env-info the web app uses. */
export interface EnvInfo {
  user: string;
  namespaces: NamespaceEntry[];
  isClusterAdmin: boolean;
}

/** GET /api/workgroup/exists. */
export interface WorkgroupExists {
  user: string;
  hasWorkgroup: boolean;
  registrationFlowAllowed: boolean;
}

/** One row of GET /api/workgroup/get-all-namespaces: `[namespace, owner, "c1, c2"]`. */
export interface ProfileSummary {
  namespace: string;
  owner: string;
  contributors: string[];
}

const ROLES: readonly Role[] = ['owner', 'contributor', 'viewer'];

/** How a role reads next to a namespace. */
export const ROLE_TEXT: Record<Role, string> = {
  owner: 'owner',
  contributor: 'contributor',
  viewer: 'viewer',
  admin: 'cluster admin',
};

/** Alphabetical by name: the order people look for a namespace in. */
const byName = (a: { namespace: string }, b: { namespace: string }) =>
  a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;

export function normalizeEnvInfo(raw: unknown): EnvInfo {
  if (!isObject(raw)) throw new ApiError('/api/workgroup/env-info: the server sent no object', 0);
  const seen = new Set<string>();
  const namespaces: NamespaceEntry[] = [];
  for (const v of Array.isArray(raw.namespaces) ? raw.namespaces : []) {
    if (!isObject(v)) continue;
    const namespace = asString(v.namespace);
    const role = ROLES.find((r) => r === v.role) ?? 'viewer';
    if (!namespace || seen.has(namespace)) continue;
    seen.add(namespace);
    namespaces.push({ namespace, role });
  }
  return { user: asString(raw.user), namespaces: namespaces.sort(byName), isClusterAdmin: raw.isClusterAdmin === true };
}

export async function fetchEnvInfo(signal?: AbortSignal): Promise<EnvInfo> {
  return normalizeEnvInfo(await getJSON('/api/workgroup/env-info', signal));
}

export async function fetchWorkgroupExists(signal?: AbortSignal): Promise<WorkgroupExists> {
  const raw = await getJSON('/api/workgroup/exists', signal);
  if (!isObject(raw)) throw new ApiError('/api/workgroup/exists: the server sent no object', 0);
  return {
    user: asString(raw.user),
    hasWorkgroup: raw.hasWorkgroup === true,
    registrationFlowAllowed: raw.registrationFlowAllowed === true,
  };
}

/** Creates a profile owned by the caller (kfdash's POST /api/profiles, which answers
 * {namespace, owner}). Resolves with the namespace the server made. */
export async function createWorkgroup(namespace: string): Promise<string> {
  const raw = await sendJSON('POST', '/api/profiles', { namespace });
  return isObject(raw) && typeof raw.namespace === 'string' && raw.namespace ? raw.namespace : namespace;
}

export function normalizeProfiles(raw: unknown): ProfileSummary[] {
  const rows: ProfileSummary[] = [];
  for (const v of Array.isArray(raw) ? raw : []) {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || !v[0]) continue;
    const contributors = asString(v[2])
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    rows.push({ namespace: v[0], owner: asString(v[1]), contributors });
  }
  return rows.sort(byName);
}

/** Every profile of the cluster (cluster admins only). */
export async function fetchAllProfiles(signal?: AbortSignal): Promise<ProfileSummary[]> {
  return normalizeProfiles(await getJSON('/api/workgroup/get-all-namespaces', signal));
}

/**
 * The namespaces the selector offers: the user's own roles, then (for a cluster admin) every
 * other profile, marked 'admin'. Sorted by name.
 */
export function namespaceChoices(env: EnvInfo, all: ProfileSummary[] | null): NamespaceEntry[] {
  const mine = new Set(env.namespaces.map((n) => n.namespace));
  const others = env.isClusterAdmin && all ? all.filter((p) => !mine.has(p.namespace)) : [];
  return [...env.namespaces, ...others.map((p) => ({ namespace: p.namespace, role: 'admin' as const }))].sort(byName);
}

/** The namespace a user lands in when nothing else says: the first they own, else the first. */
export function defaultNamespace(choices: NamespaceEntry[]): string {
  return (choices.find((c) => c.role === 'owner') ?? choices.find((c) => c.role !== 'admin') ?? choices[0])?.namespace ?? '';
}

/**
 * The namespace in effect. `?ns=` always wins (a shared link means what it says). The stored
 * choice counts only while it is still one of the user's (another user may have used this
 * browser, or a contributor was removed); `choices` is null while unknown, and then the stored
 * choice stands.
 */
export function chooseNamespace(urlNs: string | null, stored: string | null, choices: NamespaceEntry[] | null): string {
  if (urlNs) return urlNs;
  if (choices === null) return stored ?? '';
  if (stored && choices.some((c) => c.namespace === stored)) return stored;
  return defaultNamespace(choices);
}

/** localStorage key of the selected namespace. */
export const NAMESPACE_KEY = 'kfdash.namespace';

export function storedNamespace(): string | null {
  try {
    return window.localStorage.getItem(NAMESPACE_KEY);
  } catch {
    return null; // Storage disabled: the URL alone decides.
  }
}

export function storeNamespace(ns: string): void {
  try {
    if (ns) window.localStorage.setItem(NAMESPACE_KEY, ns);
    else window.localStorage.removeItem(NAMESPACE_KEY);
  } catch {
    // Storage disabled or full: the choice lasts as long as the URL carries it.
  }
}

export const NAME_MAX = 63;

/**
 * The namespace name proposed for an email, as the server derives its default (KFAM's rule,
 * k8s/kfam.c): the local part, lowercased, every run of characters other than a-z and 0-9 as one
 * '-', no '-' at either end, at most 63 characters. '' when nothing is left.
 */
export function namespaceFromEmail(email: string): string {
  const at = email.indexOf('@');
  return (at < 0 ? email : email.slice(0, at))
    .replace(/[A-Z]/g, (c) => c.toLowerCase()) // ASCII only, as the server: 'İ' is no 'i'
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, NAME_MAX)
    .replace(/-+$/, '');
}

/** What is wrong with a namespace name (a DNS-1123 label), or null when nothing is. */
export function namespaceNameProblem(name: string): string | null {
  if (!name) return 'Enter a name for the namespace.';
  if (name.length > NAME_MAX) return `The name can be at most ${NAME_MAX} characters long (it has ${name.length}).`;
  if (/[A-Z]/.test(name)) return 'Use lowercase letters only.';
  if (/[^a-z0-9-]/.test(name)) return "Use only letters a–z, digits and '-' (no spaces, dots or underscores).";
  if (name.startsWith('-') || name.endsWith('-')) return "Start and end the name with a letter or a digit, not '-'.";
  return null;
}

/** A plausible email address: something@something, no spaces. The server has the last word. */
export function emailProblem(email: string): string | null {
  if (!email) return 'Enter an email address.';
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) return 'Enter an email address such as ada@example.com.';
  return null;
}

/** Where the app stands with env-info: profiles need a Kubernetes API server behind kfdash. */
export type EnvState =
  | { status: 'loading' }
  /** The server has no Kubernetes API server (503): profiles do not exist here. */
  | { status: 'unavailable'; reason: string }
  | { status: 'failed'; reason: string }
  | { status: 'ok'; env: EnvInfo };
