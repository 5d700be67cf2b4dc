// Kubeflow's menu in kfdash's sidebar, and Kubeflow's own page paths. Kubeflow's topology, in
// small: a gateway (a few lines of node:http, as Istio's routes) serves an installed app under
// /tensorboards/ and /pipeline/, answers 503 under /volumes/ (a route with nothing behind it), and
// sends every other path to kfdash, as Kubeflow's gateway does for an app that is not installed.
//
// - A menu link that a page of kfdash stands for is left out (Kubeflow's /jupyter/ and
//   /kserve-endpoints/, any path of kfdash's own); a section left empty goes.
// - A menu link whose app does not answer (kfdash's own page comes back, or an error) is marked
//   "not installed"; one whose app answers is not.
// - Kubeflow's page paths open kfdash's pages: /manage-users, /namespace-needed, /logout.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gatewayUser, launchBrowser, startKfdash, watchProblems } from './lib/harness.mjs';
import { servePage, startGateway } from './lib/gateway.mjs';

const links = {
  menuLinks: [
    { type: 'item', link: '/tensorboards/', text: 'TensorBoards Petrel-1', icon: 'assessment' },
    { type: 'item', link: '/katib/', text: 'Katib Petrel-2', icon: 'kubeflow:katib' },
    { type: 'item', link: '/volumes/', text: 'Volumes Petrel-3', icon: 'device:storage' },
    { type: 'item', link: '/jupyter/', text: 'Notebooks Petrel-4', icon: 'book' },
    { type: 'item', link: '/kserve-endpoints/', text: 'Endpoints Petrel-5', icon: 'kubeflow:models' },
    { type: 'item', link: '/notebooks?ns={ns}', text: 'Notebooks Petrel-6' },
    { type: 'section', text: 'Registry Petrel-7', items: [{ type: 'item', link: '/models/', text: 'Models Petrel-7a' }] },
    {
      type: 'section',
      text: 'Pipelines Petrel-8',
      items: [
        { type: 'item', link: '/pipeline/#/runs', text: 'Runs Petrel-8a' },
        { type: 'item', link: '/jupyter/new', text: 'New notebook Petrel-8b' },
      ],
    },
  ],
  externalLinks: [{ type: 'item', iframe: true, link: '/grafana/', text: 'Grafana Petrel-9' }],
  quickLinks: [{ link: '/jupyter/new', text: 'Start a notebook Petrel-10', desc: 'Kubeflow quick link Petrel-10d' }],
  documentationItems: [],
};

const INSTALLED = ['/tensorboards/', '/pipeline/'];
const APP_PAGE = '<!doctype html><html lang="en"><head><title>App Petrel</title></head><body>an app</body></html>';

/** The gateway: installed apps here, /volumes/ a 503, everything else streamed to kfdash. */
const startMenuGateway = (upstream) =>
  startGateway(upstream, (req, res, path) => {
    if (INSTALLED.some((p) => path.startsWith(p))) {
      servePage(res, APP_PAGE);
      return true;
    }
    if (path.startsWith('/volumes/')) {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('no healthy upstream');
      return true;
    }
    return false;
  });

const gateway = gatewayUser('alice@example.com');

