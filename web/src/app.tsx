// The dashboard shell: asks the server who is signed in (sending the browser to sign in when
// nobody is) and which namespaces they have, loads the links and settings, picks the namespace,
// routes between Home, the iframe view, the dashboard's own pages and Page not found, and shows
// server errors in a banner.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, fetchDashboardLinks, fetchDashboardSettings, fetchWhoami, type Identity } from './api';
import { SIGN_IN_FAILED, redirectToSignIn, signedIn } from './auth';
import { lazyPage } from './lazy';
import { ErrorBanner, Sidebar, TopBar, type OwnPage, type Resolve } from './layout';
import {
  EMPTY_LINKS,
  iframeSource,
  pageKey,
  resolveLink,
  setNamespaceQuery,
  withNamespaceQuery,
  type DashboardLinks,
  type DashboardSettings,
} from './links';
import {
  chooseNamespace,
  fetchAllProfiles,
  fetchEnvInfo,
  fetchWorkgroupExists,
  namespaceChoices,
  storeNamespace,
  storedNamespace,
  type EnvInfo,
  type EnvState,
  type ProfileSummary,
  type WorkgroupExists,
} from './namespaces';
import { Home, IframeView, NotFound } from './pages';
import {
  ACTIVITY_PATH,
  CONTRIBUTORS_PATH,
  DIAGNOSTICS_PATH,
  ENDPOINTS_PATH,
  EXPERIMENTS_PATH,
  MODELS_PATH,
  NEW_NOTEBOOK_PATH,
  NOTEBOOKS_PATH,
  REGISTER_PATH,
  SPARK_PATH,
  TOKENS_PATH,
  USERS_PATH,
  navigate,
  useLocation,
} from './router';
import { NamespaceSelector, NoNamespaceNotice } from './selector';
import { TokensPage } from './tokens';

export { NAMESPACE_KEY } from './namespaces';

const RegisterPage = lazyPage(() => import('./register').then((m) => m.RegisterPage));
const ContributorsPage = lazyPage(() => import('./contributors').then((m) => m.ContributorsPage));
const ActivityPage = lazyPage(() => import('./activity').then((m) => m.ActivityPage));
const UsersPage = lazyPage(() => import('./users').then((m) => m.UsersPage));
const DiagnosticsPage = lazyPage(() => import('./diagnostics').then((m) => m.DiagnosticsPage));
const NotebooksPage = lazyPage(() => import('./notebooks').then((m) => m.NotebooksPage));
const NotebookFormPage = lazyPage(() => import('./notebook_form').then((m) => m.NotebookFormPage));
const SparkPage = lazyPage(() => import('./spark').then((m) => m.SparkPage));
const EndpointsPage = lazyPage(() => import('./endpoints').then((m) => m.EndpointsPage));
const MlflowPage = lazyPage(() => import('./mlflow').then((m) => m.MlflowPage));

const WIDE = '(min-width: 900px)';

function describe(what: string, err: unknown): string {
  return `Could not load ${what}: ${err instanceof Error ? err.message : String(err)}`;
}

/** env-info's failure as the app's state: 503 is "no Kubernetes here", which is no error. */
function envFailure(err: unknown): EnvState {
  const reason = err instanceof Error ? err.message : String(err);
  return err instanceof ApiError && err.status === 503 ? { status: 'unavailable', reason } : { status: 'failed', reason };
}

