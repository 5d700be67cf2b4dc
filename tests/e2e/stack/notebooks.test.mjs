// The Notebooks pages in a real browser against the local stack, in gateway mode (the user is
// whoever the `kubeflow-userid` header names): alice (owner of alice) sees nb1 ready, creates a
// notebook from the form and deletes it, and connects to nb1: JupyterLab, served by kfdash on the
// notebook's own host (nb-alice--nb1.localhost) under /notebook/alice/nb1/, runs `1+1` on a
// Python 3 kernel; carol (viewer of alice) sees the list without create, stop, delete or
// connect (a notebook runs code as its namespace), and the server refuses her a stop and the
// notebook itself anyway. With Kubeflow's spawner_ui_config.yaml (--notebook-spawner-config), the
// form offers its server types, images, affinity and toleration groups and shows its readOnly
// fields disabled, and the notebook made has what alice chose.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                         the stack's admin: to read back and clean up what the tests made
//   KFDASH_E2E_CONNECT_TO the stack's --connect-to (nb1's Service → its live Jupyter server)
// A test whose server route is missing fails, naming the route.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const NOTEBOOKS = '/apis/kubeflow.org/v1/namespaces/alice/notebooks';
const PVCS = '/api/v1/namespaces/alice/persistentvolumeclaims';
const PODDEFAULTS = '/apis/kubeflow.org/v1alpha1/namespaces/alice/poddefaults';
/** The catalog the server offers (its --notebook-images), the second one chosen below. */
const IMAGES = ['example.org/notebooks/scipy:v1', 'example.org/notebooks/pytorch:v2'];

