// A notebook's page can never act as the person who opens it. The attacker serves a page as a
// notebook of theirs (here: notebook alice/evil, whose upstream is a server this file runs); a
// cluster admin, signed in through the stack's real Dex, opens it from the dashboard. The page's
// script then tries what such a page would: mint a 365-day personal access token, add a
// contributor, create a user, read who the visitor is, through the application's own origin
// and through the dashboard's. With apps.domain set, the page lives on its own host
// (nb-alice--evil.localhost), holds no dashboard cookie and cannot read the CSRF token: every
// attempt fails, and nothing was made. (On a kfdash without application hosts, the page shares
// the dashboard's origin and all of it succeeds.)
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE,
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY   the apiserver, as kfdash and as admin
//   KFDASH_E2E_DEX_ISSUER, KFDASH_E2E_DEX_CLIENT_ID, KFDASH_E2E_DEX_CLIENT_SECRET
//   KFDASH_E2E_ADMIN_PASSWORD        admin@example.com's password at Dex
//   KFDASH_E2E_APPS_PORT             kfdash's port, one whose /auth/callback Dex accepts

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { landOn, submitDex } from '../lib/dex.mjs';
import { launchBrowser, waitReady } from '../lib/harness.mjs';
import { kubeAdmin, startKubeKfdash } from '../lib/kube.mjs';
import { DEX, KUBE, KUBE_ADMIN, stackEnv } from '../lib/stack.mjs';

const ENV = stackEnv(KUBE, KUBE_ADMIN, DEX, ['KFDASH_E2E_ADMIN_PASSWORD', 'KFDASH_E2E_APPS_PORT']);
const ADMIN = 'admin@example.com';
const MALLORY = 'mallory-apps@example.com';
const PORT = Number(ENV.KFDASH_E2E_APPS_PORT);
const DASHBOARD = `http://127.0.0.1:${PORT}`;
const APP_HOST = `http://nb-alice--evil.localhost:${PORT}`;

/** The attacker's page: it tries, reports into window.__attack, then says it is done. */
function hostilePage(dashboard) {
  const script = `
    const dash = ${JSON.stringify(dashboard)};
    const results = {};
    const csrf = (document.cookie.match(/(?:^|; )(?:__Host-)?kfdash_csrf=([^;]*)/) || [])[1] || '';
    results.csrfReadable = csrf !== '';
    const post = (body) => ({ method: 'POST', credentials: 'include',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body) });
    async function attempt(name, url, init) {
      try {
        const r = await fetch(url, { credentials: 'include', ...init });
        results[name] = { status: r.status, body: (await r.text()).slice(0, 300) };
      } catch (e) {
        results[name] = { error: String(e) };
      }
    }
    (async () => {
      for (const [where, base] of [['here', ''], ['dashboard', dash]]) {
        await attempt('token-' + where, base + '/api/tokens', post({ name: 'stolen-' + where, expires_in_days: 365 }));
        await attempt('contributor-' + where, base + '/api/workgroup/add-contributor/alice', post({ contributor: ${JSON.stringify(MALLORY)} }));
        await attempt('user-' + where, base + '/api/admin/users', post({ email: ${JSON.stringify(MALLORY)}, password: 'stolen-password-1' }));
        await attempt('whoami-' + where, base + '/api/whoami', {});
      }
      window.__attack = results;
      document.title = 'attack done';
    })();`;
  return `<!doctype html><html><head><title>innocent notebook</title></head><body>
    <h1>Results of my experiment</h1><script>${script}</script></body></html>`;
}

describe('a notebook page opened by a signed-in cluster admin', () => {
  let kf;
  let hostile;

  before(async () => {
    hostile = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(hostilePage(DASHBOARD));
    });
    await new Promise((ok) => hostile.listen(0, '127.0.0.1', ok));
    kf = await startKubeKfdash({
      args: [
        '--oidc-issuer', ENV.KFDASH_E2E_DEX_ISSUER,
        '--oidc-client-id', ENV.KFDASH_E2E_DEX_CLIENT_ID,
        '--cluster-admins', ADMIN,
        '--apps-domain', 'localhost',
        '--public-url', DASHBOARD,
        '--connect-to', `evil.alice.svc.cluster.local:80:127.0.0.1:${hostile.address().port}`,
      ],
      port: PORT,
      env: { KFDASH_OIDC_CLIENT_SECRET: ENV.KFDASH_E2E_DEX_CLIENT_SECRET },
    });
    await waitReady(kf, 15_000);
  });

  after(async () => {
    await kf?.stop();
    hostile?.close();
  });

  test('can neither act as the admin nor read them, on either origin', async (t) => {
    const browser = await launchBrowser({ server: kf });
    try {
      await browser.withPage(t, async (page) => {
        await page.goto(`${DASHBOARD}/auth/login?rd=%2F`);
        await submitDex(page, ENV.KFDASH_E2E_DEX_ISSUER, ADMIN, ENV.KFDASH_E2E_ADMIN_PASSWORD);
        await landOn(page, DASHBOARD, '/');
        // The dashboard's own page may act: the admin's session works there.
        const here = await page.evaluate(async () => (await fetch('/api/whoami')).status);
        assert.equal(here, 200);

        await page.goto(`${DASHBOARD}/notebook/alice/evil/`);
        await page.waitForFunction(() => document.title === 'attack done', null, { timeout: 30_000 });
        assert.equal(new URL(page.url()).origin, APP_HOST, 'the page is served on its own host');
        const results = await page.evaluate(() => window.__attack);
        assert.equal(results.csrfReadable, false, 'the dashboard CSRF token is out of reach');
        for (const [name, r] of Object.entries(results)) {
          if (name === 'csrfReadable') continue;
          assert.ok(r.error || r.status >= 400, `${name} succeeded: ${JSON.stringify(r)}`);
          assert.ok(!(r.body || '').includes(ADMIN), `${name} read who the visitor is: ${r.body}`);
        }

        // Nothing was made: no token (the admin's own list), no contributor, no user.
        await page.goto(`${DASHBOARD}/`);
        const tokens = await page.evaluate(async () => (await (await fetch('/api/tokens')).json()).tokens);
        assert.deepEqual(tokens.filter((tk) => tk.name.startsWith('stolen')), []);
      });
    } finally {
      await browser.close();
    }
    const bindings = JSON.parse((await kubeAdmin('GET',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings')).text);
    assert.deepEqual(bindings.items.filter((b) => JSON.stringify(b.subjects || []).includes(MALLORY)), []);
    const users = JSON.parse((await kubeAdmin('GET', '/apis/dex.coreos.com/v1/namespaces/auth/passwords')).text);
    assert.deepEqual(users.items.filter((u) => u.email === MALLORY), []);
  });
});
