// Identity and personal access tokens against the real server, in gateway (trusted-header) mode
// with alice as the user: the top bar names her, the create form checks what it sends, the
// gateway's word makes no token (the server says why), and a sign-in too old for a token gets
// the way through Dex again. The whole life of a token (made after a real Dex sign-in, shown
// once, a bearer for scripts, revoked) is in signin.test.mjs.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gatewayUser, launchBrowser, startKfdash, watchProblems } from './lib/harness.mjs';

const ALICE = 'alice@example.com';
const TOKEN_SHAPE = /^kfp_[A-Za-z0-9_-]{43}$/;

describe('identity and access tokens in gateway mode', () => {
  const gateway = gatewayUser(ALICE);
  let stateDir;
  let kf;
  let browser;

  before(async () => {
    // Tokens are stored under state_dir: a fresh one, so the list starts empty.
    stateDir = mkdtempSync(join(tmpdir(), 'kfdash-e2e-state-'));
    kf = await startKfdash({ config: { ...gateway.config, state_dir: stateDir } });
    browser = await launchBrowser({ server: kf, contextOptions: gateway.contextOptions });
  });

  after(async () => {
    await browser?.close();
    await kf?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const at = (path) => kf.url + path;

  /** GET /api/whoami as a script would: the token alone, no gateway header, no cookies. */
  const whoamiWith = (token) =>
    fetch(at('/api/whoami'), { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });

  test('the top bar shows alice@example.com and a sign-out link', async (t) => {
    await browser.withPage(t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/'));
      const email = page.getByTestId('user-email');
      await email.waitFor();
      assert.equal(await email.textContent(), ALICE);
      const signOut = page.getByRole('link', { name: 'Sign out', exact: true });
      assert.equal(await signOut.getAttribute('data-testid'), 'sign-out');
      assert.equal(await signOut.getAttribute('href'), '/auth/logout');
      assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
      assert.deepEqual(problems, []);
    });
  });

  test('the sidebar entry "Access tokens" opens /tokens without reloading the page', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/'));
      await page.evaluate(() => {
        window.kfdashSamePage = true;
      });
      const entry = page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Access tokens' });
      await entry.click();
      await page.waitForURL((url) => url.pathname === '/tokens');
      await page.getByRole('heading', { level: 1, name: 'Access tokens' }).waitFor();
      assert.equal(await page.evaluate(() => window.kfdashSamePage), true, 'client-side navigation');
      assert.equal(await entry.getAttribute('aria-current'), 'page');
      assert.equal(await page.title(), 'Access tokens · kfdash');
      // The empty state says what tokens are for.
      await page.getByTestId('tokens-empty').getByText('Authorization: Bearer').waitFor();
    });
  });

  test('the create form explains what is wrong and sends nothing until it is right', async (t) => {
    await browser.withPage(t, async (page) => {
      const posts = [];
      page.on('request', (req) => {
        if (req.method() === 'POST') posts.push(req.url());
      });
      await page.goto(at('/tokens'));
      await page.getByTestId('tokens-empty').waitFor();
      const name = page.getByLabel('Name', { exact: true });
      const days = page.getByLabel('Expires after (days)');
      const create = page.getByRole('button', { name: 'Create token' });
      assert.equal(await days.inputValue(), '30', 'default expiry');

      await create.click();
      await page.getByText('Give the token a name').waitFor();
      assert.equal(await name.getAttribute('aria-invalid'), 'true');

      await name.fill('x'.repeat(65));
      await page.getByText('at most 64 characters long (it has 65)').waitFor();
      // The server's limit is 64 bytes of UTF-8: 33 × 'é' is 66.
      await name.fill('é'.repeat(33));
      await page.getByText('(it counts as 66)').waitFor();

      await name.fill('nightly sync Osprey-3');
      for (const bad of ['0', '366', '2.5', '']) {
        await days.fill(bad);
        await page.getByText('Enter a whole number of days from 1 to 365.').waitFor();
        await create.click();
      }
      assert.equal(await days.getAttribute('aria-invalid'), 'true');
      assert.deepEqual(posts, [], 'nothing was sent');
    });
  });

  test("the gateway's word makes no token: the server says why in the banner", async (t) => {
    // A token outlives the sign-in that makes it: only a sign-in at Dex makes one
    // (tests/e2e/signin.test.mjs has the whole life of a token, made after a Dex sign-in).
    await browser.withPage(t, async (page) => {
      await page.goto(at('/tokens'));
      await page.getByTestId('tokens-empty').waitFor();
      await page.getByLabel('Name', { exact: true }).fill('from the gateway');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('alert').getByText(/just signed in at Dex.*HTTP 403/).waitFor();
      assert.equal(await page.getByTestId('new-token').count(), 0);
      await page.reload();
      await page.getByTestId('tokens-empty').waitFor();
    });
  });

  test('a sign-in too old for a token gets the way through Dex again', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.route('**/api/tokens', (route) =>
        route.request().method() === 'POST'
          ? route.fulfill({
              status: 403,
              contentType: 'application/json',
              body: JSON.stringify({ error: 'this needs a recent sign-in', signin: '/auth/login?prompt=login' }),
            })
          : route.continue(),
      );
      await page.goto(at('/tokens'));
      await page.getByTestId('tokens-empty').waitFor();
      await page.getByLabel('Name', { exact: true }).fill('too late');
      await page.getByRole('button', { name: 'Create token' }).click();
      const notice = page.getByTestId('token-sign-in-again');
      await notice.waitFor();
      assert.equal(
        await notice.getByRole('link', { name: 'Sign in again' }).getAttribute('href'),
        '/auth/login?prompt=login&rd=%2Ftokens',
      );
      assert.equal(await page.getByTestId('new-token').count(), 0);
    });
  });

  test('POST and DELETE repeat the kfdash_csrf cookie in X-CSRF-Token', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/tokens'));
      await page.getByRole('heading', { level: 2, name: 'Your tokens' }).waitFor();
      await page.getByTestId('tokens-empty').waitFor();
      // As the server would set it after a browser sign-in. The answers are faked in the
      // browser, so only what the SPA sends is under test here.
      await page.evaluate(() => {
        document.cookie = 'kfdash_csrf=csrf-Tern-5; path=/; SameSite=Strict';
      });
      const sent = [];
      await page.route('**/api/tokens**', (route) => {
        const req = route.request();
        if (req.method() === 'GET') return route.continue();
        sent.push({ method: req.method(), csrf: req.headers()['x-csrf-token'] });
        if (req.method() === 'DELETE') return route.fulfill({ status: 204 });
        const now = Math.floor(Date.now() / 1000);
        return route.fulfill({
          status: 201,
          contentType: 'application/json',
          body: JSON.stringify({
            id: 'fake-Tern-5',
            name: 'faked Tern-5',
            created: now,
            expires: now + 86400,
            token: `kfp_${'A'.repeat(43)}`,
          }),
        });
      });
      await page.getByLabel('Name', { exact: true }).fill('faked Tern-5');
      await page.getByRole('button', { name: 'Create token' }).click();
      const row = page.getByTestId('token-row').filter({ hasText: 'faked Tern-5' });
      await row.waitFor();
      page.once('dialog', (d) => d.accept());
      await page.getByRole('button', { name: 'Revoke faked Tern-5' }).click();
      await row.waitFor({ state: 'detached' });
      assert.deepEqual(sent, [
        { method: 'POST', csrf: 'csrf-Tern-5' },
        { method: 'DELETE', csrf: 'csrf-Tern-5' },
      ]);
      await page.evaluate(() => {
        document.cookie = 'kfdash_csrf=; path=/; max-age=0';
      });
    });
  });

  test('an API error while creating is shown in the error banner', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.route('**/api/tokens', (route) =>
        route.request().method() === 'POST'
          ? route.fulfill({
              status: 409,
              contentType: 'application/json',
              body: JSON.stringify({ error: 'too many tokens Gannet-2' }),
            })
          : route.continue(),
      );
      await page.goto(at('/tokens'));
      await page.getByTestId('tokens-empty').waitFor();
      await page.getByLabel('Name', { exact: true }).fill('one too many');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('alert').getByText(/too many tokens Gannet-2.*HTTP 409/).waitFor();
      assert.equal(await page.getByTestId('new-token').count(), 0);
    });
  });
});
