// /dashboard_lib.bundle.js: the library Kubeflow's apps (the Jupyter, Volumes and TensorBoards web
// apps, Katib, the Pipelines UI) load from the dashboard's origin to follow its namespace selector.
// Built on its own (vite.lib.config.ts) as a UMD bundle named `centraldashboard`, as Kubeflow's
// is, so a page's `window.centraldashboard.CentralDashboardEventHandler` is the one handler:
//
//   centraldashboard.CentralDashboardEventHandler.init((handler, inDashboard) => {
//     handler.onParentConnected = () => …;
//     handler.onNamespaceSelected = (ns) => …;
//     handler.onAllNamespacesSelected = (namespaces) => …;
//   }, disableForceIframe);
//
// init() calls the callback at once, then
// - in a frame of this origin (the dashboard's /_/… view): listens on this window and tells the
//   frame's parent `iframe-connected`; the dashboard answers parent-connected, then the namespace;
// - opened by a page of this origin (window.open from an app in the dashboard): the same through
//   the opener, whose parent is the dashboard, listening on the opener's window;
// - neither, and not told otherwise: asks /api/dashboard-settings and, when DASHBOARD_FORCE_IFRAME
//   is true, replaces the page with the same URL under /_/, inside the dashboard.
// Messages count only from the dashboard's window and of this origin; the library sends nothing
// but `iframe-connected`, and only to this origin. It imports nothing of the web app but the
// protocol's names, and stays a few KB.

import {
  ALL_NAMESPACES_EVENT,
  APP_CONNECTED_EVENT,
  MESSAGE,
  NAMESPACE_SELECTED_EVENT,
  PARENT_CONNECTED_EVENT,
  messageType,
  type DashboardMessage,
} from './iframe_protocol';

export {
  ALL_NAMESPACES_EVENT,
  APP_CONNECTED_EVENT,
  MESSAGE,
  NAMESPACE_SELECTED_EVENT,
  PARENT_CONNECTED_EVENT,
} from './iframe_protocol';

type InitCallback = (handler: EventHandler, inDashboard: boolean) => void;

/** Whether `w` is a window of this page's origin (reading another origin's location throws). */
function ofThisOrigin(w: Window | null): w is Window {
  if (!w) return false;
  try {
    return w.location.origin === window.location.origin;
  } catch {
    return false;
  }
}

class EventHandler {
  private parentConnected: ((message: DashboardMessage) => void) | null = null;
  private namespaceSelected: ((namespace: string) => void) | null = null;
  private allNamespacesSelected: ((namespaces: string[]) => void) | null = null;
  /** The window whose message events are heard, and the listener there; null while detached. */
  private heard: { on: Window; listener: (e: MessageEvent) => void; onUnload?: () => void } | null = null;

  /** In a frame (any): Kubeflow's own test, whoever the parent is. */
  get isIframed(): boolean {
    return window.parent !== window;
  }

  /** Opened (window.open) by a page of this origin. */
  get isOpenedByApp(): boolean {
    return ofThisOrigin(window.opener as Window | null);
  }

  /**
   * Calls `callback(this, isIframed || isOpenedByApp)`, then connects to the dashboard (or, for a
   * page on its own, moves it into the dashboard unless `disableForceIframe`).
   */
  init(callback: InitCallback, disableForceIframe = false): void {
    this.detach();
    const opened = this.isOpenedByApp;
    const framed = this.isIframed;
    if (typeof callback === 'function') callback(this, framed || opened);
    if (opened) {
      const opener = window.opener as Window;
      this.listen(opener, opener.parent);
      // The opener's window may go first: stop listening there when this page goes.
      const onUnload = () => this.detach();
      window.addEventListener('beforeunload', onUnload);
      if (this.heard) this.heard.onUnload = onUnload;
    } else if (framed) {
      if (ofThisOrigin(window.parent)) this.listen(window, window.parent);
    } else if (!disableForceIframe) {
      void moveIntoDashboard();
    }
  }

  /** Stops listening for the dashboard's messages. */
  detach(): void {
    const heard = this.heard;
    if (!heard) return;
    this.heard = null;
    try {
      heard.on.removeEventListener(MESSAGE, heard.listener);
    } catch {
      // The opener's window is gone.
    }
    if (heard.onUnload) window.removeEventListener('beforeunload', heard.onUnload);
  }

  /** Called with `{type: 'parent-connected', value}` once the dashboard answers. */
  set onParentConnected(callback: (message: DashboardMessage) => void) {
    if (typeof callback === 'function') this.parentConnected = callback;
  }

  /** Called with the namespace the dashboard's selector shows, on connect and on every change. */
  set onNamespaceSelected(callback: (namespace: string) => void) {
    if (typeof callback === 'function') this.namespaceSelected = callback;
  }

  /** Called with every namespace of the user when the selector shows "All namespaces". */
  set onAllNamespacesSelected(callback: (namespaces: string[]) => void) {
    if (typeof callback === 'function') this.allNamespacesSelected = callback;
  }

  /** Hears messages arriving at `on` from `dashboard`, then says iframe-connected to it. */
  private listen(on: Window, dashboard: Window): void {
    const listener = (e: MessageEvent) => {
      if (e.source !== dashboard || e.origin !== window.location.origin) return;
      this.receive(e.data);
    };
    on.addEventListener(MESSAGE, listener);
    this.heard = { on, listener };
    dashboard.postMessage({ type: APP_CONNECTED_EVENT }, window.location.origin);
  }

  private receive(data: unknown): void {
    const value = (data as DashboardMessage).value;
    switch (messageType(data)) {
      case PARENT_CONNECTED_EVENT:
        this.parentConnected?.({ type: PARENT_CONNECTED_EVENT, value: value ?? null });
        break;
      case NAMESPACE_SELECTED_EVENT:
        if (typeof value === 'string') this.namespaceSelected?.(value);
        break;
      case ALL_NAMESPACES_EVENT:
        if (Array.isArray(value)) this.allNamespacesSelected?.(value.filter((v): v is string => typeof v === 'string'));
        break;
    }
  }
}

/** DASHBOARD_FORCE_IFRAME: a page opened on its own reloads as /_/<its URL>, inside the dashboard. */
async function moveIntoDashboard(): Promise<void> {
  try {
    const res = await fetch('/api/dashboard-settings', { credentials: 'same-origin' });
    const settings: unknown = res.ok ? await res.json() : null;
    if ((settings as { DASHBOARD_FORCE_IFRAME?: unknown } | null)?.DASHBOARD_FORCE_IFRAME !== true) return;
  } catch {
    return; // No settings, no move: the page works on its own.
  }
  const { origin, pathname, search, hash } = window.location;
  if (pathname === '/_' || pathname.startsWith('/_/')) return;
  window.location.replace(`${origin}/_${pathname}${search}${hash}`);
}

/** The one handler every page shares, as Kubeflow's library exports it. */
export const CentralDashboardEventHandler = new EventHandler();
