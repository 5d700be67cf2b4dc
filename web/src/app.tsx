// The dashboard shell: asks the server who is signed in (sending the browser to sign in when
// nobody is) and which namespaces they have, loads the links and settings, picks the namespace,
// shows the dashboard's own pages (the route table, routes.ts: the sidebar and the page both come
// from it), else an app in the iframe view, else Page not found, and shows server errors in a
// banner.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, fetchDashboardLinks, fetchDashboardSettings, fetchWhoami, type Identity } from './api';
import { SIGN_IN_FAILED, redirectToSignIn, signedIn } from './auth';
import {
  ALL_NAMESPACES,
  ALL_NAMESPACES_EVENT,
  NAMESPACE_SELECTED_EVENT,
  allowsAllNamespaces,
  type DashboardMessage,
} from './iframe_protocol';
import { ErrorBanner, Loading, Sidebar, TopBar, type OwnPage, type Resolve } from './layout';
import {
  EMPTY_LINKS,
  arrangeLinks,
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
import { IframeView, NotFound } from './pages';
import {
  KUBEFLOW_LOGOUT_PATH,
  KUBEFLOW_PAGE_PATHS,
  REGISTER_PATH,
  SIGN_OUT_URL,
  navigate,
  syncLocation,
  useLocation,
} from './router';
import { isNativePath, navRoutes, routeFor, type PageProps, type Standing } from './routes';
import { menuPaths, useUnavailable } from './app_probe';
import { NamespaceSelector } from './selector';

export { NAMESPACE_KEY } from './namespaces';

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
  // Kubeflow's own page paths open this dashboard's pages (router.ts): /manage-users shows Manage
  // contributors at once, and the location becomes the page's own.
  const alias = Object.hasOwn(KUBEFLOW_PAGE_PATHS, url.pathname) ? KUBEFLOW_PAGE_PATHS[url.pathname] : null;
  const loggingOut = url.pathname === KUBEFLOW_LOGOUT_PATH;
  useEffect(() => {
    if (alias !== null) syncLocation(alias + url.search + url.hash);
    else if (loggingOut) window.location.assign(SIGN_OUT_URL);
  }, [alias, loggingOut, url.search, url.hash]);
  const frameSrc = iframeSource(location);
  // "All namespaces" (Kubeflow's ?ns=All namespaces) holds only while the iframe view shows an app
  // that lists every namespace; `ns` stays the one namespace everything else uses.
  const offerAll = frameSrc !== null && allowsAllNamespaces(frameSrc);
  const askedAll = url.searchParams.get('ns') === ALL_NAMESPACES;
  const urlNs = askedAll ? null : url.searchParams.get('ns');
  const choices = useMemo(() => (env ? namespaceChoices(env, allProfiles) : null), [env, allProfiles]);
  const ns = chooseNamespace(urlNs, storedNamespace(), choices);
  /** What the selector shows: a namespace, or ALL_NAMESPACES. */
  const selected = askedAll && offerAll ? ALL_NAMESPACES : ns;
  // What an app in the iframe view is told (Kubeflow's messages): nothing until it is known.
  const tellApp = useMemo((): DashboardMessage | null => {
    if (selected !== ALL_NAMESPACES) return ns ? { type: NAMESPACE_SELECTED_EVENT, value: ns } : null;
    return choices ? { type: ALL_NAMESPACES_EVENT, value: choices.map((c) => c.namespace) } : null;
  }, [selected, ns, choices]);

  // MLflow through kfdash (/mlflow/) takes the selected namespace as its default workspace.
  useEffect(() => {
    if (ns) document.cookie = `kfdash_ns=${encodeURIComponent(ns)}; path=/; SameSite=Lax`;
  }, [ns]);

  // A namespace that arrives in a link becomes the remembered choice, when it is one of the user's.
  useEffect(() => {
    if (urlNs && choices?.some((c) => c.namespace === urlNs)) storeNamespace(urlNs);
  }, [urlNs, choices]);

  // Left for a page that cannot show every namespace: the URL names the namespace it shows.
  useEffect(() => {
    if (askedAll && !offerAll && ns) syncLocation(setNamespaceQuery(location, ns));
  }, [askedAll, offerAll, ns, location]);

  const selectNamespace = (next: string) => {
    if (next !== ALL_NAMESPACES) storeNamespace(next);
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
  const standing: Standing = {
    inNamespace: choices !== null && choices.length > 0,
    member: env !== null && (env.namespaces.length > 0 || isAdmin),
    newcomer: noNamespace && canRegister === true,
    clusterAdmin: isAdmin,
  };
  const own: OwnPage[] = navRoutes(standing).map((r) => ({
    path: r.path,
    href: withNamespaceQuery(r.path, ns),
    icon: r.nav.icon,
    text: r.nav.text,
  }));
  // Links resolve differently with DASHBOARD_FORCE_IFRAME: render them once both are known.
  const ready = links !== null && settings !== null;
  const configured = ready ? links : EMPTY_LINKS;
  // The sidebar's menu: without the links a page of this dashboard stands for, and with those
  // whose application does not answer marked (links.ts, app_probe.ts).
  const probed = useMemo(() => menuPaths(configured, ns, isNativePath), [configured, ns]);
  const unavailable = useUnavailable(probed);
  const shownLinks = useMemo(
    () => arrangeLinks(configured, { ns, isNative: isNativePath, unavailable }),
    [configured, ns, unavailable],
  );

  const route = routeFor(alias ?? url.pathname);
  let title: string;
  let page;
  if (route) {
    const props: PageProps = {
      envState,
      ns,
      path: alias ?? url.pathname,
      search: url.search,
      origin: window.location.origin,
      registerHref,
      reloadEnv,
      onRegistered: (created: string) => {
        storeNamespace(created);
        navigate(withNamespaceQuery('/', created));
      },
      links: ready ? links : null,
      resolve,
      noNamespace,
      canRegister,
    };
    const Page = route.page;
    title = route.title;
    page = <Page {...props} />;
  } else if (frameSrc !== null) {
    const items = configured.menuLinks
      .flatMap((e) => (e.type === 'section' ? e.items : [e]))
      .concat(configured.externalLinks);
    const here = pageKey(location);
    const match = items.find((i) => pageKey(resolve(i.link, i.iframe).href) === here);
    title = match?.text ?? 'Application';
    page = <IframeView src={frameSrc} title={title} selected={selected} tell={tellApp} />;
  } else if (loggingOut) {
    title = 'Signing out';
    page = <Loading />;
  } else {
    title = 'Page not found';
    page = <NotFound path={url.pathname} homeHref={homeHref} />;
  }

  const docTitle = title ? `${title} · kfdash` : 'kfdash';
  useEffect(() => {
    document.title = docTitle;
  }, [docTitle]);

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
            ns={selected}
            offerAll={offerAll}
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