describe('Notebooks against the stack, in gateway mode', () => {
  let kf;
  const browsers = gatewayBrowsers(() => kf);
  const as = browsers.as;
  const { probe, needs } = routeProbes();
  const made = new Set();
  /** Whether this run gave alice the MLflow PodDefault (then it takes it away at the end). */
  let mlflowMade = false;

  before(async () => {
    kf = await startAppsKfdash({
      args: [
        '--cluster-admins', ADMIN,
        '--trusted-header-peers', '127.0.0.1/32',
        '--connect-to', CONNECT_TO,
        '--notebook-images', IMAGES.join(','),
      ],
    });
    await probe(kf.url, {
      'GET /api/namespaces/:ns/notebooks': [ALICE, 'GET', '/api/namespaces/alice/notebooks'],
      'GET /api/config': [ALICE, 'GET', '/api/config'],
      'GET /api/rules/:ns': [ALICE, 'GET', '/api/rules/alice'],
      'GET /api/namespaces/:ns/poddefaults': [ALICE, 'GET', '/api/namespaces/alice/poddefaults'],
    });
  });

  after(async () => {
    await browsers.close();
    for (const name of made) {
      await kubeAdmin('DELETE', `${NOTEBOOKS}/${name}`).catch(() => {});
      // The stack runs no pvc-protection controller to release the claim: drop its finalizer.
      await kubeAdmin('DELETE', `${PVCS}/${name}-workspace`).catch(() => {});
      await kubeAdmin('PATCH', `${PVCS}/${name}-workspace`, { metadata: { finalizers: null } },
        'application/merge-patch+json').catch(() => {});
    }
    if (mlflowMade) await kubeAdmin('DELETE', `${PODDEFAULTS}/mlflow`).catch(() => {});
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test("alice's Notebooks page lists nb1 as ready, with Connect, Stop and Delete", async (t) => {
    needs('GET /api/namespaces/:ns/notebooks', 'GET /api/rules/:ns');
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/?ns=alice'));
      await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Notebooks' }).click();
      await page.getByRole('heading', { level: 1, name: 'Notebooks' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/notebooks');
      const row = page.locator('[data-testid="notebook-row"][data-name="nb1"]');
      await row.waitFor();
      assert.equal(await row.getAttribute('data-phase'), 'ready');
      assert.equal(await row.getByTestId('status').getAttribute('data-status'), 'ready');
      const connect = row.getByRole('link', { name: 'Connect to nb1' });
      assert.equal(await connect.getAttribute('href'), '/notebook/alice/nb1/');
      assert.equal(await connect.getAttribute('target'), '_blank');
      assert.match(await connect.getAttribute('rel'), /noopener/);
      await page.locator('[data-testid="workload-list"][data-rights="write"]').waitFor();
      await row.getByRole('button', { name: 'Stop nb1' }).waitFor();
      await row.getByRole('button', { name: 'Delete nb1' }).waitFor();
      await page.getByRole('link', { name: 'New notebook' }).waitFor();

      // The detail: facts, and the events and logs sections answer (the stack has no pods).
      await row.getByRole('link', { name: 'nb1', exact: true }).click();
      await page.getByTestId('notebook-detail').waitFor();
      assert.equal(new URL(page.url()).pathname, '/notebooks/details/nb1');
      await page.getByText('kubeflownotebookswg/jupyter-scipy:v1.9.0').waitFor();
      await page.locator('[data-testid="events-empty"], [data-testid="event-row"]').first().waitFor();
      await page.locator('[data-testid="no-pod"], [data-testid="log"]').first().waitFor();
      assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
      assert.deepEqual(problems, []);
    });
  });

  test('alice creates a notebook from the form; it is listed, then she deletes it', async (t) => {
    needs('GET /api/namespaces/:ns/notebooks', 'GET /api/config', 'GET /api/namespaces/:ns/poddefaults');
    const name = `web-${RUN}`;
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/notebooks?ns=alice'));
      await page.getByRole('link', { name: 'New notebook' }).click();
      const form = page.getByTestId('notebook-form');
      await form.waitFor();
      assert.equal(new URL(page.url()).pathname, '/notebooks/new');
      const image = form.getByLabel('Image', { exact: true });
      assert.deepEqual(await image.locator('option').allTextContents(), IMAGES);
      assert.equal(await image.inputValue(), IMAGES[0], 'the first of the catalog is the default');

      // Mistakes are shown next to their field, and nothing is sent.
      await form.getByLabel('Name', { exact: true }).fill('Bad_Name');
      await form.getByLabel('CPUs', { exact: true }).fill('lots');
      await form.getByRole('button', { name: 'Launch' }).click();
      await page.getByText('Use lowercase letters, digits and dashes').waitFor();
      await page.getByText('Not an amount Kubernetes understands').first().waitFor();

      await form.getByLabel('Name', { exact: true }).fill(name);
      await image.selectOption(IMAGES[1]);
      await form.getByLabel('CPUs', { exact: true }).fill('1');
      await form.getByLabel('Memory', { exact: true }).fill('2Gi');
      assert.equal(await form.getByLabel('New volume', { exact: true }).isChecked(), true, 'a new workspace by default');
      await form.getByLabel('Size', { exact: true }).fill('1Gi');

      // MLflow access: a button gives the namespace the PodDefault, which then shows as a
      // configuration to opt in to (already there when an earlier run or test made it).
      const mlflow = form.getByRole('checkbox', { name: /\(mlflow-access\)/ });
      const give = form.getByRole('button', { name: 'Give this namespace MLflow access' });
      await form.locator('[data-testid="no-poddefaults"], input[type="checkbox"][value]').first().waitFor();
      if ((await mlflow.count()) === 0) {
        mlflowMade = true;
        await give.click();
        await mlflow.waitFor();
        assert.equal(await mlflow.isChecked(), true, 'the new configuration is chosen');
        const pd = await kubeAdmin('GET', `${PODDEFAULTS}/mlflow`);
        assert.equal(pd.status, 200, pd.text);
        assert.deepEqual(JSON.parse(pd.text).spec.selector.matchLabels, { 'mlflow-access': 'true' });
      } else {
        assert.equal(await give.count(), 0, 'no button when the namespace has access');
        await mlflow.check();
      }
      made.add(name);
      await form.getByRole('button', { name: 'Launch' }).click();
      await page.waitForURL((u) => u.pathname === '/notebooks');
      const row = page.locator(`[data-testid="notebook-row"][data-name="${name}"]`);
      await row.waitFor();
      // The stack has no notebook controller: the new notebook never gets ready.
      assert.notEqual(await row.getAttribute('data-phase'), 'ready');
      assert.equal(await row.getByRole('link', { name: `Connect to ${name}` }).count(), 0, 'no Connect before ready');

      const got = await kubeAdmin('GET', `${NOTEBOOKS}/${name}`);
      assert.equal(got.status, 200, got.text);
      const container = JSON.parse(got.text).spec.template.spec.containers[0];
      assert.equal(container.image, IMAGES[1]);
      assert.equal(String(container.resources.requests.cpu), '1');
      assert.equal(container.resources.requests.memory, '2Gi');
      assert.equal(JSON.parse(got.text).spec.template.metadata.labels['mlflow-access'], 'true');
      const pvc = await kubeAdmin('GET', `${PVCS}/${name}-workspace`);
      assert.equal(pvc.status, 200, pvc.text);
      assert.equal(JSON.parse(pvc.text).spec.resources.requests.storage, '1Gi');

      // Stop, then start again: the button follows, and so does the object.
      const stopped = async () =>
        JSON.parse((await kubeAdmin('GET', `${NOTEBOOKS}/${name}`)).text).metadata.annotations?.['kubeflow-resource-stopped'];
      await row.getByRole('button', { name: `Stop ${name}` }).click();
      await row.getByRole('button', { name: `Start ${name}` }).waitFor();
      assert.ok(await stopped(), 'stopped: the annotation is set');
      assert.equal(await row.getAttribute('data-phase'), 'stopped');
      await row.getByRole('button', { name: `Start ${name}` }).click();
      await row.getByRole('button', { name: `Stop ${name}` }).waitFor();
      assert.equal(await stopped(), undefined, 'started: the annotation is gone');

      await row.getByRole('button', { name: `Delete ${name}` }).click();
      const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await row.waitFor({ state: 'detached' });
      await page.getByText(`${name} deleted.`).waitFor();
      // Deleted objects may linger while finalizers run; they must at least be going.
      const gone = await kubeAdmin('GET', `${NOTEBOOKS}/${name}`);
      assert.ok(gone.status === 404 || JSON.parse(gone.text).metadata.deletionTimestamp, gone.text);
      assert.deepEqual(problems, []);
    });
  });

  test('carol (viewer) sees nb1 without create, stop, delete or connect; the server refuses her anyway', async (t) => {
    needs('GET /api/namespaces/:ns/notebooks', 'GET /api/rules/:ns');
    await as(CAROL, t, async (page) => {
      await page.goto(at('/notebooks?ns=alice'));
      const row = page.locator('[data-testid="notebook-row"][data-name="nb1"]');
      await row.waitFor();
      assert.equal(await row.getAttribute('data-phase'), 'ready');
      await page.locator('[data-testid="workload-list"][data-rights="read"]').waitFor();
      assert.equal(await page.getByRole('link', { name: 'New notebook' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^(Stop|Start|Delete) / }).count(), 0);
      // A notebook runs code as the namespace: no Connect for a viewer, and it says why.
      assert.equal(await row.getByRole('link', { name: 'Connect to nb1' }).count(), 0);
      const connect = row.locator('[aria-disabled="true"]', { hasText: 'Connect' });
      assert.match(await connect.getAttribute('title'), /Viewers cannot open notebooks/);
      await page.goto(at('/notebooks/details/nb1?ns=alice'));
      await page.getByTestId('notebook-detail').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Connect to nb1' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^(Stop|Start|Delete) / }).count(), 0);
      await page.goto(at('/notebooks/new?ns=alice'));
      await page.getByTestId('form-not-allowed').waitFor();

      // Hidden is not the protection: the same stop from her browser is refused.
      const status = await page.evaluate(async () => {
        const res = await fetch('/api/namespaces/alice/notebooks/nb1', {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ stopped: true }),
        });
        return res.status;
      });
      assert.equal(status, 403);
      const nb1 = JSON.parse((await kubeAdmin('GET', `${NOTEBOOKS}/nb1`)).text);
      assert.equal(nb1.metadata.annotations?.['kubeflow-resource-stopped'], undefined, 'nb1 was not stopped');
      // Nor does the notebook's address open for her.
      const open = await page.evaluate(async () => (await fetch('/notebook/alice/nb1/lab', { redirect: 'manual' })).status);
      assert.equal(open, 403);
    });
  });

  test('alice connects to nb1 and runs 1+1 in a new Python 3 notebook in JupyterLab', async (t) => {
    needs('GET /api/namespaces/:ns/notebooks');
    await as(ALICE, t, async (page) => {
      await page.goto(at('/notebooks?ns=alice'));
      const connect = page.getByRole('link', { name: 'Connect to nb1' });
      await connect.waitFor();
      const [lab] = await Promise.all([page.context().waitForEvent('page'), connect.click()]);
      let created = null;
      try {
        lab.setDefaultTimeout(30_000);
        await lab.waitForLoadState('domcontentloaded');
        assert.equal(new URL(lab.url()).origin, kf.appOrigin('nb-alice--nb1'), 'JupyterLab is on its own host');
        assert.match(new URL(lab.url()).pathname, /^\/notebook\/alice\/nb1\//);
        // As Kubeflow's images do, the notebook's root sends the browser on to JupyterLab.
        await lab.waitForURL(/\/notebook\/alice\/nb1\/lab/);
        // The launcher: a notebook on the Python 3 kernel.
        const card = lab.locator('.jp-LauncherCard[data-category="Notebook"]').filter({ hasText: /Python 3/ }).first();
        await card.click();
        await lab.waitForURL(/\/lab\/tree\/.+\.ipynb/);
        created = decodeURIComponent(new URL(lab.url()).pathname.replace(/^.*\/lab\/tree\//, ''));
        // The kernel is up when the status says Idle.
        await lab.locator('.jp-Notebook').waitFor();
        await lab.getByText(/Python 3 \(ipykernel\) \| Idle/).first().waitFor({ timeout: 60_000 });
        const editor = lab.locator('.jp-Cell .cm-content').first();
        await editor.click();
        await lab.keyboard.type('1+1');
        await lab.keyboard.press('Shift+Enter');
        const out = lab.locator('.jp-Cell .jp-OutputArea-output').first();
        await out.waitFor({ timeout: 60_000 });
        assert.equal((await out.textContent()).trim(), '2');
        // The prompt says it ran on the kernel: [1].
        await lab.locator('.jp-InputArea-prompt').filter({ hasText: '[1]' }).first().waitFor();
      } finally {
        if (created) {
          // Shut the kernel down and remove the file, through the dashboard, as JupyterLab would.
          await lab
            .evaluate(async (path) => {
              const xsrf = document.cookie.match(/(?:^|; )_xsrf=([^;]*)/)?.[1] ?? '';
              const base = '/notebook/alice/nb1/api';
              const headers = { 'X-XSRFToken': decodeURIComponent(xsrf) };
              const sessions = await (await fetch(`${base}/sessions`)).json();
              for (const s of sessions) {
                if (s.path === path) await fetch(`${base}/sessions/${s.id}`, { method: 'DELETE', headers });
              }
              await fetch(`${base}/contents/${encodeURIComponent(path)}`, { method: 'DELETE', headers });
            }, created)
            .catch(() => {});
        }
        await lab.close();
      }
    });
  });
});

describe("Kubeflow's spawner config rules the notebook form", () => {
  let kf;
  const browsers = gatewayBrowsers(() => kf);
  const made = [];
  const JUPYTER = ['example.org/nb/scipy:v3', 'example.org/nb/torch:v3'];
  const CODE = 'example.org/nb/codeserver:v3';

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfdash-spawner-'));
    const file = join(dir, 'spawner_ui_config.yaml');
    writeFileSync(
      file,
      [
        'spawnerFormDefaults:',
        '  allowCustomImage: false',
        `  image: {value: ${JUPYTER[0]}, options: [${JUPYTER.join(', ')}]}`,
        `  imageGroupOne: {value: ${CODE}, options: [${CODE}]}`,
        '  cpu: {value: "0.5", limitFactor: "2"}',
        '  memory: {value: 1Gi, limitFactor: none, readOnly: true}',
        '  affinityConfig:',
        '    value: ""',
        '    options:',
        '      - configKey: big_nodes',
        '        displayName: Big nodes',
        '        affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution:',
        '          {nodeSelectorTerms: [{matchExpressions: [{key: size, operator: In, values: [big]}]}]}}}',
        '  tolerationGroup:',
        '    value: ""',
        '    options:',
        '      - groupKey: gpu_pool',
        '        displayName: GPU pool',
        '        tolerations: [{key: pool, operator: Equal, value: gpu, effect: NoSchedule}]',
        '  shm: {value: true, readOnly: true}',
        '',
      ].join('\n'),
    );
    kf = await startAppsKfdash({
      args: ['--trusted-header-peers', '127.0.0.1/32', '--connect-to', CONNECT_TO, '--notebook-spawner-config', file],
    });
  });

  after(async () => {
    await browsers.close();
    for (const name of made) await kubeAdmin('DELETE', `${NOTEBOOKS}/${name}`).catch(() => {});
    await kf?.stop();
  });

  test('alice picks VS Code, an affinity and a toleration group; read-only fields are disabled', async (t) => {
    const name = `spawn-${RUN}`;
    await browsers.as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(kf.url + '/notebooks/new?ns=alice');
      const form = page.getByTestId('notebook-form');
      await form.waitFor();
      const image = form.getByLabel('Image', { exact: true });
      assert.deepEqual(await image.locator('option').allTextContents(), JUPYTER);
      assert.equal(await form.getByText('Custom image').count(), 0, 'no custom images allowed');
      assert.equal(await form.getByLabel('Memory', { exact: true }).isDisabled(), true);
      assert.equal(await form.getByLabel('CPUs', { exact: true }).isDisabled(), false);
      assert.equal(await form.getByRole('checkbox', { name: 'Shared memory at /dev/shm' }).isDisabled(), true);

      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Server', { exact: true }).selectOption('group-one');
      assert.deepEqual(await image.locator('option').allTextContents(), [CODE]);
      await form.getByLabel('Affinity', { exact: true }).selectOption({ label: 'Big nodes' });
      await form.getByLabel('Tolerations', { exact: true }).selectOption({ label: 'GPU pool' });
      await form.getByLabel('No workspace volume', { exact: true }).check();
      made.push(name);
      await form.getByRole('button', { name: 'Launch' }).click();
      await page.waitForURL((u) => u.pathname === '/notebooks');

      const got = await kubeAdmin('GET', `${NOTEBOOKS}/${name}`);
      assert.equal(got.status, 200, got.text);
      const pod = JSON.parse(got.text).spec.template.spec;
      assert.equal(pod.containers[0].image, CODE);
      assert.equal(String(pod.containers[0].resources.limits.cpu), '1');
      assert.equal(pod.containers[0].resources.limits.memory, undefined, 'memory has no limit factor');
      assert.deepEqual(pod.tolerations, [{ key: 'pool', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }]);
      assert.equal(
        pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key,
        'size',
      );
      assert.ok(pod.volumes.some((v) => v.name === 'dshm'));
      assert.deepEqual(problems, []);
    });
  });
});
