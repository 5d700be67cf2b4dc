// The MLflow pages in a real browser against the stack's real MLflow (workspaces on), in gateway
// mode (the user is whoever the `kubeflow-userid` header names): alice (owner of alice) finds
// experiment iris from the sidebar, sees its runs with a metric column, filters and sorts them,
// opens a run whose metric history is drawn, compares two runs on one chart, and creates an
// experiment; carol (viewer of alice) sees the same without any write action, and the server
// refuses her writes anyway; MLflow's own UI loads under /mlflow/ and lists iris.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_MLFLOW_URL the stack's MLflow (kfdash's --mlflow-url; the tests read it directly too)

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gatewayBrowsers, watchProblems } from '../lib/harness.mjs';
import { startAppsKfdash } from '../lib/kube.mjs';
import { KUBE, MLFLOW as MLFLOW_ENV, stackEnv } from '../lib/stack.mjs';

const MLFLOW = stackEnv(KUBE, MLFLOW_ENV).KFDASH_E2E_MLFLOW_URL;

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
const RUN = randomBytes(3).toString('hex');
/** The series colours of the charts (mlflow_plot.tsx PALETTE), as RGB. */
const BLUE = [0x3f, 0x51, 0xb5];
const ORANGE = [0xe8, 0x71, 0x0a];

/** MLflow itself, in workspace ws. */
async function mlflow(method, path, ws, body) {
  const res = await fetch(MLFLOW + path, {
    method,
    headers: { 'X-MLFLOW-WORKSPACE': ws, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, json: await res.json().catch(() => ({})) };
}

/** Pixels of each colour drawn on the canvases inside `selector` (close matches count). */
function paintedPixels(page, selector, colours) {
  return page.evaluate(
    ({ selector, colours }) => {
      const counts = colours.map(() => 0);
      for (const canvas of document.querySelectorAll(`${selector} canvas`)) {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] < 200) continue;
          colours.forEach(([r, g, b], k) => {
            if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) counts[k]++;
          });
        }
      }
      return counts;
    },
    { selector, colours },
  );
}

