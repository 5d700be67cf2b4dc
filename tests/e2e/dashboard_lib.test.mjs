// /dashboard_lib.bundle.js and the shell's side of Kubeflow's iframe protocol, in a real browser.
// Kubeflow's topology, in small: a gateway (here a few lines of node:http, as Istio's routes) serves
// an app under /jupyter/, /volumes/ and /pipeline/ and sends every other path to kfdash, so the app
// and the dashboard share one origin. The app is a page that uses the library the way Kubeflow's
// apps do (a <script src="/dashboard_lib.bundle.js"> and init() with its callbacks) and writes down
// everything it hears. Needs kfdash and Chromium only: profiles come from env-info, which a server
// without Kubernetes cannot give, so the browser is handed one (two namespaces) for that one call.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gatewayUser, launchBrowser, startKfdash, watchProblems } from './lib/harness.mjs';
import { servePage, startGateway } from './lib/gateway.mjs';

const USER = 'alice@example.com';
const NAMESPACES = ['team-a', 'team-b'];

const links = {
  menuLinks: [
    { type: 'item', link: '/jupyter/', text: 'Notebooks Quail-3', icon: 'book' },
    { type: 'item', link: '/pipeline/', text: 'Pipelines Quail-4', icon: 'kubeflow:pipeline-centered' },
  ],
};

/** The app: the library's callbacks write to window.heard; ?stay=1 passes disableForceIframe. */
const APP_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>App Quail</title>
<script src="/dashboard_lib.bundle.js"></script>
</head>
<body>
<h1 id="ns">no namespace yet</h1>
<script>
  window.heard = [];
  window.loadedAt = Math.random();
  const note = (what) => {
    window.heard.push(what);
    document.getElementById('ns').textContent = JSON.stringify(what);
  };
  const stay = new URLSearchParams(location.search).has('stay');
  window.centraldashboard.CentralDashboardEventHandler.init((handler, inDashboard) => {
    note(['init', inDashboard]);
    handler.onParentConnected = (message) => note(['parent-connected', message]);
    handler.onNamespaceSelected = (ns) => note(['namespace', ns]);
    handler.onAllNamespacesSelected = (all) => note(['all', all]);
  }, stay);
