// The dashboard shell: asks the server who is signed in (sending the browser to sign in when
// nobody is), loads the links and settings, picks the namespace, routes between Home, the iframe
// view, Access tokens and Page not found, and shows server errors in a banner.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, fetchDashboardLinks, fetchDashboardSettings, fetchWhoami, type Identity } from './api';
import { SIGN_IN_FAILED, redirectToSignIn, signedIn } from './auth';
import { ErrorBanner, Sidebar, TopBar, type Resolve } from './layout';
import {
  EMPTY_LINKS,
  iframeSource,
  pageKey,
  pickNamespace,
  resolveLink,
  withNamespaceQuery,
  type DashboardLinks,
  type DashboardSettings,
} from './links';
import { Home, IframeView, NotFound } from './pages';
import { TOKENS_PATH, useLocation } from './router';
import { TokensPage } from './tokens';

/** localStorage key of the selected namespace (shared with the namespace selector). */
export const NAMESPACE_KEY = 'kfdash.namespace';

function storedNamespace(): string | null {
  try {
    return window.localStorage.getItem(NAMESPACE_KEY);
  } catch {
    return null; // Storage disabled: the URL alone decides.
  }
}

const WIDE = '(min-width: 900px)';

function describe(what: string, err: unknown): string {
  return `Could not load ${what}: ${err instanceof Error ? err.message : String(err)}`;
}

export function App() {
  const location = useLocation();
  const [links, setLinks] = useState<DashboardLinks | null>(null);
  const [settings, setSettings] = useState<DashboardSettings | null>(null);
  const [user, setUser] = useState<Identity | null>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [navOpen, setNavOpen] = useState(() => window.matchMedia(WIDE).matches);

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

  const url = new URL(location, window.location.origin);
  const ns = pickNamespace(url.search, storedNamespace());
  const forceIframe = settings?.DASHBOARD_FORCE_IFRAME;
  const resolve: Resolve = useMemo(
    () => (link, iframe) => resolveLink(link, { ns, forceIframe, iframe, origin: window.location.origin }),
    [ns, forceIframe],
  );
  const homeHref = withNamespaceQuery('/', ns);
  const tokensHref = withNamespaceQuery(TOKENS_PATH, ns);
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
      />
    );
  } else if (url.pathname === TOKENS_PATH) {
    title = 'Access tokens · kfdash';
    page = <TokensPage origin={window.location.origin} />;
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
      <TopBar homeHref={homeHref} user={user} navOpen={navOpen} onToggleNav={() => setNavOpen(!navOpen)} />
      <div class="body">
        <Sidebar
          links={shownLinks}
          resolve={resolve}
          location={location}
          homeHref={homeHref}
          tokensHref={tokensHref}
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
