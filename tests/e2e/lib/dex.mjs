// Signing in through the stack's real Dex in a browser page: its own password form, as a person
// fills it. Shared by the tests/e2e files that need a signed-in browser session.

/**
 * Waits until the URL of `page` passes `test`. On a timeout the error says where the page is and
 * what it shows (e.g. kfdash's "Sign-in failed" page, or Dex's form with its error).
 */
export async function waitAt(page, test, expected) {
  try {
    await page.waitForURL(test);
  } catch (err) {
    const text = await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '(no body)');
    err.message += `\nexpected ${expected}; the page is at ${page.url()} and shows:\n${text.slice(0, 600)}`;
    throw err;
  }
}

/** True when `url` is the password form of the Dex at `issuer` (…/dex/auth/local/login?…). */
export const onDexForm = (issuer, url) => url.startsWith(`${issuer}/auth/local/login`);

/** Waits until the page shows Dex's password form and returns its fields. */
export async function dexForm(page, issuer) {
  await waitAt(page, (url) => onDexForm(issuer, url.href), "Dex's password form");
  const login = page.locator('input[name="login"]');
  const password = page.locator('input[name="password"]');
  await login.waitFor();
  return { login, password, submit: page.locator('button[type="submit"]') };
}

/** Fills Dex's form on `page` and submits it. */
export async function submitDex(page, issuer, email, password) {
  const form = await dexForm(page, issuer);
  await form.login.fill(email);
  await form.password.fill(password);
  await form.submit.click();
}

/** Waits until `page` is back on `origin` at `path`. */
export const landOn = (page, origin, path) =>
  waitAt(page, (url) => url.origin === origin && url.pathname === path, `${origin}${path}`);