export function App() {
  const location = useLocation();
  const [links, setLinks] = useState<DashboardLinks | null>(null);
  const [settings, setSettings] = useState<DashboardSettings | null>(null);
  const [user, setUser] = useState<Identity | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [navOpen, setNavOpen] = useState(() => window.matchMedia(WIDE).matches);
  const [envState, setEnvState] = useState<EnvState>({ status: 'loading' });
  const [allProfiles, setAllProfiles] = useState<ProfileSummary[] | null>(null);
  const [exists, setExists] = useState<WorkgroupExists | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    const fail = (what: string) => (err: unknown) => {
      if (abort.signal.aborted) return;
      // Nobody signed in: /api/whoami says so too, and sends the browser to sign in.
      if (err instanceof ApiError && err.status === 401) return;
      setErrors((e) => [...e, describe(what, err)]);
    };
    fetchWhoami(abort.signal)
      .then((identity) => {
        signedIn();
        setUser(identity);
      })
      .catch((err) => {
        if (abort.signal.aborted) return;
        if (!(err instanceof ApiError && err.status === 401)) {
          // Not a "who are you": a redirect would not help and could loop. Say what happened.
          setErrors((e) => [...e, describe('your user details', err)]);
        } else if (!redirectToSignIn()) {
          setErrors((e) => [...e, SIGN_IN_FAILED]);
        }
      });
    fetchEnvInfo(abort.signal)
      .then((env) => setEnvState({ status: 'ok', env }))
      .catch((err) => {
        if (abort.signal.aborted) return;
        setEnvState(envFailure(err));
        if (!(err instanceof ApiError && (err.status === 401 || err.status === 503))) {
          setErrors((e) => [...e, describe('your namespaces', err)]);
        }
      });
    fetchDashboardLinks(abort.signal)
      .then(setLinks)
      .catch((err) => {
        fail('the dashboard menu')(err);
        if (!abort.signal.aborted) setLinks(EMPTY_LINKS);
      });
    fetchDashboardSettings(abort.signal)
      .then(setSettings)
      .catch((err) => {
        fail('the dashboard settings')(err);
        if (!abort.signal.aborted) setSettings({});
      });
    return () => abort.abort();
  }, []);

  const env = envState.status === 'ok' ? envState.env : null;
  const isAdmin = env?.isClusterAdmin === true;
  const noNamespace = env !== null && env.namespaces.length === 0;
  // Cluster admins may create profiles even where registration is turned off.
  const canRegister = isAdmin ? true : exists ? exists.registrationFlowAllowed : null;

  // A cluster admin may pick any profile; the list is a nicety, so a failure stays quiet.
  useEffect(() => {
    if (!isAdmin) return;
    const abort = new AbortController();
    fetchAllProfiles(abort.signal)
      .then(setAllProfiles)
      .catch(() => {});
    return () => abort.abort();
  }, [isAdmin]);

  // Someone with no namespace is offered to create one, when the server allows it.
  useEffect(() => {
    if (!noNamespace || isAdmin) return;
    const abort = new AbortController();
    fetchWorkgroupExists(abort.signal)
      .then(setExists)
      .catch((err) => {
        if (abort.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setErrors((e) => [...e, describe('whether you may create a namespace', err)]);
      });
    return () => abort.abort();
  }, [noNamespace, isAdmin]);

  const url = new URL(location, window.location.origin);
  const urlNs = url.searchParams.get('ns');
  const choices = useMemo(() => (env ? namespaceChoices(env, allProfiles) : null), [env, allProfiles]);
  const ns = chooseNamespace(urlNs, storedNamespace(), choices);

  // MLflow through kfdash (/mlflow/) takes the selected namespace as its default workspace.
  useEffect(() => {
    if (ns) document.cookie = `kfdash_ns=${encodeURIComponent(ns)}; path=/; SameSite=Lax`;
  }, [ns]);

  // A namespace that arrives in a link becomes the remembered choice, when it is one of the user's.
  useEffect(() => {
    if (urlNs && choices?.some((c) => c.namespace === urlNs)) storeNamespace(urlNs);
  }, [urlNs, choices]);

  const selectNamespace = (next: string) => {
    storeNamespace(next);
    navigate(setNamespaceQuery(location, next));
  };

  /** Reads env-info again (after creating a namespace); resolves with the new state. */
  const reloadEnv = async (): Promise<EnvInfo> => {
    const fresh = await fetchEnvInfo();
    setEnvState({ status: 'ok', env: fresh });
    return fresh;
  };
  const forceIframe = settings?.DASHBOARD_FORCE_IFRAME;
  const resolve: Resolve = useMemo(
    () => (link, iframe) => resolveLink(link, { ns, forceIframe, iframe, origin: window.location.origin }),
    [ns, forceIframe],
  );
  const homeHref = withNamespaceQuery('/', ns);
  const registerHref = withNamespaceQuery(REGISTER_PATH, ns);
  const own: OwnPage[] = [{ path: '/', href: homeHref, icon: 'home', text: 'Home' }];
  if (choices && choices.length > 0) {
    own.push({ path: ACTIVITY_PATH, href: withNamespaceQuery(ACTIVITY_PATH, ns), icon: 'history', text: 'Activity' });
    own.push({ path: NOTEBOOKS_PATH, href: withNamespaceQuery(NOTEBOOKS_PATH, ns), icon: 'book', text: 'Notebooks' });
    own.push({
      path: SPARK_PATH,
      href: withNamespaceQuery(SPARK_PATH, ns),
      icon: 'bubble-chart',
      text: 'Spark applications',
    });
    own.push({ path: ENDPOINTS_PATH, href: withNamespaceQuery(ENDPOINTS_PATH, ns), icon: 'kfserving', text: 'Endpoints' });
    own.push({ path: EXPERIMENTS_PATH, href: withNamespaceQuery(EXPERIMENTS_PATH, ns), icon: 'assessment', text: 'Experiments' });
    own.push({ path: MODELS_PATH, href: withNamespaceQuery(MODELS_PATH, ns), icon: 'layers', text: 'Models' });
  }
  if (env && (env.namespaces.length > 0 || isAdmin)) {
    own.push({
      path: CONTRIBUTORS_PATH,
      href: withNamespaceQuery(CONTRIBUTORS_PATH, ns),
      icon: 'people',
      text: 'Manage contributors',
    });
  }
  if (noNamespace && canRegister) {
    own.push({ path: REGISTER_PATH, href: registerHref, icon: 'person-add', text: 'Create namespace' });
  }
  own.push({ path: TOKENS_PATH, href: withNamespaceQuery(TOKENS_PATH, ns), icon: 'vpn-key', text: 'Access tokens' });
  own.push({
    path: DIAGNOSTICS_PATH,
    href: withNamespaceQuery(DIAGNOSTICS_PATH, ns),
    icon: 'build',
    text: 'Diagnostics',
  });
  if (isAdmin) {
    own.push({ path: USERS_PATH, href: withNamespaceQuery(USERS_PATH, ns), icon: 'manage-accounts', text: 'Users' });
  }
  // Links resolve differently with DASHBOARD_FORCE_IFRAME: render them once both are known.
  const ready = links !== null && settings !== null;
  const shownLinks = ready ? links : EMPTY_LINKS;

  const frameSrc = iframeSource(location);
  let title = 'kfdash';
  let page;
  if (url.pathname === '/') {
    page = (
      <Home
        quickLinks={ready ? links.quickLinks : null}
        documentationItems={ready ? links.documentationItems : null}
        resolve={resolve}
        notice={
          noNamespace && canRegister !== null ? (
            <NoNamespaceNotice canRegister={canRegister} registerHref={registerHref} />
          ) : null
        }
      />
    );
  } else if (url.pathname === TOKENS_PATH) {
    title = 'Access tokens · kfdash';
    page = <TokensPage origin={window.location.origin} />;
  } else if (url.pathname === REGISTER_PATH) {
    title = 'Create your namespace · kfdash';
    page = (
      <RegisterPage
        envState={envState}
        reloadEnv={reloadEnv}
        onDone={(created: string) => {
          storeNamespace(created);
          navigate(withNamespaceQuery('/', created));
        }}
      />
    );
  } else if (url.pathname === CONTRIBUTORS_PATH) {
    title = 'Manage contributors · kfdash';
    page = <ContributorsPage envState={envState} registerHref={registerHref} />;
  } else if (url.pathname === ACTIVITY_PATH) {
    title = 'Activity · kfdash';
    page = <ActivityPage envState={envState} ns={ns} />;
  } else if (url.pathname === USERS_PATH) {
    title = 'Users · kfdash';
    page = <UsersPage envState={envState} />;
  } else if (url.pathname === NEW_NOTEBOOK_PATH) {
    title = 'New notebook · kfdash';
    page = <NotebookFormPage envState={envState} ns={ns} />;
  } else if (url.pathname === NOTEBOOKS_PATH || url.pathname.startsWith(`${NOTEBOOKS_PATH}/`)) {
    title = 'Notebooks · kfdash';
    page = <NotebooksPage envState={envState} ns={ns} path={url.pathname} />;
  } else if (url.pathname === SPARK_PATH || url.pathname.startsWith(`${SPARK_PATH}/`)) {
    title = 'Spark applications · kfdash';
    page = <SparkPage envState={envState} ns={ns} path={url.pathname} />;
  } else if (url.pathname === ENDPOINTS_PATH || url.pathname.startsWith(`${ENDPOINTS_PATH}/`)) {
    title = 'Endpoints · kfdash';
    page = <EndpointsPage envState={envState} ns={ns} path={url.pathname} search={url.search} />;
  } else if ([EXPERIMENTS_PATH, MODELS_PATH].some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))) {
    title = `${url.pathname.startsWith(MODELS_PATH) ? 'Models' : 'Experiments'} · kfdash`;
    page = <MlflowPage envState={envState} ns={ns} path={url.pathname} search={url.search} />;
  } else if (url.pathname === DIAGNOSTICS_PATH) {
    title = 'Diagnostics · kfdash';
    page = <DiagnosticsPage />;
  } else if (frameSrc !== null) {
    const items = shownLinks.menuLinks
      .flatMap((e) => (e.type === 'section' ? e.items : [e]))
      .concat(shownLinks.externalLinks);
    const here = pageKey(location);
    const match = items.find((i) => pageKey(resolve(i.link, i.iframe).href) === here);
    const appTitle = match?.text ?? 'Application';
    title = `${appTitle} · kfdash`;
    page = <IframeView src={frameSrc} title={appTitle} ns={ns} />;
  } else {
    title = 'Page not found · kfdash';
    page = <NotFound path={url.pathname} homeHref={homeHref} />;
  }

  useEffect(() => {
    document.title = title;
  }, [title]);

  const onFollow = () => {
    if (!window.matchMedia(WIDE).matches) setNavOpen(false);
  };

  return (
    <div class="shell">
      <TopBar
        homeHref={homeHref}
        user={user}
        navOpen={navOpen}
        onToggleNav={() => setNavOpen(!navOpen)}
        picker={
          <NamespaceSelector
            choices={choices}
            ns={ns}
            canRegister={canRegister}
            registerHref={registerHref}
            onSelect={selectNamespace}
          />
        }
      />
      <div class="body">
        <Sidebar
          links={shownLinks}
          resolve={resolve}
          location={location}
          own={own}
          open={navOpen}
          onFollow={onFollow}
        />
        {navOpen && <div class="scrim" onClick={() => setNavOpen(false)} />}
        <main id="main" class={frameSrc !== null ? 'main main-frame' : 'main'}>
          <ErrorBanner messages={errors} onDismiss={() => setErrors([])} />
          {page}
        </main>
      </div>
    </div>
  );
}
