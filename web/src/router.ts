// Client-side routing with the History API. The route is the full location
// (pathname + search + hash); components read it with useLocation() and change it with
// navigate(). The server answers index.html for every non-API GET, so any route deep-links.
// The URLs of the dashboard's own pages are named here, for the pages to link with; the pages
// themselves (title, sidebar entry, component) are declared in routes.ts.

import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'kfdash:location';

/** The personal access tokens page (the dashboard's own route, beside Home and /_/<app>). */
export const TOKENS_PATH = '/tokens';
/** Creating one's own namespace (Kubeflow's registration flow). */
export const REGISTER_PATH = '/register';
/** Who may use the namespaces the user owns (Kubeflow's "Manage contributors"). */
export const CONTRIBUTORS_PATH = '/contributors';
/** Recent Kubernetes events of the selected namespace. */
export const ACTIVITY_PATH = '/activity';
/** Dex users, for cluster admins. */
export const USERS_PATH = '/admin/users';
/** What keeps notebooks from starting, and whether the peers answer (GET /api/diagnostics). */
export const DIAGNOSTICS_PATH = '/diagnostics';
/** Notebooks of the selected namespace (one at NOTEBOOKS_PATH/details/<name>), and the create form. */
export const NOTEBOOKS_PATH = '/notebooks';
export const NEW_NOTEBOOK_PATH = '/notebooks/new';
/** Spark applications of the selected namespace (one at SPARK_PATH/details/<name>), and the submit form. */
export const SPARK_PATH = '/spark-applications';
export const NEW_SPARK_PATH = '/spark-applications/new';
/** KServe endpoints of the selected namespace (one at ENDPOINTS_PATH/details/<name>), and the create form. */
export const ENDPOINTS_PATH = '/endpoints';
export const NEW_ENDPOINT_PATH = '/endpoints/new';
/** MLflow experiments of the selected namespace (runs at EXPERIMENTS_PATH/<id>), and its registered models. */
export const EXPERIMENTS_PATH = '/experiments';
export const MODELS_PATH = '/models';

/**
 * Kubeflow's dashboard's own page paths (its Polymer and Angular apps), and the page of this
 * dashboard each opens: links and bookmarks made for Kubeflow keep working. The shell replaces
 * the location with the page's own path (query and hash kept).
 */
export const KUBEFLOW_PAGE_PATHS: Readonly<Record<string, string>> = {
  '/manage-users': CONTRIBUTORS_PATH,
  '/namespace-needed': '/',
};
/** Kubeflow's sign-out page: here, the server's sign-out (which then goes to LOGOUT_URL). */
export const KUBEFLOW_LOGOUT_PATH = '/logout';
export const SIGN_OUT_URL = '/auth/logout';

export function currentLocation(): string {
  const { pathname, search, hash } = window.location;
  return pathname + search + hash;
}

function announce(): void {
  window.dispatchEvent(new Event(CHANGE));
}

/** Moves to a dashboard route without reloading the page. */
export function navigate(href: string, replace = false): void {
  if (href === currentLocation()) return;
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.scrollTo(0, 0);
  announce();
}

/** Records where the user already is (e.g. an iframe moved) without adding history. */
export function syncLocation(href: string): void {
  if (href === currentLocation()) return;
  history.replaceState(history.state, '', href);
  announce();
}

export function useLocation(): string {
  const [location, setLocation] = useState(currentLocation);
  useEffect(() => {
    const update = () => setLocation(currentLocation());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return location;
}

/** A plain left click that the router may take over (not a new-tab or download gesture). */
export function isPlainClick(e: MouseEvent): boolean {
  return !e.defaultPrevented && e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}