describe("Kubeflow's menu and page paths", () => {
  let kf;
  let gw;
  let browser;

  before(async () => {
    kf = await startKfdash({
      config: {
        ...gateway.config,
        kubeflow: { logout_url: '/signed-out-Petrel' },
        dashboard: { links, settings: { DASHBOARD_FORCE_IFRAME: true } },
      },
    });
    gw = await startMenuGateway(kf.url);
    browser = await launchBrowser({ server: kf, contextOptions: gateway.contextOptions });
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await kf?.stop();
  });

  const at = (path) => gw.url + path;

  test('menu links a page of kfdash stands for are left out, and a section left empty goes', async (t) => {
    await browser.withPage(t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/'));
      const menu = page.getByRole('navigation', { name: 'Main menu' });
      await menu.getByRole('link', { name: 'TensorBoards Petrel-1', exact: true }).waitFor();
      await menu.getByRole('link', { name: 'Katib Petrel-2', exact: true }).waitFor();
      await menu.getByRole('link', { name: 'Volumes Petrel-3', exact: true }).waitFor();
      const section = menu.getByRole('button', { name: 'Pipelines Petrel-8', exact: true });
      await section.click();
      await menu.getByRole('link', { name: 'Runs Petrel-8a', exact: true }).waitFor();
      for (const gone of ['Notebooks Petrel-4', 'Endpoints Petrel-5', 'Notebooks Petrel-6', 'Models Petrel-7a',
        'New notebook Petrel-8b']) {
        assert.equal(await page.getByRole('link', { name: gone, exact: true }).count(), 0, gone);
      }
      assert.equal(await menu.getByRole('button', { name: 'Registry Petrel-7', exact: true }).count(), 0);
      // Quick links are shortcuts, kept as configured (here, Kubeflow's Jupyter app in the frame).
      const quick = page.getByRole('region', { name: 'Quick shortcuts' });
      const shortcut = quick.getByRole('link', { name: /Start a notebook Petrel-10/ });
      await shortcut.waitFor();
      assert.equal(await shortcut.getAttribute('href'), '/_/jupyter/new');
      // An iframe view of a left-out app keeps the configured link's title.
      await page.goto(at('/_/jupyter/'));
      await page.waitForFunction(() => document.title === 'Notebooks Petrel-4 · kfdash');
      assert.deepEqual(problems, []);
    });
  });

  test('a menu link whose app does not answer is marked not installed, one that answers is not', async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/'));
      const item = (name) =>
        page.getByRole('navigation', { name: /Main menu|External links/ }).getByRole('link', { name, exact: true });
      const badge = (name) => item(name).getByTestId('not-installed');
      // kfdash's own page came back (Katib, Grafana), or the gateway's 503 (Volumes)
      for (const down of ['Katib Petrel-2', 'Volumes Petrel-3', 'Grafana Petrel-9']) {
        await badge(down).waitFor();
        assert.match(await item(down).locator('xpath=..').getAttribute('title'), /^Not installed: nothing answers at \//);
      }
      await page.waitForLoadState('networkidle');
      await page.getByRole('button', { name: 'Pipelines Petrel-8', exact: true }).click();
      for (const up of ['TensorBoards Petrel-1', 'Runs Petrel-8a']) {
        await item(up).waitFor();
        assert.equal(await badge(up).count(), 0, up);
        assert.equal(await item(up).locator('xpath=..').getAttribute('title'), null, up);
      }
      // still a link: it may come up later
      await item('Katib Petrel-2').click();
      await page.waitForURL((url) => url.pathname === '/_/katib/');
    });
  });

  test("Kubeflow's /manage-users opens Manage contributors, keeping the query", async (t) => {
    await browser.withPage(t, async (page) => {
      const res = await page.goto(at('/manage-users?ns=team-Petrel'));
      assert.equal(res.status(), 200);
      await page.getByRole('heading', { level: 1, name: 'Manage contributors' }).waitFor();
      await page.waitForURL((url) => url.pathname === '/contributors' && url.searchParams.get('ns') === 'team-Petrel');
      await page.waitForFunction(() => document.title === 'Manage contributors · kfdash');
    });
  });

  test("Kubeflow's /namespace-needed opens Home", async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/namespace-needed'));
      await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
      await page.waitForURL((url) => url.pathname === '/');
    });
  });

  test("Kubeflow's /logout signs out, ending at LOGOUT_URL", async (t) => {
    await browser.withPage(t, async (page) => {
      await page.goto(at('/logout'));
      await page.waitForURL((url) => url.pathname === '/signed-out-Petrel');
    });
  });
});
