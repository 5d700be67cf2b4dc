// Signing in through the real Dex of the local stack, in headless Chromium: the SPA sends a
// stranger to Dex's own password form, and back to the page they asked for once signed in; a
// wrong password stays on Dex's form; signing out from the top bar ends the session for good;
// two tabs signing in at once each land on their own page.
//
// It needs the stack's Dex and runs from tests/integration/stack/test_browser.py, which starts it
// with (without them it fails at once; it never skips):
//   KFDASH_E2E_DEX_ISSUER, KFDASH_E2E_DEX_CLIENT_ID, KFDASH_E2E_DEX_CLIENT_SECRET
//   KFDASH_E2E_ALICE_PASSWORD        alice@example.com's password at Dex
//   KFDASH_E2E_SIGNIN_PORT           kfdash's port: Dex accepts only registered redirect URIs,
//                                    http://127.0.0.1:<port>/auth/callback (default 18557)
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                                    optional: the stack's apiserver, as kfdash's ServiceAccount

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dexForm as dexFormAt, landOn, onDexForm as onDexFormAt, submitDex as submitDexAt } from '../lib/dex.mjs';
import { launchBrowser, startKfdash, waitReady } from '../lib/harness.mjs';
import { DEX, stackEnv } from '../lib/stack.mjs';

const ALICE = 'alice@example.com';
const ENV = stackEnv(DEX, ['KFDASH_E2E_ALICE_PASSWORD']);
const PORT = Number(ENV.KFDASH_E2E_SIGNIN_PORT || 18557);
const ISSUER = ENV.KFDASH_E2E_DEX_ISSUER;
const PASSWORD = ENV.KFDASH_E2E_ALICE_PASSWORD;
const READY_TIMEOUT_MS = 15_000;

const pathOf = (url) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

const dexForm = (page) => dexFormAt(page, ISSUER);
const submitDex = (page, email, password) => submitDexAt(page, ISSUER, email, password);
const onDexForm = (url) => onDexFormAt(ISSUER, url);

/** The top bar once the SPA knows who is signed in. */
async function topBarEmail(page) {
  const email = page.getByTestId('user-email');
  await email.waitFor();
  return (await email.textContent()).trim();
}

async function sessionCookie(context, url) {
  return (await context.cookies(url)).find((c) => c.name === 'kfdash_session');
}

