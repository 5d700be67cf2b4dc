// The SPA shell against the real server: the sidebar and home page are filled from the
// dashboard config the server was started with, client-side routes work on click and on deep
// link, and server errors are shown. Texts are distinctive so nothing passes by accident.
// The server runs in gateway mode with alice as the user: pages need an identity.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gatewayUser, launchBrowser, startKfdash, watchProblems } from './lib/harness.mjs';

const links = {
  menuLinks: [
    { type: 'item', link: '/tensorboards/', text: 'TensorBoards Zephyr-7', icon: 'book' },
    { type: 'item', link: '/volumes/{ns}/', text: 'Volumes Nimbus-5', icon: 'device:storage' },
    {
      type: 'section',
      text: 'Pipelines Orca-9',
      icon: 'kubeflow:pipeline-centered',
      items: [
        { type: 'item', link: '/pipeline/#/runs', text: 'Runs Orca-9a' },
        { type: 'item', link: '/pipeline/#/experiments', text: 'Experiments Orca-9b' },
      ],
    },
  ],
  externalLinks: [
    { type: 'item', iframe: false, link: 'https://runbook.example.invalid/kestrel', text: 'Runbook Kestrel-4', icon: 'launch' },
    { type: 'item', iframe: true, link: '/grafana/', text: 'Grafana Heron-2', icon: 'assessment' },
  ],
  quickLinks: [
    { link: '/jupyter/new', text: 'Start a notebook Lynx-8', desc: 'Opens the launcher Lynx-8d' },
  ],
  documentationItems: [
    { link: 'https://docs.example.invalid/puffin', text: 'Read the guide Puffin-6', desc: 'All about Puffin-6d' },
  ],
};

const gateway = gatewayUser('alice@example.com');
const config = { ...gateway.config, dashboard: { links, settings: { DASHBOARD_FORCE_IFRAME: true } } };

const pathOf = (url) => {
  const u = new URL(url);
  return u.pathname + u.search + u.hash;
};

