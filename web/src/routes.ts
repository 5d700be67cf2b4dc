// The dashboard's own pages, each declared once: where it lives, its title, its entry in the
// sidebar, whom the sidebar offers it to, and its component (fetched on the first visit where it
// is not part of the first load). The shell (app.tsx) derives both the sidebar and the page it
// shows from this table; the URLs themselves are named in router.ts, which pages link with.
// What is not here: configured apps in the iframe view (/_/..., from the dashboard links) and
// Page not found, which the shell shows when no route matches.

import type { FunctionComponent } from 'preact';
import type { EnvInfo, EnvState } from './namespaces';
import type { DashboardLinks } from './links';
import type { Resolve } from './layout';
import { lazyPage } from './lazy';
import { pathWithin } from './links';
import { Home } from './pages';
import {
  ACTIVITY_PATH,
  CONTRIBUTORS_PATH,
  DIAGNOSTICS_PATH,
  ENDPOINTS_PATH,
  EXPERIMENTS_PATH,
  KUBEFLOW_PAGE_PATHS,
  MODELS_PATH,
  NEW_NOTEBOOK_PATH,
  NOTEBOOKS_PATH,
  REGISTER_PATH,
  SPARK_PATH,
  TOKENS_PATH,
  USERS_PATH,
} from './router';
import { TokensPage } from './tokens';

/** What the shell hands every page; each page's component takes the part it needs. */
export interface PageProps {
  envState: EnvState;
  /** The selected namespace, '' for none. */
  ns: string;
  /** The location's pathname, and its query ('?…' or ''). */
  path: string;
  search: string;
  /** This page's origin (scheme://host), for what a script outside the browser would call. */
  origin: string;
  /** Create namespace, with the selected namespace in its query. */
  registerHref: string;
  /** Reads env-info again (after creating a namespace); resolves with what it says now. */
  reloadEnv: () => Promise<EnvInfo>;
  /** A namespace was created: the shell selects it and goes Home. */
  onRegistered: (ns: string) => void;
  /** The configured links, once they and the settings that decide where they lead are loaded. */
  links: DashboardLinks | null;
  resolve: Resolve;
  /** env-info lists no namespace of the user. */
  noNamespace: boolean;
  /** Whether the user may create a namespace; null while not known. */
  canRegister: boolean | null;
}

/**
 * Whom the sidebar offers a page to, from the least to the most asked. The server enforces the
 * real rule on every call; a page opened by its URL explains itself to anyone else.
 * - anyone: whoever is signed in;
 * - inNamespace: whoever has a namespace to work in (a role in a profile, or a cluster admin with
 *   profiles to pick from);
 * - member: whoever has a role in some profile, and cluster admins;
 * - newcomer: whoever has no namespace yet and is allowed to create one;
 * - clusterAdmin: cluster admins.
 */
export type Audience = 'anyone' | 'inNamespace' | 'member' | 'newcomer' | 'clusterAdmin';

/** Where the user stands, for each audience but 'anyone': false until env-info says otherwise. */
export type Standing = Record<Exclude<Audience, 'anyone'>, boolean>;

export interface Route {
  /** The pathname (what router.ts names it). */
  path: string;
  /** 'exact': the path alone; 'tree': the path and everything below it (path/...). */
  match: 'exact' | 'tree';
  /** The browser's title before " · kfdash"; '' for the brand alone. */
  title: string;
  /** The sidebar entry (the sidebar lists them in this table's order); none: not in the sidebar. */
  nav?: { text: string; icon: string };
  audience: Audience;
  page: FunctionComponent<PageProps>;
  /** Kubeflow's apps this page stands for (their paths): menu links to them are left out, as the
   * sidebar lists this page already. */
  standsFor?: string[];
}

// MLflow's experiments and models are one page (one chunk, one component: moving between them
// keeps its state), reached by two routes.
const MlflowPage = lazyPage(() => import('./mlflow').then((m) => m.MlflowPage));

