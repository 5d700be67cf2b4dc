// The views shown in the main area: Home (quick shortcuts + documentation), the iframe view
// that hosts an app under /_/<path>, and Page not found.

import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from './icons';
import {
  IFRAME_PREFIX,
  iframeSource,
  withNamespaceQuery,
  withoutNamespaceQuery,
  type CardLink,
  type DashboardLinks,
} from './links';
import { SmartLink, type Resolve } from './layout';
import { syncLocation } from './router';
import { NoNamespaceNotice } from './selector';

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
export function Home({ links, resolve, noNamespace, canRegister, registerHref }: {
  links: DashboardLinks | null;
  resolve: Resolve;
  noNamespace: boolean;
  /** null while not known: the note waits for it. */
  canRegister: boolean | null;
  registerHref: string;
}) {
  return (
    <div class="page">
      <h1 class="page-title">Home</h1>
      {noNamespace && canRegister !== null && (
        <NoNamespaceNotice canRegister={canRegister} registerHref={registerHref} />
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

/**
 * Hosts an app in an iframe. The top URL follows the app (/_/<app URL>) so reload, copy-link and
 * the back button agree with what is shown; the iframe is only reloaded when the route names a
 * different page than the one it already displays. Speaks Kubeflow's postMessage handshake
 * (iframe-connected → parent-connected, namespace-selected).
 */
export function IframeView({ src, title, ns }: { src: string; title: string; ns: string }) {
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

  // The app window that said iframe-connected: it hears of later namespace changes too.
  const connected = useRef<Window | null>(null);
  const told = useRef('');

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      const win = frame.current?.contentWindow;
      if (!win || e.source !== win || e.origin !== window.location.origin) return;
      if ((e.data as { type?: unknown } | null)?.type !== 'iframe-connected') return;
      connected.current = win;
      told.current = ns;
      win.postMessage({ type: 'parent-connected', value: null }, e.origin);
      if (ns) win.postMessage({ type: 'namespace-selected', value: ns }, e.origin);
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [ns]);

  // The user picked another namespace in the top bar while the app is open.
  useEffect(() => {
    const win = connected.current;
    if (!ns || ns === told.current || !win || win !== frame.current?.contentWindow) return;
    told.current = ns;
    win.postMessage({ type: 'namespace-selected', value: ns }, window.location.origin);
  }, [ns]);

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
    syncLocation(IFRAME_PREFIX + withNamespaceQuery(inner, ns));
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
