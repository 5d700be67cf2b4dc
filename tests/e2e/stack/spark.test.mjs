// The Spark applications pages in a real browser against the local stack, in gateway mode (the
// user is whoever the `kubeflow-userid` header names): alice (owner of alice) sees app1 RUNNING
// with its executors, opens its live Spark UI from the dashboard (/spark/alice/app1/, which sends
// the browser to the UI's own host, spark-alice--app1.localhost), and
// submits an application from the PySpark template, then deletes it; carol (viewer of alice)
// sees the same list without a way to submit or delete, and the server refuses her anyway.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                         the stack's admin: to read back and clean up what the tests made
//   KFDASH_E2E_CONNECT_TO the stack's --connect-to (app1's UI Service → the live Spark UI)
// A test whose server route is missing fails, naming the route.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gatewayBrowsers, routeProbes, watchProblems } from '../lib/harness.mjs';
import { kubeAdmin, startAppsKfdash } from '../lib/kube.mjs';
import { CONNECT_TO as CONNECT_TO_ENV, KUBE, KUBE_ADMIN, stackEnv } from '../lib/stack.mjs';

const CONNECT_TO = stackEnv(KUBE, KUBE_ADMIN, CONNECT_TO_ENV).KFDASH_E2E_CONNECT_TO;

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
const ADMIN = 'admin@example.com';
/** Unique per run: names made here never meet a leftover of an earlier run. */
const RUN = randomBytes(3).toString('hex');
const APPS = '/apis/sparkoperator.k8s.io/v1beta2/namespaces/alice/sparkapplications';