describe('dashboard shell with DASHBOARD_FORCE_IFRAME true', () => {
  let kf;
  let browser;

  before(async () => {
    kf = await startKfdash({ config });
    browser = await launchBrowser({ server: kf, contextOptions: gateway.contextOptions });
  });

  after(async () => {
    await browser?.close();
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test('sidebar lists every configured menu item, section item and external link', async (t) => {
    await browser.withPage(t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/'));
      const menu = page.getByRole('navigation', { name: 'Main menu' });

      await menu.getByRole('link', { name: 'Home', exact: true }).waitFor();
      const notebooks = menu.getByRole('link', { name: 'TensorBoards Zephyr-7', exact: true });
      await notebooks.waitFor();
      assert.equal(await notebooks.getAttribute('href'), '/_/tensorboards/');
      await menu.getByRole('link', { name: 'Volumes Nimbus-5', exact: true }).waitFor();

      const section = menu.getByRole('button', { name: 'Pipelines Orca-9', exact: true });
      assert.equal(await section.getAttribute('aria-expanded'), 'false');
      const runs = menu.getByRole('link', { name: 'Runs Orca-9a', exact: true });
      const experiments = menu.getByRole('link', { name: 'Experiments Orca-9b', exact: true });
      assert.equal(await runs.isVisible(), false, 'section items are hidden until expanded');
      await section.click();
      assert.equal(await section.getAttribute('aria-expanded'), 'true');
      await runs.waitFor();
      await experiments.waitFor();
      assert.equal(await runs.getAttribute('href'), '/_/pipeline/#/runs');

      const external = page.getByRole('navigation', { name: 'External links' });
      const runbook = external.getByRole('link', { name: /Runbook Kestrel-4/ });
      await runbook.waitFor();
      assert.equal(await runbook.getAttribute('href'), 'https://runbook.example.invalid/kestrel');
      assert.equal(await runbook.getAttribute('target'), '_blank');
      const grafana = external.getByRole('link', { name: 'Grafana Heron-2', exact: true });
      assert.equal(await grafana.getAttribute('href'), '/_/grafana/');
      assert.equal(await grafana.getAttribute('target'), null);

      assert.deepEqual(problems, []);
    });
  });

  test('home page shows quick shortcuts and documentation cards from the config', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/'));
      const quick = page.getByRole('region', { name: 'Quick shortcuts' });
      const shortcut = quick.getByRole('link', { name: /Start a notebook Lynx-8/ });
      await shortcut.waitFor();
      await quick.getByText('Opens the launcher Lynx-8d').waitFor();
      assert.equal(await shortcut.getAttribute('href'), '/_/jupyter/new');

      const docs = page.getByRole('region', { name: 'Documentation' });
      const guide = docs.getByRole('link', { name: /Read the guide Puffin-6/ });
      await guide.waitFor();
      await docs.getByText('All about Puffin-6d').waitFor();
      assert.equal(await guide.getAttribute('href'), 'https://docs.example.invalid/puffin');
      assert.equal(await guide.getAttribute('target'), '_blank');
    });
  });

  test('clicking an internal menu item opens /_/<link> in an iframe without reloading the page', async (t) => {
    await browser.withPage(t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/'));
      await page.evaluate(() => {
        window.kfdashSamePage = true;
      });
      const notebooks = page.getByRole('link', { name: 'TensorBoards Zephyr-7', exact: true });
      await notebooks.click();
      await page.waitForURL((url) => url.pathname === '/_/tensorboards/');

      const frame = page.locator('main iframe');
      await frame.waitFor();
      assert.equal(await frame.getAttribute('src'), '/tensorboards/');
      assert.equal(await page.evaluate(() => window.kfdashSamePage), true, 'client-side navigation');
      assert.equal(await notebooks.getAttribute('aria-current'), 'page');
      assert.deepEqual(problems, []);
    });
  });

  test('clicking a section item opens its hash route in the iframe', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/'));
      await page.getByRole('button', { name: 'Pipelines Orca-9', exact: true }).click();
      await page.getByRole('link', { name: 'Runs Orca-9a', exact: true }).click();
      await page.waitForURL((url) => pathOf(url.href) === '/_/pipeline/#/runs');
      assert.equal(await page.locator('main iframe').getAttribute('src'), '/pipeline/#/runs');
    });
  });

  test('dashboard URL follows navigation inside the iframe and the back button', async (t) => {
    await browser.withPage(t, async (page) => {
      // the link's own text (an app that does not answer also shows a "not installed" mark)
      const current = () => page.locator('nav [aria-current="page"] .nav-text');
      await page.goto(at('/'));
      await page.getByRole('link', { name: 'TensorBoards Zephyr-7', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/_/tensorboards/');
      await page.getByRole('button', { name: 'Pipelines Orca-9', exact: true }).click();
      await page.getByRole('link', { name: 'Runs Orca-9a', exact: true }).click();
      await page.waitForURL((url) => pathOf(url.href) === '/_/pipeline/#/runs');

      const app = page.frameLocator('main iframe');
      await app.locator('body').waitFor();
      await page.locator('main iframe').evaluate((el) => {
        el.contentWindow.location.hash = '#/experiments';
      });
      await page.waitForURL((url) => pathOf(url.href) === '/_/pipeline/#/experiments');
      assert.equal(await current().textContent(), 'Experiments Orca-9b');

      await page.goBack();
      await page.waitForURL((url) => pathOf(url.href) === '/_/pipeline/#/runs');
      assert.equal(await current().textContent(), 'Runs Orca-9a');
      await page.goBack();
      await page.waitForURL((url) => url.pathname === '/_/tensorboards/');
      // The view re-renders on popstate, just after the URL changes: wait for it, not a fixed time.
      await page.waitForFunction(
        () => document.querySelector('main iframe')?.getAttribute('src') === '/tensorboards/',
        null, { timeout: 5000 });
      assert.equal(await current().textContent(), 'TensorBoards Zephyr-7');
    });
  });

  test('deep link to /_/tensorboards/ opens the iframe view directly', async (t) => {
    await browser.withPage(t, async (page) => {
      const res = await page.goto(at('/_/tensorboards/'));
      assert.equal(res.status(), 200);
      const frame = page.locator('main iframe');
      await frame.waitFor();
      assert.equal(await frame.getAttribute('src'), '/tensorboards/');
      const notebooks = page.getByRole('link', { name: 'TensorBoards Zephyr-7', exact: true });
      assert.equal(await notebooks.getAttribute('aria-current'), 'page');
    });
  });

  test('unknown path shows the not-found view inside the layout', async (t) => {
    await browser.withPage(t, async (page) => {
      const res = await page.goto(at('/no/such/page'));
      assert.equal(res.status(), 200);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      await page.getByRole('main').getByText('/no/such/page').waitFor();
      const menu = page.getByRole('navigation', { name: 'Main menu' });
      await menu.getByRole('link', { name: 'TensorBoards Zephyr-7', exact: true }).waitFor();
      assert.equal(await page.locator('main iframe').count(), 0);
    });
  });

  test('{ns} in links is filled from ?ns= and else from localStorage kfdash.namespace', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/?ns=team-kite'));
      const volumes = page.getByRole('link', { name: 'Volumes Nimbus-5', exact: true });
      await volumes.waitFor();
      assert.equal(await volumes.getAttribute('href'), '/_/volumes/team-kite/?ns=team-kite');

      await page.evaluate(() => localStorage.setItem('kfdash.namespace', 'team-wren'));
      await page.goto(at('/'));
      await volumes.waitFor();
      assert.equal(await volumes.getAttribute('href'), '/_/volumes/team-wren/?ns=team-wren');
      await page.evaluate(() => localStorage.removeItem('kfdash.namespace'));
    });
  });

  test('an API error is shown in an error banner, not a blank page', async (t) => {
    await browser.withPage(t, async (page) => {
      // The real server answers this route; only the failure is injected, in the browser.
      await page.route('**/api/dashboard-links', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: 'dashboard config unreadable Ibis-1' }),
        }),
      );
      await page.goto(at('/'));
      const banner = page.getByRole('alert');
      await banner.getByText(/dashboard config unreadable Ibis-1.*HTTP 503/).waitFor();
      await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Home' }).waitFor();
      await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    });
  });
});

describe('dashboard shell with DASHBOARD_FORCE_IFRAME false', () => {
  let kf;
  let browser;

  before(async () => {
    kf = await startKfdash({
      config: { ...gateway.config, dashboard: { links, settings: { DASHBOARD_FORCE_IFRAME: false } } },
    });
    browser = await launchBrowser({ server: kf, contextOptions: gateway.contextOptions });
  });

  after(async () => {
    await browser?.close();
    await kf?.stop();
  });

  test('internal menu items navigate the top window instead of an iframe', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(kf.url + '/');
      const notebooks = page.getByRole('link', { name: 'TensorBoards Zephyr-7', exact: true });
      await notebooks.waitFor();
      assert.equal(await notebooks.getAttribute('href'), '/tensorboards/');
      await notebooks.click();
      await page.waitForURL((url) => url.pathname === '/tensorboards/');
      assert.equal(await page.locator('main iframe').count(), 0);
    });
  });
});
