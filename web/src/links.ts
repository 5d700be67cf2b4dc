// The dashboard's link model: what the server's `links` JSON may contain, how it is cleaned,
// and where each link leads. Everything here is pure (no DOM, no globals) so that every place
// that renders a link resolves it the same way.

import { asArray, isObject, optionalString } from './json';

/** A leaf entry of `menuLinks` or `externalLinks`. */
export interface MenuItem {
  type: 'item';
  link: string;
  text: string;
  icon?: string;
  /** Only meaningful for externalLinks: false opens a new tab. */
  iframe?: boolean;
  /** Set by the shell (arrangeLinks), never by the server: its application does not answer. */
  unavailable?: boolean;
}

/** A collapsible group of items in `menuLinks`. */
export interface MenuSection {
  type: 'section';
  text: string;
  icon?: string;
  items: MenuItem[];
}

export type MenuEntry = MenuItem | MenuSection;

/** An entry of `quickLinks` or `documentationItems`. */
export interface CardLink {
  link: string;
  text: string;
  desc: string;
}

export interface DashboardLinks {
  menuLinks: MenuEntry[];
  externalLinks: MenuItem[];
  quickLinks: CardLink[];
  documentationItems: CardLink[];
}

export interface DashboardSettings {
  /** Kubeflow's switch: false makes internal links navigate the top window. Default true. */
  DASHBOARD_FORCE_IFRAME?: boolean;
}

export const EMPTY_LINKS: DashboardLinks = {
  menuLinks: [],
  externalLinks: [],
  quickLinks: [],
  documentationItems: [],
};

function toItem(v: unknown): MenuItem | null {
  if (!isObject(v)) return null;
  const link = optionalString(v.link);
  const text = optionalString(v.text);
  if (link === undefined || !text) return null;
  const item: MenuItem = { type: 'item', link, text };
  const icon = optionalString(v.icon);
  if (icon) item.icon = icon;
  if (typeof v.iframe === 'boolean') item.iframe = v.iframe;
  return item;
}

function toEntry(v: unknown): MenuEntry | null {
  if (isObject(v) && v.type === 'section') {
    const text = optionalString(v.text);
    if (!text) return null;
    const section: MenuSection = { type: 'section', text, items: [] };
    const icon = optionalString(v.icon);
    if (icon) section.icon = icon;
    section.items = asArray(v.items).map(toItem).filter((i): i is MenuItem => i !== null);
    return section;
  }
  return toItem(v);
}

function toCard(v: unknown): CardLink | null {
  if (!isObject(v)) return null;
  const link = optionalString(v.link);
  const text = optionalString(v.text);
  if (link === undefined || !text) return null;
  return { link, text, desc: optionalString(v.desc) ?? '' };
}

/**
 * Cleans the server's `links` JSON: any of the four keys may be missing, and malformed entries
 * are dropped rather than breaking the page.
 */
export function normalizeLinks(raw: unknown): DashboardLinks {
  if (!isObject(raw)) return EMPTY_LINKS;
  const notNull = <T>(x: T | null): x is T => x !== null;
  return {
    menuLinks: asArray(raw.menuLinks).map(toEntry).filter(notNull),
    externalLinks: asArray(raw.externalLinks).map(toItem).filter(notNull),
    quickLinks: asArray(raw.quickLinks).map(toCard).filter(notNull),
    documentationItems: asArray(raw.documentationItems).map(toCard).filter(notNull),
  };
}

export function normalizeSettings(raw: unknown): DashboardSettings {
  if (!isObject(raw)) return {};
  const settings: DashboardSettings = {};
  if (typeof raw.DASHBOARD_FORCE_IFRAME === 'boolean') {
    settings.DASHBOARD_FORCE_IFRAME = raw.DASHBOARD_FORCE_IFRAME;
  }
  return settings;
}

/** Replaces every `{ns}` in a configured link with the selected namespace (may be ''). */
export function fillNamespace(link: string, ns: string): string {
  return link.split('{ns}').join(ns);
}

/** A link into this origin: a path, not a protocol-relative `//host` URL. */
export function isInternal(link: string): boolean {
  return link.startsWith('/') && !link.startsWith('//');
}

/** A URL (path, query, hash) as the part before its query, its parameters, and its hash. */
interface QueryParts {
  path: string;
  params: URLSearchParams;
  hash: string;
}

function splitQuery(url: string): QueryParts {
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  return {
    path: queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt),
    params: new URLSearchParams(queryAt < 0 ? '' : beforeHash.slice(queryAt + 1)),
    hash: hashAt < 0 ? '' : url.slice(hashAt),
  };
}

function joinQuery({ path, params, hash }: QueryParts): string {
  const query = params.toString();
  return path + (query ? `?${query}` : '') + hash;
}

/**
 * Adds `ns=<namespace>` to an internal URL's query unless it already has one, so the namespace
 * follows the user from page to page (Kubeflow keeps it in `?ns=`).
 */