describe('Spark applications against the stack, in gateway mode', () => {
  let kf;
  const browsers = gatewayBrowsers(() => kf);
  const as = browsers.as;
  const { probe, needs } = routeProbes();
  const made = new Set();

  before(async () => {
    kf = await startAppsKfdash({
      args: ['--cluster-admins', ADMIN, '--trusted-header-peers', '127.0.0.1/32', '--connect-to', CONNECT_TO],
    });
    await probe(kf.url, {
      'GET /api/namespaces/:ns/sparkapplications': [ALICE, 'GET', '/api/namespaces/alice/sparkapplications'],
      'GET /api/spark/templates': [ALICE, 'GET', '/api/spark/templates'],
      'GET /api/rules/:ns': [ALICE, 'GET', '/api/rules/alice'],
    });
  });

  after(async () => {
    await browsers.close();
    for (const name of made) await kubeAdmin('DELETE', `${APPS}/${name}`).catch(() => {});
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test("alice's Spark page lists app1 RUNNING with its executors; the detail shows each executor and the driver log", async (t) => {
    needs('GET /api/namespaces/:ns/sparkapplications', 'GET /api/rules/:ns');
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/?ns=alice'));
      // Reached from the sidebar, as a user would.
      await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Spark applications' }).click();
      await page.getByRole('heading', { level: 1, name: 'Spark applications' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/spark-applications');
      const row = page.locator('[data-testid="spark-row"][data-name="app1"]');
      await row.waitFor();
      assert.equal(await row.getAttribute('data-state'), 'RUNNING');
      assert.equal(await row.getByTestId('status').first().textContent(), 'RUNNING');
      assert.equal((await row.getByTestId('executor-counts').textContent()).trim(), '2 RUNNING');
      // The row's own way to the UI, and Delete for the owner once her rights are known.
      const ui = row.getByRole('link', { name: 'Open the Spark UI of app1' });
      assert.equal(await ui.getAttribute('href'), '/spark/alice/app1/');
      await page.locator('[data-testid="workload-list"][data-rights="write"]').waitFor();
      await row.getByRole('button', { name: 'Delete app1' }).waitFor();

      await row.getByRole('link', { name: 'app1', exact: true }).click();
      await page.getByTestId('spark-detail').waitFor();
      assert.equal(new URL(page.url()).pathname, '/spark-applications/details/app1');
      const execs = page.getByTestId('executor-row');
      await execs.first().waitFor();
      const states = await execs.evaluateAll((rows) => rows.map((r) => [r.dataset.pod, r.dataset.state]));
      assert.deepEqual(states, [
        ['app1-exec-1', 'RUNNING'],
        ['app1-exec-2', 'RUNNING'],
      ]);
      // The driver's log: the stack has no kubelet, so the API server's own answer about the
      // driver pod is shown in place of lines, and the page stays usable.
      const logState = page.getByTestId('log-state');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="log-state"]')?.dataset.state !== 'connecting',
      );
      const state = await logState.getAttribute('data-state');
      assert.ok(['streaming', 'ended', 'failed'].includes(state), state);
      if (state === 'failed') assert.match(await logState.textContent(), /pods "app1-driver" not found \(HTTP 404\)/);
      assert.deepEqual(problems, []);
    });
  });

  test('"Open Spark UI" opens the live Spark UI of app1 on its own host, in a new tab', async (t) => {
    needs('GET /api/namespaces/:ns/sparkapplications');
    await as(ALICE, t, async (page) => {
      await page.goto(at('/spark-applications/details/app1?ns=alice'));
      const open = page.getByRole('link', { name: 'Open Spark UI' });
      await open.waitFor();
      assert.equal(await open.getAttribute('href'), '/spark/alice/app1/');
      assert.equal(await open.getAttribute('target'), '_blank');
      assert.match(await open.getAttribute('rel'), /noopener/);
      const [ui] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
      try {
        await ui.waitForLoadState('domcontentloaded');
        await ui.waitForURL(/\/spark\/alice\/app1\/jobs\/?$/, { timeout: 15_000 });
        assert.equal(new URL(ui.url()).origin, kf.appOrigin('spark-alice--app1'), 'the UI is on its own host');
        // Spark's own jobs page, rendered.
        await ui.getByText('Spark Jobs', { exact: false }).first().waitFor({ timeout: 15_000 });
        const hrefs = await ui.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        const local = hrefs.filter((h) => h.startsWith('/'));
        assert.ok(local.length > 0, `links on the Spark UI: ${hrefs.join(' ')}`);
        for (const h of local) assert.ok(h.startsWith('/spark/alice/app1/'), `a link leaves the app's prefix: ${h}`);
        // The tabs lead somewhere real, still under the prefix.
        await ui.locator('a[href^="/spark/alice/app1/executors"]').first().click();
        await ui.waitForURL(/\/spark\/alice\/app1\/executors\/?$/);
        await ui.getByText('Executors', { exact: false }).first().waitFor();
      } finally {
        await ui.close();
      }
    });
  });

  test('alice submits an application from the PySpark template, sees it listed, and deletes it', async (t) => {
    needs('GET /api/namespaces/:ns/sparkapplications', 'GET /api/spark/templates', 'GET /api/rules/:ns');
    const name = `pi-${RUN}`;
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/spark-applications?ns=alice'));
      await page.getByRole('link', { name: 'Submit application' }).click();
      const form = page.getByTestId('spark-form');
      await form.waitFor();
      assert.equal(new URL(page.url()).pathname, '/spark-applications/new');
      const template = form.getByLabel('Template');
      const titles = await template.locator('option').allTextContents();
      const pyspark = titles.find((s) => /pyspark/i.test(s));
      assert.ok(pyspark, `a PySpark template among ${titles.join(', ')}`);
      await template.selectOption({ label: pyspark });
      // The form is the template's.
      assert.equal(await form.getByLabel('Type', { exact: true }).inputValue(), 'Python');
      assert.match(await form.getByLabel('Application file', { exact: true }).inputValue(), /\.py$/);
      const image = await form.getByLabel('Image', { exact: true }).inputValue();
      assert.ok(image, 'the template names an image');

      // A bad name is refused next to the field, before anything is sent.
      await form.getByLabel('Name', { exact: true }).fill('Not_A_Name');
      await form.getByRole('button', { name: 'Submit' }).click();
      await page.getByText('Use lowercase letters, digits and dashes').waitFor();
      assert.equal((await kubeAdmin('GET', `${APPS}/not-a-name`)).status, 404);

      await form.getByLabel('Name', { exact: true }).fill(name);
      made.add(name);
      await form.getByRole('button', { name: 'Submit' }).click();
      await page.waitForURL((u) => u.pathname === '/spark-applications');
      const row = page.locator(`[data-testid="spark-row"][data-name="${name}"]`);
      await row.waitFor();
      // No Spark operator in the stack: the application stays as submitted, NEW.
      assert.equal(await row.getByTestId('status').first().textContent(), 'NEW');

      const got = await kubeAdmin('GET', `${APPS}/${name}`);
      assert.equal(got.status, 200, got.text);
      const spec = JSON.parse(got.text).spec;
      assert.equal(spec.type, 'Python');
      assert.equal(spec.image, image);
      assert.match(spec.mainApplicationFile, /\.py$/);

      await row.getByRole('button', { name: `Delete ${name}` }).click();
      const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await row.waitFor({ state: 'detached' });
      await page.getByText(`${name} deleted.`).waitFor();
      const gone = await kubeAdmin('GET', `${APPS}/${name}`);
      assert.equal(gone.status, 404, gone.text);
      made.delete(name);
      assert.deepEqual(problems, []);
    });
  });

  test('carol (viewer) sees app1 but no Submit or Delete, and the server refuses her a submit', async (t) => {
    needs('GET /api/namespaces/:ns/sparkapplications', 'GET /api/rules/:ns');
    await as(CAROL, t, async (page) => {
      await page.goto(at('/spark-applications?ns=alice'));
      const row = page.locator('[data-testid="spark-row"][data-name="app1"]');
      await row.waitFor();
      // Once her rights are known: read only.
      await page.locator('[data-testid="workload-list"][data-rights="read"]').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Submit application' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^Delete / }).count(), 0);
      // Looking is allowed: the detail and the UI link are there.
      assert.equal(await row.getByRole('link', { name: 'Open the Spark UI of app1' }).count(), 1);
      await page.goto(at('/spark-applications/details/app1?ns=alice'));
      await page.getByTestId('spark-detail').waitFor();
      await page.getByRole('link', { name: 'Open Spark UI' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Delete app1' }).count(), 0);
      // The form itself says she cannot submit here.
      await page.goto(at('/spark-applications/new?ns=alice'));
      await page.getByTestId('form-not-allowed').waitFor();

      // Hidden is not the protection: the same submit from her browser is refused.
      const name = `carol-${RUN}`;
      made.add(name);
      const status = await page.evaluate(async (n) => {
        const csrf = document.cookie.match(/(?:^|; )kfdash_csrf=([^;]*)/)?.[1];
        const res = await fetch('/api/namespaces/alice/sparkapplications', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(csrf ? { 'X-CSRF-Token': csrf } : {}) },
          body: JSON.stringify({
            name: n,
            type: 'Python',
            image: 'spark:4.1.0',
            mainApplicationFile: 'local:///opt/spark/examples/src/main/python/pi.py',
            driver: { cores: 1, memory: '512m', serviceAccount: 'spark' },
            executor: { instances: 1, cores: 1, memory: '512m' },
          }),
        });
        return res.status;
      }, name);
      assert.equal(status, 403);
      assert.equal((await kubeAdmin('GET', `${APPS}/${name}`)).status, 404);
      const del = await page.evaluate(async () => (await fetch('/api/namespaces/alice/sparkapplications/app1', { method: 'DELETE' })).status);
      assert.equal(del, 403);
      assert.equal((await kubeAdmin('GET', `${APPS}/app1`)).status, 200, 'app1 is still there');
    });
  });
});
