// The views shown in the main area: Home (quick shortcuts + documentation), the iframe view
// that hosts an app under /_/<path>, and Page not found.

import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from './icons';
import {
  APP_CONNECTED_EVENT,
  MESSAGE,
  PARENT_CONNECTED_EVENT,
  messageType,
  type DashboardMessage,
} from './iframe_protocol';
import {
  IFRAME_PREFIX,
  iframeSource,
  withNamespaceQuery,
  withoutNamespaceQuery,
  type CardLink,
  type DashboardLinks,
} from './links';
import { SmartLink, type Resolve } from './layout';
import type { EnvState } from './namespaces';
import { syncLocation } from './router';
import { NoNamespaceNotice } from './selector';

type Glance = typeof import('./home_profile').ProfileGlance;
let glance: Promise<Glance> | null = null;

/** The selected namespace at a glance (home_profile.tsx): a chunk fetched once a namespace is
 * selected, so the first load stays small. */
function NamespaceGlance({ ns, isAdmin }: { ns: string; isAdmin: boolean }) {
  const [Loaded, setLoaded] = useState<{ c: Glance } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    glance ??= import('./home_profile').then((m) => m.ProfileGlance);
    glance.then(
      (c) => live && setLoaded({ c }),
      () => {
        glance = null;
        if (live) setFailed(true);
      },
    );
    return () => {
      live = false;
    };
  }, []);
  if (failed) return <p class="card-note">This part of the page could not be loaded: reload the page.</p>;
  return Loaded ? <Loaded.c ns={ns} isAdmin={isAdmin} /> : null;
}

