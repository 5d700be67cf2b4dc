// Whether the applications the menu links to are installed. Kubeflow's apps live behind the same
// gateway as the dashboard, each under a path of its own (/pipeline/, /katib/, /volumes/...);
// when one is not installed, its path falls through to the dashboard, which answers with its own
// index.html (marked by <meta name="generator" content="kfdash">, web/index.html), or the gateway
// answers an error. The shell asks each path of the menu once per page load (GET, same origin,
// redirects not followed) and marks the links of those that do not answer (links.ts arrangeLinks).

import { useEffect, useState } from 'preact/hooks';
import { isInternal, linkPath, type DashboardLinks, type MenuItem } from './links';

/** What the dashboard's own index.html carries, and no application's page does. */
export const KFDASH_PAGE_MARK = '<meta name="generator" content="kfdash"';

/**
 * Whether something other than this dashboard answers GET `path`: a page or anything else of its
 * own, a redirect (to sign in, or to a path with a slash), or a refusal (the app is there and says
 * no). Not: the dashboard's index.html, 404, or a 5xx (the gateway has nowhere to send it).
 * A request that fails outright says nothing either way: answered, so nothing is marked wrongly.
 */
export async function answers(path: string, signal?: AbortSignal): Promise<boolean> {
  let res: Response;
  try {
    res = await fetch(path, {
      credentials: 'same-origin',
      redirect: 'manual',
      headers: { Accept: 'text/html' },
      signal,
    });
  } catch {
    return true;
  }
  if (res.type === 'opaqueredirect') return true;
  if (res.status === 404 || res.status >= 500) return false;
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/html')) return true;
  const text = await res.text().catch(() => '');
  return !text.includes(KFDASH_PAGE_MARK);
}

const asked = new Map<string, Promise<boolean>>();

/** answers(path), asked once per page load. */
function answersOnce(path: string): Promise<boolean> {
  let p = asked.get(path);
  if (!p) {
    p = answers(path);
    asked.set(path, p);
  }
  return p;
}

/** The distinct paths of the internal menu and external links that the shell will show. */
export function menuPaths(links: DashboardLinks, ns: string, isNative: (path: string) => boolean): string[] {
  const items: MenuItem[] = links.menuLinks
    .flatMap((e) => (e.type === 'section' ? e.items : [e]))
    .concat(links.externalLinks);
  const paths = new Set<string>();
  for (const item of items) {
    if (!isInternal(item.link)) continue;
    const path = linkPath(item.link, ns);
    if (!isNative(path)) paths.add(path);
  }
  return [...paths].sort();
}

/** The paths of `paths` whose application does not answer, as the answers come in. */
export function useUnavailable(paths: readonly string[]): ReadonlySet<string> {
  const [down, setDown] = useState<ReadonlySet<string>>(() => new Set());
  const key = paths.join('\n');
  useEffect(() => {
    let live = true;
    for (const path of paths) {
      void answersOnce(path).then((ok) => {
        if (!ok && live) setDown((prev) => (prev.has(path) ? prev : new Set(prev).add(path)));
      });
    }
    return () => {
      live = false;
    };
  }, [key]);
  return down;
}