describe('MLflow pages against the stack, in gateway mode', () => {
  let kf;
  let iris;
  const browsers = gatewayBrowsers(() => kf);
  const as = browsers.as;
  const made = [];

  before(async () => {
    kf = await startAppsKfdash({ args: ['--trusted-header-peers', '127.0.0.1/32', '--mlflow-url', MLFLOW] });
    const got = await mlflow('GET', '/api/2.0/mlflow/experiments/get-by-name?experiment_name=iris', 'alice');
    assert.equal(got.status, 200, JSON.stringify(got.json));
    iris = got.json.experiment.experiment_id;
  });

  after(async () => {
    await browsers.close();
    for (const id of made) await mlflow('POST', '/api/2.0/mlflow/experiments/delete', 'alice', { experiment_id: id }).catch(() => {});
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test('alice finds iris from the sidebar; its runs table shows a metric column, filters and sorts', async (t) => {
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/?ns=alice'));
      await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Experiments' }).click();
      await page.getByRole('heading', { level: 1, name: 'Experiments' }).waitFor();
      const row = page.locator('[data-testid="experiment-row"][data-name="iris"]');
      await row.waitFor();
      await row.getByRole('link', { name: 'iris' }).click();
      await page.waitForURL((u) => u.pathname === `/experiments/${iris}`);

      const runs = page.getByTestId('run-row');
      await runs.first().waitFor();
      assert.equal(await runs.count(), 3);
      const table = page.locator('[data-testid="runs"] table');
      const headers = await table.locator('thead th').allTextContents();
      assert.ok(headers.includes('accuracy'), `a metric column among ${headers.join(', ')}`);
      assert.ok(headers.includes('C (param)'), `a param column among ${headers.join(', ')}`);
      const accuracies = async () =>
        (await page.locator('[data-testid="run-row"] td[data-metric="accuracy"]').allTextContents()).map(Number);
      assert.ok((await accuracies()).every((a) => a > 0 && a <= 1), String(await accuracies()));

      // Sorted by accuracy, descending then ascending: MLflow orders, the table follows.
      await page.getByLabel('Sort by').selectOption('metric:accuracy');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 3);
      await page.waitForFunction(() => {
        const v = [...document.querySelectorAll('[data-testid="run-row"] td[data-metric="accuracy"]')].map((td) => Number(td.textContent));
        return v.length === 3 && v[0] >= v[1] && v[1] >= v[2];
      });
      await page.getByRole('button', { name: /Descending/ }).click();
      await page.waitForFunction(() => {
        const v = [...document.querySelectorAll('[data-testid="run-row"] td[data-metric="accuracy"]')].map((td) => Number(td.textContent));
        return v.length === 3 && v[0] <= v[1] && v[1] <= v[2] && v[0] < v[2];
      });

      // MLflow's own filter language: only the C=0.1 run is below 0.8.
      await page.getByLabel('Filter').fill('metrics.accuracy < 0.8');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 1);
      assert.equal(await page.getByTestId('run-row').getAttribute('data-name'), 'logreg-C0.1');

      // A column can be taken away.
      await page.getByText('Columns').click();
      await page.locator('[data-column="param:C"]').uncheck();
      assert.ok(!(await table.locator('thead th').allTextContents()).includes('C (param)'));
      assert.deepEqual(problems, []);
    });
  });

  test("a run's page draws each metric's history", async (t) => {
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at(`/experiments/${iris}?ns=alice`));
      const row = page.locator('[data-testid="run-row"][data-name="logreg-C1.0"]');
      await row.getByRole('link', { name: 'logreg-C1.0' }).click();
      await page.getByTestId('run-detail').waitFor();
      await page.getByTestId('run-params').getByText('max_iter_per_step').waitFor();
      const plot = page.locator('[data-testid="metric-plot"]', { hasText: 'accuracy' });
      await plot.waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="metric-plot"][data-drawn="1"] canvas'));
      const [blue] = await paintedPixels(page, '[data-testid="metric-plot"]', [BLUE]);
      assert.ok(blue > 100, `the series is drawn (${blue} pixels of its colour)`);
      const charts = await page.evaluate(() => document.querySelectorAll('[data-testid="metric-plot"]').length);
      assert.equal(charts, 2, 'one chart per metric: accuracy and loss');
      await page.getByTestId('artifacts').waitFor();
      assert.deepEqual(problems, []);
    });
  });

  test('two runs compared on one chart', async (t) => {
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at(`/experiments/${iris}?ns=alice`));
      await page.getByTestId('run-row').first().waitFor();
      await page.getByRole('checkbox', { name: 'Compare logreg-C0.1' }).check();
      await page.getByRole('checkbox', { name: 'Compare logreg-C10.0' }).check();
      await page.getByRole('button', { name: 'Compare (2)' }).click();
      await page.waitForURL((u) => u.pathname === `/experiments/${iris}/compare`);
      await page.waitForFunction(() => document.querySelector('[data-testid="compare-plot"][data-drawn="2"] canvas'));
      assert.equal(await page.getByTestId('compare-plot').getAttribute('data-series'), '2');
      const legend = await page.getByTestId('compare-plot').textContent();
      assert.ok(legend.includes('logreg-C0.1') && legend.includes('logreg-C10.0'), legend);
      const [blue, orange] = await paintedPixels(page, '[data-testid="compare-plot"]', [BLUE, ORANGE]);
      assert.ok(blue > 100 && orange > 100, `both series drawn (${blue}, ${orange} pixels)`);
      // Another metric, the same runs.
      await page.getByLabel('Metric').selectOption('loss');
      await page.getByRole('heading', { name: 'loss by step' }).waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="compare-plot"][data-drawn="2"]'));
      assert.deepEqual(problems, []);
    });
  });

  test('alice creates an experiment and lands on its (empty) runs', async (t) => {
    const name = `e2e-${RUN}`;
    await as(ALICE, t, async (page) => {
      await page.goto(at('/experiments?ns=alice'));
      await page.locator('[data-testid="experiments"][data-rights="write"]').waitFor();
      await page.getByRole('button', { name: 'New experiment' }).click();
      const dialog = page.getByTestId('new-experiment-dialog');
      await dialog.getByLabel('Name').fill(name);
      await dialog.getByRole('button', { name: 'Create' }).click();
      await page.getByTestId('runs-empty').waitFor();
      const got = await mlflow('GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`, 'alice');
      assert.equal(got.status, 200);
      made.push(got.json.experiment.experiment_id);
      assert.equal(new URL(page.url()).pathname, `/experiments/${got.json.experiment.experiment_id}`);
    });
  });

  test('carol (viewer) sees runs and models without write actions; the server refuses her writes', async (t) => {
    await as(CAROL, t, async (page) => {
      await page.goto(at('/experiments?ns=alice'));
      await page.locator('[data-testid="experiments"][data-rights="read"]').waitFor();
      await page.locator('[data-testid="experiment-row"][data-name="iris"]').waitFor();
      assert.equal(await page.getByRole('button', { name: 'New experiment' }).count(), 0);
      await page.goto(at(`/experiments/${iris}?ns=alice`));
      await page.getByTestId('run-row').first().getByRole('link').click();
      await page.locator('[data-testid="run-detail"][data-rights="read"]').waitFor();
      await page.locator('[data-testid="metric-plot"][data-drawn="1"]').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Delete run' }).count(), 0);
      await page.goto(at('/models/iris-classifier?ns=alice'));
      await page.locator('[data-testid="model-versions"][data-rights="read"]').waitFor();
      const version = page.locator('[data-testid="version-row"][data-version="1"]');
      await version.getByTestId('alias').getByText('@champion').waitFor();
      assert.equal(await page.getByRole('button', { name: /^Deploy/ }).count(), 0);
    });
    // Hidden is not the protection.
    const res = await fetch(at('/mlflow/ajax-api/2.0/mlflow/experiments/create'), {
      method: 'POST',
      headers: { 'kubeflow-userid': CAROL, Origin: kf.url, 'X-MLFLOW-WORKSPACE': 'alice', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `carol-${RUN}` }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 403, await res.text());
    const got = await mlflow('GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=carol-${RUN}`, 'alice');
    assert.equal(got.status, 404);
  });

  test("MLflow's own UI opens under /mlflow/ in alice's workspace and lists iris", async (t) => {
    await as(ALICE, t, async (page) => {
      await page.goto(at('/experiments?ns=alice'));
      const open = page.getByTestId('open-mlflow-ui');
      assert.equal(await open.getAttribute('target'), '_blank');
      const [ui] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
      try {
        await ui.waitForLoadState('domcontentloaded');
        const url = new URL(ui.url());
        assert.equal(url.origin, kf.appOrigin('mlflow'), 'on its own host');
        assert.equal(url.pathname, '/mlflow/');
        await ui.getByRole('link', { name: 'iris', exact: true }).first().waitFor({ timeout: 20_000 });
        // Its workspace selector offers exactly alice's namespaces.
        const listed = await ui.evaluate(async () => (await (await fetch('ajax-api/3.0/mlflow/workspaces')).json()).workspaces.map((w) => w.name));
        assert.deepEqual(listed, ['alice']);
      } finally {
        await ui.close();
      }
    });
  });
});
