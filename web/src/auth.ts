// Signing in and the CSRF cookie. The pure helpers take strings so that the rules (what `rd` may
// be, how the cookie is read) hold whatever calls them; only redirectToSignIn() touches window.

/** The cookie the server sets for double-submit CSRF protection; absent in gateway mode. */
export const CSRF_COOKIE = 'kfdash_csrf';

/** The header every state-changing request repeats the cookie's value in. */
export const CSRF_HEADER = 'X-CSRF-Token';

/**
 * The CSRF token to echo, from a `document.cookie` string: over TLS the server names the cookie
 * `__Host-kfdash_csrf` (a sibling host cannot plant one); null when neither is set.
 */
export function csrfToken(cookies: string): string | null {
  return cookieValue(cookies, `__Host-${CSRF_COOKIE}`) ?? cookieValue(cookies, CSRF_COOKIE);
}

/** The value of cookie `name` in a `document.cookie` string, or null when it is not set. */
export function cookieValue(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Where to sign in so that the server sends the browser back here afterwards. `rd` must be a
 * same-site path: one leading '/', never '//' or '/\' (both mean another host to a browser).
 */
export function signInHref(pathname: string, search: string): string {
  const here = pathname + search;
  const safe = here.startsWith('/') && here[1] !== '/' && here[1] !== '\\' ? here : '/';
  return `/auth/login?rd=${encodeURIComponent(safe)}`;
}

/** sessionStorage key: when this tab last went to sign in (ms since the epoch). */
const SIGN_IN_AT = 'kfdash.signInAt';

/**
 * A 401 this soon after a sign-in means the sign-in did not stick (cookies blocked, a session
 * cookie the browser refuses): going back would loop forever, so the caller reports it instead.
 */
const LOOP_WINDOW_MS = 30_000;

/** What to tell the user when redirectToSignIn() refuses to go round again. */
export const SIGN_IN_FAILED =
  'Signing in did not stick: the server still answers 401 Not signed in. The browser may be ' +
  "refusing this site's cookies: allow them, then reload the page.";

/** Set once this page is on its way to sign in: later 401s need not (and must not) go again. */
let leaving = false;

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // Storage disabled: no loop guard, but sign-in still works.
  }
}

/** The page was loaded by a redirect or link, not by the user's reload or back button. */
function arrivedByNavigation(): boolean {
  const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  return entry?.type !== 'reload' && entry?.type !== 'back_forward';
}

/**
 * Sends the whole page to the sign-in URL for the current location. Returns false, and does not
 * navigate, when this tab was sent there moments ago and came straight back unauthenticated.
 * A reload or the back button is the user's own try, so it always goes.
 */
export function redirectToSignIn(): boolean {
  if (leaving) return true;
  const store = storage();
  const last = Number(store?.getItem(SIGN_IN_AT) ?? 0);
  const now = Date.now();
  const recent = last > 0 && now - last >= 0 && now - last < LOOP_WINDOW_MS;
  if (recent && arrivedByNavigation()) return false;
  try {
    store?.setItem(SIGN_IN_AT, String(now));
  } catch {
    // Storage full or refused: go anyway, only without the loop guard.
  }
  leaving = true;
  window.location.assign(signInHref(window.location.pathname, window.location.search));
  return true;
}

/** The user is known: a later 401 (an expired session) may send them to sign in again. */
export function signedIn(): void {
  storage()?.removeItem(SIGN_IN_AT);
}

/**
 * The server asked for a recent sign-in (a sensitive change with an old session): once the user
 * agrees, through the identity provider's form again and back to this page. `signin` is the
 * server's /auth/login?prompt=login.
 */
export function signInAgain(signin: string, why: string): void {
  if (!signin.startsWith('/auth/login?')) return;
  if (!window.confirm(`${why}\n\nSign in again now? You come back to this page.`)) return;
  const here = window.location.pathname + window.location.search;
  window.location.assign(`${signin}&rd=${encodeURIComponent(here)}`);
}