export function withNamespaceQuery(path: string, ns: string): string {
  const parts = splitQuery(path);
  if (!ns || parts.params.has('ns')) return path;
  parts.params.set('ns', ns);
  return joinQuery(parts);
}

/** The dashboard route that shows an internal app in the iframe view. */
export const IFRAME_PREFIX = '/_';

/**
 * How a link opens:
 * - `spa`: a dashboard route, handled by the client-side router (iframe view);
 * - `page`: a normal navigation of the top window;
 * - `tab`: a new browser tab.
 */
export type LinkMode = 'spa' | 'page' | 'tab';

export interface LinkTarget {
  href: string;
  mode: LinkMode;
}

export interface ResolveOptions {
  /** The selected namespace, '' if none. */
  ns: string;
  /** settings.DASHBOARD_FORCE_IFRAME; only an explicit false turns the iframe off. */
  forceIframe?: boolean;
  /** The item's own `iframe` flag (externalLinks): false always means a new tab. */
  iframe?: boolean;
  /** This page's origin: absolute links to it are treated as internal. */
  origin?: string;
}

/** Decides where a configured link leads. Used by every component that renders a link. */
export function resolveLink(link: string, opts: ResolveOptions): LinkTarget {
  let target = fillNamespace(link, opts.ns);
  if (opts.origin && target.startsWith(opts.origin + '/')) {
    target = target.slice(opts.origin.length);
  }
  if (opts.iframe === false || !isInternal(target)) return { href: target, mode: 'tab' };
  const href = withNamespaceQuery(target, opts.ns);
  if (opts.forceIframe === false) return { href, mode: 'page' };
  return { href: IFRAME_PREFIX + href, mode: 'spa' };
}

/**
 * The app URL an iframe route shows, or null when the route must not be framed (the dashboard
 * itself, which would nest without end). `location` is pathname + search + hash.
 */
export function iframeSource(location: string): string | null {
  if (!location.startsWith(IFRAME_PREFIX + '/')) return null;
  const src = location.slice(IFRAME_PREFIX.length);
  const path = src.split(/[?#]/, 1)[0];
  if (path === '/' || path.startsWith(IFRAME_PREFIX + '/') || path === IFRAME_PREFIX) return null;
  return src;
}

/** Path plus hash, the part of a URL that identifies an app page (query aside). */
export function pageKey(url: string): string {
  const { path, hash } = splitQuery(url);
  return path + hash;
}

/** A URL without its `ns` query parameter, to compare app pages whatever namespace they carry. */
export function withoutNamespaceQuery(url: string): string {
  return setNamespaceQuery(url, '');
}

/**
 * Sets (or replaces) `ns=<namespace>` in a URL's query: what choosing another namespace in the
 * selector does to the current location. '' removes the parameter.
 */
export function setNamespaceQuery(url: string, ns: string): string {
  const parts = splitQuery(url);
  if (ns) parts.params.set('ns', ns);
  else parts.params.delete('ns');
  return joinQuery(parts);
}

/** The path a link leads to on this origin: `{ns}` filled in, query and hash dropped. */
export function linkPath(link: string, ns: string): string {
  return splitQuery(fillNamespace(link, ns)).path;
}

/** Whether `path` is `prefix` or below it (`prefix/...`); '/' is only '/' itself. */
export function pathWithin(path: string, prefix: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '/') return path === '/';
  return path === p || path.startsWith(`${p}/`);
}

export interface ArrangeOptions {
  /** The selected namespace, for `{ns}`. */
  ns: string;
  /** Whether a page of this dashboard serves the path, or stands for the app there. */
  isNative: (path: string) => boolean;
  /** Paths (linkPath) whose application did not answer: their links are marked. */
  unavailable: ReadonlySet<string>;
}

/**
 * The configured menu as the sidebar shows it. A menu or external link that a page of this
 * dashboard serves or stands for is left out: the sidebar lists that page already (Kubeflow's
 * default menu links its Jupyter web app, which the Notebooks page replaces). A section left
 * with no item goes too. A link whose application does not answer is kept but marked
 * `unavailable`. Quick links and documentation are left as they are.
 */
export function arrangeLinks(links: DashboardLinks, opts: ArrangeOptions): DashboardLinks {
  const keep = (item: MenuItem) => !isInternal(item.link) || !opts.isNative(linkPath(item.link, opts.ns));
  const mark = (item: MenuItem): MenuItem =>
    isInternal(item.link) && opts.unavailable.has(linkPath(item.link, opts.ns)) ? { ...item, unavailable: true } : item;
  const menuLinks: MenuEntry[] = [];
  for (const entry of links.menuLinks) {
    if (entry.type === 'item') {
      if (keep(entry)) menuLinks.push(mark(entry));
      continue;
    }
    const items = entry.items.filter(keep).map(mark);
    if (items.length > 0) menuLinks.push({ ...entry, items });
  }
  return {
    ...links,
    menuLinks,
    externalLinks: links.externalLinks.filter(keep).map(mark),
  };
}