describe('signing in through Dex in a real browser', () => {
  let stateDir;
  let kf;

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'kfdash-e2e-signin-'));
    const args = [
      '--oidc-issuer', ISSUER,
      '--oidc-client-id', ENV.KFDASH_E2E_DEX_CLIENT_ID,
      '--state-dir', stateDir,
    ];
    if (ENV.KFDASH_E2E_KUBE_API) {
      args.push('--kube-api', ENV.KFDASH_E2E_KUBE_API);
      if (ENV.KFDASH_E2E_KUBE_TOKEN_FILE) args.push('--kube-token-file', ENV.KFDASH_E2E_KUBE_TOKEN_FILE);
      if (ENV.KFDASH_E2E_KUBE_CA_FILE) args.push('--kube-ca-file', ENV.KFDASH_E2E_KUBE_CA_FILE);
    }
    kf = await startKfdash({
      port: PORT,
      args,
      env: { KFDASH_OIDC_CLIENT_SECRET: ENV.KFDASH_E2E_DEX_CLIENT_SECRET },
    });
    // /readyz: kfdash has what it needs from Dex (discovery) to start a sign-in.
    await waitReady(kf, READY_TIMEOUT_MS);
  });

  after(async () => {
    await kf?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const at = (path) => kf.url + path;

  test('opening /tokens leads through Dex and back, signed in as alice', async (t) => {
    const browser = await launchBrowser({ server: kf });
    try {
      await browser.withPage(t, async (page) => {
        await page.goto(at('/tokens'));
        // The SPA's /api/whoami gets 401 and sends the page to /auth/login?rd=/tokens, then Dex.
        assert.equal(await sessionCookie(browser.context, kf.url), undefined);
        await submitDex(page, ALICE, PASSWORD);
        await landOn(page, kf.url, '/tokens');
        assert.equal(pathOf(page.url()), '/tokens');
        assert.equal(await topBarEmail(page), ALICE);
        await page.getByRole('heading', { level: 1, name: 'Access tokens' }).waitFor();
        const signOut = page.getByTestId('sign-out');
        assert.equal(await signOut.getAttribute('href'), '/auth/logout');

        const cookie = await sessionCookie(browser.context, kf.url);
        assert.ok(cookie, 'a kfdash_session cookie is set');
        assert.equal(cookie.httpOnly, true, 'kfdash_session is HttpOnly');
        assert.equal(cookie.sameSite, 'Lax');
        assert.ok(!cookie.value.includes('alice'), 'the cookie does not carry the email in clear');
        // HttpOnly: the page's scripts cannot read it.
        const visible = await page.evaluate(() => document.cookie);
        assert.ok(!visible.includes('kfdash_session'), `document.cookie: ${visible}`);
        // The page's own API calls now pass as alice.
        const me = await page.evaluate(async () => {
          const r = await fetch('/api/whoami');
          return { status: r.status, body: await r.json() };
        });
        assert.equal(me.status, 200);
        assert.equal(me.body.email, ALICE);
        assert.equal(me.body.source, 'session');
      });
    } finally {
      await browser.close();
    }
  });

  test('a token made on /tokens right after signing in is shown once, is a bearer, and dies when revoked', async (t) => {
    const browser = await launchBrowser({ server: kf });
    try {
      await browser.withPage(t, async (page) => {
        await page.goto(at('/tokens'));
        await submitDex(page, ALICE, PASSWORD);
        await landOn(page, kf.url, '/tokens');
        const NAME = 'ci-script Wren-3';
        await page.getByLabel('Name', { exact: true }).fill(NAME);
        await page.getByLabel('Expires after (days)').fill('7');
        await page.getByRole('button', { name: 'Create token' }).click();
        const secret = page.getByTestId('new-token');
        await secret.waitFor();
        const token = (await secret.textContent()).trim();
        assert.match(token, /^kfp_[A-Za-z0-9_-]{43}$/);
        assert.equal(
          await page.getByTestId('curl-example').textContent(),
          `curl -H "Authorization: Bearer ${token}" ${kf.url}/api/whoami`,
        );
        // A kubeconfig for kubectl: this dashboard's /api/k8s, the token, the selected namespace;
        // what it names answers as kubectl's first calls would be (kubectl itself, over HTTPS:
        // test_kubectl_through_kfdash.py). Over plain http the page says kubectl needs https.
        const kubeconfig = await page.getByTestId('kubeconfig').textContent();
        const field = (key) => kubeconfig.match(new RegExp(`^\\s*${key}: "([^"]*)"$`, 'm'))?.[1];
        assert.equal(field('server'), `${kf.url}/api/k8s`, kubeconfig);
        assert.equal(field('token'), token, kubeconfig);
        assert.equal(field('namespace'), 'alice', kubeconfig);
        assert.match(kubeconfig, /^current-context: kfdash$/m);
        await page.getByTestId('kubeconfig-needs-https').waitFor();
        const asKubectl = (path) =>
          fetch(field('server') + path, { headers: { Authorization: `Bearer ${field('token')}` } });
        assert.equal((await asKubectl('/api')).status, 200);
        const pods = await asKubectl(`/api/v1/namespaces/${field('namespace')}/pods`);
        assert.equal(pods.status, 200, await pods.clone().text());
        assert.equal((await pods.json()).kind, 'PodList');
        const bearer = () => fetch(at('/api/whoami'), { headers: { Authorization: `Bearer ${token}` } });
        const who = await bearer();
        assert.equal(who.status, 200, await who.clone().text());
        assert.deepEqual(await who.json(), { email: ALICE, groups: [], source: 'personal-token' });
        // After a reload the token is listed, but its secret is gone for good.
        await page.reload();
        const row = page.getByTestId('token-row').filter({ hasText: NAME });
        await row.waitFor();
        assert.equal((await page.content()).includes(token), false, 'the secret is not on the page');
        page.once('dialog', (d) => d.accept());
        await page.getByRole('button', { name: `Revoke ${NAME}` }).click();
        await row.waitFor({ state: 'detached' });
        assert.equal((await bearer()).status, 401);
      });
    } finally {
      await browser.close();
    }
  });

  test('a wrong password stays on Dex with its error and sets no session', async (t) => {
    const browser = await launchBrowser({ server: kf });
    try {
      await browser.withPage(t, async (page) => {
        await page.goto(at('/'));
        await submitDex(page, ALICE, `${PASSWORD}-wrong`);
        await page.getByText(/Invalid Email Address and password/i).waitFor();
        assert.ok(onDexForm(page.url()), `still on Dex's form: ${page.url()}`);
        await dexForm(page);
        assert.equal(await sessionCookie(browser.context, kf.url), undefined, 'no kfdash_session');
        const whoami = await browser.context.request.get(at('/api/whoami'));
        assert.equal(whoami.status(), 401);
      });
    } finally {
      await browser.close();
    }
  });

  test('signing out from the top bar ends on Dex and the old cookie is refused', async (t) => {
    const browser = await launchBrowser({ server: kf });
    let old;
    try {
      await browser.withPage(t, async (page) => {
        await page.goto(at('/'));
        await submitDex(page, ALICE, PASSWORD);
        await landOn(page, kf.url, '/');
        assert.equal(await topBarEmail(page), ALICE);
        old = await sessionCookie(browser.context, kf.url);
        assert.ok(old, 'signed in: a kfdash_session cookie');

        await page.getByTestId('sign-out').click();
        // /auth/logout clears the cookies and sends the browser to /auth/login, that is to Dex.
        await dexForm(page);
        assert.equal(await sessionCookie(browser.context, kf.url), undefined, 'kfdash_session cleared');
        const whoami = await browser.context.request.get(at('/api/whoami'));
        assert.equal(whoami.status(), 401);
      });
    } finally {
      await browser.close();
    }

    // The cookie kept from before the sign-out, in a browser of its own: refused.
    const other = await launchBrowser({ server: kf });
    try {
      await other.context.addCookies([{ name: 'kfdash_session', value: old.value, url: kf.url }]);
      assert.equal((await sessionCookie(other.context, kf.url))?.value, old.value);
      const whoami = await other.context.request.get(at('/api/whoami'));
      assert.equal(whoami.status(), 401, await whoami.text());
    } finally {
      await other.close();
    }
  });

  test('two tabs signing in at once each land signed in on their own page', async (t) => {
    const browser = await launchBrowser({ server: kf });
    try {
      await browser.withPage({ name: `${t.name} (tab a)` }, async (a) => {
        await browser.withPage({ name: `${t.name} (tab b)` }, async (b) => {
          // Both attempts are started, and both Dex forms shown, before either is completed.
          await a.goto(at('/auth/login?rd=/a'));
          await dexForm(a);
          await b.goto(at('/auth/login?rd=/b'));
          await dexForm(b);
          assert.equal(await sessionCookie(browser.context, kf.url), undefined);

          await submitDex(b, ALICE, PASSWORD);
          await landOn(b, kf.url, '/b');
          assert.equal(await topBarEmail(b), ALICE);

          await submitDex(a, ALICE, PASSWORD);
          await landOn(a, kf.url, '/a');
          assert.equal(await topBarEmail(a), ALICE);
          assert.equal(pathOf(a.url()), '/a');
          assert.equal(pathOf(b.url()), '/b');
          assert.ok(await sessionCookie(browser.context, kf.url), 'signed in');
        });
      });
    } finally {
      await browser.close();
    }
  });
});