/** The first route that matches a pathname wins: a route below another comes before it. */
export const ROUTES: readonly Route[] = [
  { path: '/', match: 'exact', title: '', nav: { text: 'Home', icon: 'home' }, audience: 'anyone', page: Home },
  {
    path: ACTIVITY_PATH,
    match: 'exact',
    title: 'Activity',
    nav: { text: 'Activity', icon: 'history' },
    audience: 'inNamespace',
    page: lazyPage(() => import('./activity').then((m) => m.ActivityPage)),
  },
  {
    path: NEW_NOTEBOOK_PATH,
    match: 'exact',
    title: 'New notebook',
    audience: 'inNamespace',
    page: lazyPage(() => import('./notebook_form').then((m) => m.NotebookFormPage)),
  },
  {
    path: NOTEBOOKS_PATH,
    match: 'tree',
    title: 'Notebooks',
    nav: { text: 'Notebooks', icon: 'book' },
    audience: 'inNamespace',
    page: lazyPage(() => import('./notebooks').then((m) => m.NotebooksPage)),
    // Kubeflow's Jupyter web app: the same Notebook objects.
    standsFor: ['/jupyter'],
  },
  {
    path: SPARK_PATH,
    match: 'tree',
    title: 'Spark applications',
    nav: { text: 'Spark applications', icon: 'bubble-chart' },
    audience: 'inNamespace',
    page: lazyPage(() => import('./spark').then((m) => m.SparkPage)),
  },
  {
    path: ENDPOINTS_PATH,
    match: 'tree',
    title: 'Endpoints',
    nav: { text: 'Endpoints', icon: 'kfserving' },
    audience: 'inNamespace',
    page: lazyPage(() => import('./endpoints').then((m) => m.EndpointsPage)),
    // Kubeflow's KServe models web app: the same InferenceServices.
    standsFor: ['/kserve-endpoints'],
  },
  {
    path: EXPERIMENTS_PATH,
    match: 'tree',
    title: 'Experiments',
    nav: { text: 'Experiments', icon: 'assessment' },
    audience: 'inNamespace',
    page: MlflowPage,
  },
  {
    path: MODELS_PATH,
    match: 'tree',
    title: 'Models',
    nav: { text: 'Models', icon: 'layers' },
    audience: 'inNamespace',
    page: MlflowPage,
  },
  {
    path: CONTRIBUTORS_PATH,
    match: 'exact',
    title: 'Manage contributors',
    nav: { text: 'Manage contributors', icon: 'people' },
    audience: 'member',
    page: lazyPage(() => import('./contributors').then((m) => m.ContributorsPage)),
  },
  {
    path: REGISTER_PATH,
    match: 'exact',
    title: 'Create your namespace',
    nav: { text: 'Create namespace', icon: 'person-add' },
    audience: 'newcomer',
    page: lazyPage(() => import('./register').then((m) => m.RegisterPage)),
  },
  {
    path: TOKENS_PATH,
    match: 'exact',
    title: 'Access tokens',
    nav: { text: 'Access tokens', icon: 'vpn-key' },
    audience: 'anyone',
    page: TokensPage,
  },
  {
    path: DIAGNOSTICS_PATH,
    match: 'exact',
    title: 'Diagnostics',
    nav: { text: 'Diagnostics', icon: 'build' },
    audience: 'anyone',
    page: lazyPage(() => import('./diagnostics').then((m) => m.DiagnosticsPage)),
  },
  {
    path: USERS_PATH,
    match: 'exact',
    title: 'Users',
    nav: { text: 'Users', icon: 'manage-accounts' },
    audience: 'clusterAdmin',
    page: lazyPage(() => import('./users').then((m) => m.UsersPage)),
  },
];

/**
 * Whether a page of this dashboard serves `path` (a path of one of its routes, or of Kubeflow's
 * dashboard pages, router.ts) or stands for the Kubeflow app there.
 */
export function isNativePath(path: string): boolean {
  return (
    Object.hasOwn(KUBEFLOW_PAGE_PATHS, path) ||
    ROUTES.some((r) => pathWithin(path, r.path) || (r.standsFor ?? []).some((p) => pathWithin(path, p)))
  );
}

/** The route that shows `pathname`, or null (an app in the iframe view, or Page not found). */
export function routeFor(pathname: string): Route | null {
  return (
    ROUTES.find((r) => pathname === r.path || (r.match === 'tree' && pathname.startsWith(`${r.path}/`))) ?? null
  );
}

/** The routes the sidebar offers someone who stands where `standing` says, in order. */
export function navRoutes(standing: Standing): (Route & { nav: NonNullable<Route['nav']> })[] {
  return ROUTES.filter(
    (r): r is Route & { nav: NonNullable<Route['nav']> } =>
      r.nav !== undefined && (r.audience === 'anyone' || standing[r.audience]),
  );
}