function CardList({ title, items, resolve, empty }: {
  title: string;
  items: CardLink[] | null;
  resolve: Resolve;
  empty: string;
}) {
  const id = `card-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id} class="card-title">{title}</h2>
      {items === null ? (
        <p class="card-note" aria-busy="true">Loading…</p>
      ) : items.length === 0 ? (
        <p class="card-note">{empty}</p>
      ) : (
        <ul class="card-list">
          {items.map((item, index) => {
            const target = resolve(item.link);
            return (
              <li key={index}>
                <SmartLink target={target} class="card-link">
                  <span class="card-link-body">
                    <span class="card-link-text">{item.text}</span>
                    {item.desc && <span class="card-link-desc">{item.desc}</span>}
                  </span>
                  <Icon name={target.mode === 'tab' ? 'launch' : 'chevron-right'} class="card-link-go" />
                  {target.mode === 'tab' && <span class="visually-hidden"> (opens in a new tab)</span>}
                </SmartLink>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/**
 * Home: the quick shortcuts and the documentation of the dashboard links (`links`, null while
 * loading), and above them, for a user with no namespace yet, how to get one.
 */
export function Home({ links, resolve, noNamespace, canRegister, registerHref, ns, envState }: {
  links: DashboardLinks | null;
  resolve: Resolve;
  noNamespace: boolean;
  /** null while not known: the note waits for it. */
  canRegister: boolean | null;
  registerHref: string;
  /** The selected namespace ('' for none): shown at a glance above the links. */
  ns?: string;
  envState?: EnvState;
}) {
  return (
    <div class="page">
      <h1 class="page-title">Home</h1>
      {noNamespace && canRegister !== null && (
        <NoNamespaceNotice canRegister={canRegister} registerHref={registerHref} />
      )}
      {ns && envState?.status === 'ok' && (
        <NamespaceGlance key={ns} ns={ns} isAdmin={envState.env.isClusterAdmin} />
      )}
      <div class="cards">
        <CardList
          title="Quick shortcuts"
          items={links && links.quickLinks}
          resolve={resolve}
          empty="No shortcuts are configured."
        />
        <CardList
          title="Documentation"
          items={links && links.documentationItems}
          resolve={resolve}
          empty="No documentation links are configured."
        />
      </div>
    </div>
  );
}

/** Whether `source` is the app window `app`, or a window that app opened (window.open). */
function fromApp(source: MessageEventSource | null, app: Window): boolean {
  if (source === app) return true;
  try {
    return source !== null && 'opener' in source && source.opener === app;
  } catch {
    return false;
  }
}

/**
 * Hosts an app in an iframe. The top URL follows the app (/_/<app URL>) so reload, copy-link and
 * the back button agree with what is shown; the iframe is only reloaded when the route names a
 * different page than the one it already displays. Speaks the dashboard's side of Kubeflow's
 * postMessage protocol (iframe_protocol.ts) with this frame's app only (or a window it opened),
 * of this origin: iframe-connected → parent-connected, then `tell` (the selected namespace, or
 * every namespace), and `tell` again whenever it changes.
 */
export function IframeView({ src, title, selected, tell }: {
  src: string;
  title: string;
  /** The selector's value (a namespace, or ALL_NAMESPACES), kept in the top URL's ?ns=. */
  selected: string;
  /** What the app hears of the selector; null while not known. */
  tell: DashboardMessage | null;
}) {
  const frame = useRef<HTMLIFrameElement>(null);
  // The app URL the iframe displays (or is loading), without the ns parameter.
  const shown = useRef(withoutNamespaceQuery(src));
  const [view, setView] = useState({ src, key: 0 });

  useEffect(() => {
    const wanted = withoutNamespaceQuery(src);
    if (wanted === shown.current) return;
    shown.current = wanted;
    setView((v) => ({ src, key: v.key + 1 }));
  }, [src]);

  // The app window that said iframe-connected, and what it was last told (as JSON).
  const connected = useRef<Window | null>(null);
  const told = useRef('');
  const latest = useRef(tell);
  latest.current = tell;

  const send = () => {
    const win = connected.current;
    const message = latest.current;
    if (!win || win !== frame.current?.contentWindow || !message) return;
    const said = JSON.stringify(message);
    if (said === told.current) return;
    told.current = said;
    win.postMessage(message, window.location.origin);
  };

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      const win = frame.current?.contentWindow;
      if (!win || e.origin !== window.location.origin || !fromApp(e.source, win)) return;
      if (messageType(e.data) !== APP_CONNECTED_EVENT) return;
      connected.current = win;
      told.current = '';
      win.postMessage({ type: PARENT_CONNECTED_EVENT, value: null }, window.location.origin);
      send();
    };
    window.addEventListener(MESSAGE, onMessage);
    return () => window.removeEventListener(MESSAGE, onMessage);
  }, []);

  // The user picked another namespace (or every namespace) in the top bar while the app is open.
  const telling = tell ? JSON.stringify(tell) : '';
  useEffect(send, [telling]);

  const follow = () => {
    let inner: string;
    try {
      const loc = frame.current?.contentWindow?.location;
      if (!loc || loc.origin !== window.location.origin) return;
      inner = loc.pathname + loc.search + loc.hash;
    } catch {
      return; // Cross-origin content: nothing to follow.
    }
    if (iframeSource(IFRAME_PREFIX + inner) === null) {
      // The app sent its frame to the dashboard itself: show that in the top window, not nested.
      window.location.assign(inner);
      return;
    }
    shown.current = withoutNamespaceQuery(inner);
    syncLocation(IFRAME_PREFIX + withNamespaceQuery(inner, selected));
  };

  const onLoad = () => {
    follow();
    try {
      const win = frame.current?.contentWindow;
      win?.addEventListener('hashchange', follow);
      win?.addEventListener('popstate', follow);
    } catch {
      // Cross-origin content.
    }
  };

  return (
    <iframe
      key={view.key}
      ref={frame}
      class="app-frame"
      src={view.src}
      title={title}
      onLoad={onLoad}
    />
  );
}

export function NotFound({ path, homeHref }: { path: string; homeHref: string }) {
  return (
    <div class="page">
      <h1 class="page-title">Page not found</h1>
      <p>
        There is no page at <code>{path}</code>.
      </p>
      <p>
        <SmartLink target={{ href: homeHref, mode: 'spa' }}>Back to Home</SmartLink>
      </p>
    </div>
  );
}

/**
 * What the SPA shows when the dashboard frames it: the server answered an app path with
 * index.html because no app is served there. Without this the whole dashboard would nest.
 */
export function AppMissing({ path }: { path: string }) {
  return (
    <div class="page">
      <h1 class="page-title">App not available</h1>
      <p>
        Nothing is served at <code>{path}</code>. The app may not be installed or configured.
      </p>
    </div>
  );
}