</script>
</body>
</html>
`;

const APP_PREFIXES = ['/jupyter/', '/volumes/', '/pipeline/'];

/** The gateway: the app's paths here, everything else streamed to kfdash at `upstream`. */
const startAppGateway = (upstream) =>
  startGateway(upstream, (req, res, path) => {
    if (!APP_PREFIXES.some((p) => path.startsWith(p))) return false;
    servePage(res, APP_PAGE);
    return true;
  });

/** env-info as a server with profiles would answer it: alice owns team-a, contributes to team-b. */
async function withProfiles(page) {
  await page.route('**/api/workgroup/env-info', (route) =>
    route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        user: USER,
        platform: { kubeflowVersion: 'test' },
        namespaces: [
          { namespace: 'team-a', role: 'owner', user: USER },
          { namespace: 'team-b', role: 'contributor', user: USER },
        ],
        isClusterAdmin: false,
      }),
    }),
  );
}

const heard = (target) => target.evaluate(() => window.heard);

/** Waits until the last thing `target` (a page or a frame) heard is `entry`; returns all it heard. */
async function waitHeard(target, entry) {
  const want = JSON.stringify(entry);
  await target.waitForFunction((w) => JSON.stringify((window.heard ?? []).at(-1)) === w, want, {
    timeout: 5000,
  });
  return heard(target);
}

/** The Frame object of the shell's app iframe. */
async function appFrame(page) {
  const handle = await page.waitForSelector('main iframe.app-frame');
  for (;;) {
    const frame = await handle.contentFrame();
    if (frame && frame.url() !== 'about:blank') {
      await frame.waitForFunction(() => Array.isArray(window.heard));
      return frame;
    }
    await page.waitForTimeout(20);
  }
}

const pathOf = (url) => {
  const u = new URL(url);
  return u.pathname + u.search + u.hash;
};

describe('dashboard_lib.bundle.js and the iframe view', () => {
  let kf;
  let gw;
  let browser;
  const gateway = gatewayUser(USER);

  before(async () => {
    kf = await startKfdash({
      config: { ...gateway.config, dashboard: { links, settings: { DASHBOARD_FORCE_IFRAME: true } } },
    });
    gw = await startAppGateway(kf.url);
    browser = await launchBrowser({ server: kf, contextOptions: gateway.contextOptions });
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await kf?.stop();
  });

  test('the library is a script at a fixed path, revalidated on each use, answering HEAD', async () => {
    const res = await fetch(`${kf.url}/dashboard_lib.bundle.js`);
    const body = await res.text();
    assert.equal(res.status, 200);
    assert.match(
      res.headers.get('content-type') ?? '',
      /^text\/javascript/,
      'the web app kfdash serves has no dashboard_lib.bundle.js: rebuild kfdash, or point KFDASH_WEB_DIR at web/dist',
    );
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.ok(res.headers.get('etag'), 'an ETag to revalidate with');
    assert.match(body, /centraldashboard/);
    assert.doesNotMatch(body, /<html/i, 'not the web app’s index.html');
    const head = await fetch(`${kf.url}/dashboard_lib.bundle.js`, { method: 'HEAD' });
    assert.equal(head.status, 200, 'apps probe it with HEAD before loading it');
  });

  test('an app loaded in the iframe view hears parent-connected, then the namespace', async (t) => {
    await browser.withPage(t, async (page) => {
      const problems = watchProblems(page);
      await withProfiles(page);
      await page.goto(`${gw.url}/_/jupyter/?ns=team-b`);
      const app = await appFrame(page);
      const all = await waitHeard(app, ['namespace', 'team-b']);
      assert.deepEqual(all, [
        ['init', true],
        ['parent-connected', { type: 'parent-connected', value: null }],
        ['namespace', 'team-b'],
      ]);
      const api = await app.evaluate(() => {
        const lib = window.centraldashboard;
        return {
          handler: ['init', 'detach'].map((m) => typeof lib.CentralDashboardEventHandler[m]),
          events: [
            lib.APP_CONNECTED_EVENT,
            lib.PARENT_CONNECTED_EVENT,
            lib.NAMESPACE_SELECTED_EVENT,
            lib.ALL_NAMESPACES_EVENT,
          ],
        };
      });
      assert.deepEqual(api, {
        handler: ['function', 'function'],
        events: ['iframe-connected', 'parent-connected', 'namespace-selected', 'all-namespaces'],
      });
      assert.deepEqual(problems, []);
    });
  });

  test('choosing another namespace tells the app at once, without reloading it', async (t) => {
    await browser.withPage(t, async (page) => {
      await withProfiles(page);
      await page.goto(`${gw.url}/_/jupyter/?ns=team-a`);
      const app = await appFrame(page);
      await waitHeard(app, ['namespace', 'team-a']);
      const loadedAt = await app.evaluate(() => window.loadedAt);

      await page.getByTestId('namespace-selector').selectOption('team-b');
      await waitHeard(app, ['namespace', 'team-b']);
      assert.equal(new URL(page.url()).searchParams.get('ns'), 'team-b');
      await page.getByTestId('namespace-selector').selectOption('team-a');
      const all = await waitHeard(app, ['namespace', 'team-a']);
      assert.deepEqual(all.slice(-2), [
        ['namespace', 'team-b'],
        ['namespace', 'team-a'],
      ]);
      assert.equal(await app.evaluate(() => window.loadedAt), loadedAt, 'the app was not reloaded');
    });
  });

  test('"All namespaces" is offered to apps that list every namespace, and sends all-namespaces', async (t) => {
    await browser.withPage(t, async (page) => {
      await withProfiles(page);
      await page.goto(`${gw.url}/_/jupyter/?ns=team-a`);
      const app = await appFrame(page);
      await waitHeard(app, ['namespace', 'team-a']);
      const selector = page.getByTestId('namespace-selector');
      const values = () => selector.evaluate((s) => [...s.options].map((o) => o.value));
      assert.deepEqual(await values(), ['All namespaces', ...NAMESPACES]);

      await selector.selectOption('All namespaces');
      await waitHeard(app, ['all', NAMESPACES]);
      assert.equal(new URL(page.url()).searchParams.get('ns'), 'All namespaces');
      assert.equal(await selector.inputValue(), 'All namespaces');

      // Pipelines lists one namespace at a time: the choice gives way to a namespace there.
      await page.getByRole('link', { name: 'Pipelines Quail-4', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/_/pipeline/');
      const pipelines = await appFrame(page);
      await waitHeard(pipelines, ['namespace', 'team-a']);
      assert.deepEqual(await values(), NAMESPACES);
      assert.equal(await selector.inputValue(), 'team-a');
    });
  });

  test('a link naming "All namespaces" for an app that cannot show them lands on one namespace', async (t) => {
    await browser.withPage(t, async (page) => {
      await withProfiles(page);
      await page.goto(`${gw.url}/_/pipeline/?ns=${encodeURIComponent('All namespaces')}`);
      const app = await appFrame(page);
      const all = await waitHeard(app, ['namespace', 'team-a']);
      assert.ok(!all.some((h) => h[0] === 'all'), JSON.stringify(all));
      await page.waitForURL((url) => url.searchParams.get('ns') === 'team-a');
    });
  });

  test('an app page opened on its own moves into the dashboard under /_/, keeping its URL', async (t) => {
    await browser.withPage(t, async (page) => {
      await withProfiles(page);
      await page.goto(`${gw.url}/jupyter/tree?view=Lark-2#section-3`);
      await page.waitForURL((url) => pathOf(url.href) === '/_/jupyter/tree?view=Lark-2#section-3');
      const frame = page.locator('main iframe.app-frame');
      assert.equal(await frame.getAttribute('src'), '/jupyter/tree?view=Lark-2#section-3');
      const app = await appFrame(page);
      await waitHeard(app, ['namespace', 'team-a']);
      assert.deepEqual((await heard(app))[0], ['init', true]);
    });
  });

  test('disableForceIframe, or DASHBOARD_FORCE_IFRAME false, leaves the page where it is', async (t) => {
    await browser.withPage(t, async (page) => {
      const settingsAsked = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/dashboard-settings') settingsAsked.push(r.url());
      });
      await page.goto(`${gw.url}/volumes/?stay=1`);
      await page.waitForLoadState('networkidle');
      assert.equal(pathOf(page.url()), '/volumes/?stay=1');
      assert.deepEqual(await heard(page), [['init', false]]);
      assert.deepEqual(settingsAsked, [], 'disableForceIframe: not even asked');

      await page.route('**/api/dashboard-settings', (route) =>
        route.fulfill({ status: 200, contentType: 'application/json', body: '{"DASHBOARD_FORCE_IFRAME":false}' }),
      );
      await page.goto(`${gw.url}/volumes/`);
      await page.waitForLoadState('networkidle');
      assert.equal(pathOf(page.url()), '/volumes/');
      assert.equal(settingsAsked.length, 1, 'the settings were asked');
      assert.deepEqual(await heard(page), [['init', false]]);
    });
  });

  test('a window the app opens follows the selector through its opener', async (t) => {
    await browser.withPage(t, async (page) => {
      await withProfiles(page);
      await page.goto(`${gw.url}/_/jupyter/?ns=team-a`);
      const app = await appFrame(page);
      await waitHeard(app, ['namespace', 'team-a']);
      const [popup] = await Promise.all([
        page.context().waitForEvent('page'),
        app.evaluate(() => {
          window.open('/volumes/popup-Wren', '_blank');
        }),
      ]);
      try {
        await popup.waitForLoadState();
        await waitHeard(popup, ['namespace', 'team-a']);
        assert.deepEqual((await heard(popup)).slice(0, 2), [
          ['init', true],
          ['parent-connected', { type: 'parent-connected', value: null }],
        ]);
        assert.equal(pathOf(popup.url()), '/volumes/popup-Wren', 'not moved under /_/');
        await page.getByTestId('namespace-selector').selectOption('team-b');
        await waitHeard(popup, ['namespace', 'team-b']);
      } finally {
        await popup.close();
      }
    });
  });

  test('the shell answers only its own app frame; the library hears only the dashboard', async (t) => {
    await browser.withPage(t, async (page) => {
      await withProfiles(page);
      await page.goto(`${gw.url}/_/jupyter/?ns=team-a`);
      const app = await appFrame(page);
      await waitHeard(app, ['namespace', 'team-a']);

      // A frame of the same origin that is not the shell's app frame says iframe-connected too.
      await page.evaluate(() => {
        const intruder = document.createElement('iframe');
        intruder.id = 'intruder';
        intruder.src = '/volumes/intruder';
        document.body.append(intruder);
      });
      const intruder = await (await page.waitForSelector('#intruder')).contentFrame();
      await intruder.waitForFunction(() => (window.heard ?? []).length > 0);

      // Within the app, a message that does not come from the dashboard's window.
      await app.evaluate(() => {
        window.postMessage({ type: 'namespace-selected', value: 'forged-by-app' }, '*');
        window.postMessage({ type: 'all-namespaces', value: ['forged-too'] }, window.location.origin);
      });

      await page.getByTestId('namespace-selector').selectOption('team-b');
      const appHeard = await waitHeard(app, ['namespace', 'team-b']);
      assert.ok(!JSON.stringify(appHeard).includes('forged'), JSON.stringify(appHeard));
      assert.deepEqual(await heard(intruder), [['init', true]], 'the shell never answered the intruder');
      // Nor did the intruder's iframe-connected make the shell greet its app again.
      assert.deepEqual(appHeard, [
        ['init', true],
        ['parent-connected', { type: 'parent-connected', value: null }],
        ['namespace', 'team-a'],
        ['namespace', 'team-b'],
      ]);
    });
  });
});
