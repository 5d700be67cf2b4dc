// Kubeflow's postMessage protocol between the dashboard and the apps it frames, named once for
// both sides: the shell (pages.tsx, the iframe view) and the library apps load from
// /dashboard_lib.bundle.js (dashboard_lib.ts). Both windows are of one origin (the gateway serves
// the dashboard and the apps under one host), and neither side listens to anything else.
//
// The order, as Kubeflow's dashboard speaks it:
//   app → dashboard   {type: 'iframe-connected'}
//   dashboard → app   {type: 'parent-connected', value: null}
//   dashboard → app   {type: 'namespace-selected', value: 'alice'}
//                  or {type: 'all-namespaces', value: ['alice', 'team-a']}
// and again namespace-selected / all-namespaces each time the selector changes.

export const APP_CONNECTED_EVENT = 'iframe-connected';
export const PARENT_CONNECTED_EVENT = 'parent-connected';
export const NAMESPACE_SELECTED_EVENT = 'namespace-selected';
export const ALL_NAMESPACES_EVENT = 'all-namespaces';
export const MESSAGE = 'message';

/**
 * The selector's "every namespace" choice, as Kubeflow writes it in `?ns=` (no namespace can be
 * called that: names are lowercase DNS labels).
 */
export const ALL_NAMESPACES = 'All namespaces';

/**
 * The apps that can show every namespace at once (Kubeflow's list: the Jupyter, Volumes and
 * TensorBoards web apps, Katib, KServe's models web app): only while one of them is in the iframe
 * view does the selector offer ALL_NAMESPACES.
 */
export const ALL_NAMESPACES_APPS: readonly string[] = ['jupyter', 'volumes', 'tensorboards', 'katib', 'models'];

/** Whether the app at `appPath` (the framed URL's path, '/jupyter/…') may be shown every namespace. */
export function allowsAllNamespaces(appPath: string): boolean {
  const first = appPath.split(/[/?#]/, 2)[1] ?? '';
  return appPath.startsWith('/') && ALL_NAMESPACES_APPS.includes(first);
}

/** A message of the protocol: its type, and its value when it carries one. */
export interface DashboardMessage {
  type: string;
  value?: unknown;
}

/** The message's type when `data` is one of the protocol's, else ''. */
export function messageType(data: unknown): string {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string'
    ? (data as { type: string }).type
    : '';
}
