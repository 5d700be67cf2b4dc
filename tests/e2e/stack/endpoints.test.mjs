// The KServe endpoints pages in a real browser against the local stack, in gateway mode (the user
// is whoever the `kubeflow-userid` header names): alice (owner of alice) sees the seeded
// iris-classifier endpoint ready with its external URL, deploys version 1 of the registered MLflow
// model iris-classifier from the page, watches it become ready (tests/stack/kserve-standin.py
// starts a real MLServer for it), opens its predict panel, sends the payload prefilled from the
// model's V2 metadata and sees the predictions and a latency, then deletes it; carol (viewer of
// alice) sees the endpoints without a way to deploy or delete, predicts, and is refused a deploy
// by the server anyway.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                         the stack's admin: to read back and clean up what the tests made
//   KFDASH_E2E_MLFLOW_URL the stack's MLflow (kfdash --mlflow-url)
//   KFDASH_E2E_CONNECT_TO the stack's --connect-to (the seeded endpoint's cluster address)
// A test whose server route is missing fails, naming the route.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gatewayBrowsers, routeProbes, watchProblems } from '../lib/harness.mjs';
import { kubeAdmin, startKubeKfdash } from '../lib/kube.mjs';
import { CONNECT_TO, KUBE, KUBE_ADMIN, MLFLOW, stackEnv } from '../lib/stack.mjs';

const ENV = stackEnv(KUBE, KUBE_ADMIN, CONNECT_TO, MLFLOW);
const MLFLOW_URL = ENV.KFDASH_E2E_MLFLOW_URL;

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
const SEEDED = 'iris-classifier';
/** Unique per run: names made here never meet a leftover of an earlier run. */
const RUN = randomBytes(3).toString('hex');
const ISVCS = '/apis/serving.kserve.io/v1beta1/namespaces/alice/inferenceservices';
/** A model download and an MLServer start on a busy machine. */
const READY_MS = 180_000;

describe('KServe endpoints against the stack, in gateway mode', () => {
  let kf;
  const browsers = gatewayBrowsers(() => kf);
  const as = browsers.as;
  const { probe, needs } = routeProbes();
  const made = new Set();

  before(async () => {
    kf = await startKubeKfdash({
      args: ['--trusted-header-peers', '127.0.0.1/32', '--mlflow-url', MLFLOW_URL, '--connect-to', ENV.KFDASH_E2E_CONNECT_TO],
    });
    await probe(kf.url, {
      'GET /api/namespaces/:ns/inferenceservices': [ALICE, 'GET', '/api/namespaces/alice/inferenceservices'],
      'GET /api/namespaces/:ns/mlflow-model-versions': [ALICE, 'GET', '/api/namespaces/alice/mlflow-model-versions'],
      'GET /api/rules/:ns': [ALICE, 'GET', '/api/rules/alice'],
    });
  });

  after(async () => {
    await browsers.close();
    for (const name of made) await kubeAdmin('DELETE', `${ISVCS}/${name}`).catch(() => {});
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test("alice's Endpoints page shows iris-classifier ready with its external URL, address and traffic", async (t) => {
    needs('GET /api/namespaces/:ns/inferenceservices', 'GET /api/rules/:ns');
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/?ns=alice'));
      await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Endpoints' }).click();
      await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/endpoints');
      const row = page.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-state'), 'ready');
      assert.equal(await row.getByTestId('status').textContent(), 'Ready');
      assert.equal(await row.getByTestId('external-url').textContent(), `http://${SEEDED}.alice.example.com`);
      await row.getByRole('button', { name: 'Copy', exact: true }).waitFor();
      assert.equal(await row.getByTestId('cluster-address').textContent(), `http://${SEEDED}-predictor.alice.svc.cluster.local`);
      assert.equal(await row.getByTestId('traffic').textContent(), '100% latest');
      assert.equal(await row.getByTestId('traffic').getAttribute('title'), '100% iris-classifier-predictor-00001 (latest)');
      assert.match(await row.textContent(), /Loaded, UpToDate/);
      await page.locator('[data-testid="workload-list"][data-rights="write"]').waitFor();
      await row.getByRole('button', { name: `Delete ${SEEDED}` }).waitFor();
      assert.deepEqual(problems, []);
    });
  });

  test('alice deploys iris-classifier v1 from the page, sees it ready, predicts from the panel and deletes it', async (t) => {
    needs('GET /api/namespaces/:ns/inferenceservices', 'GET /api/namespaces/:ns/mlflow-model-versions', 'GET /api/rules/:ns');
    const name = `e2e-${RUN}`;
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/endpoints?ns=alice'));
      // The registered versions of alice's MLflow workspace, each with Deploy.
      const version = page.locator(`[data-testid="mlflow-version-row"][data-model="${SEEDED}"][data-version="1"]`);
      await version.waitFor();
      assert.match(await version.textContent(), /READY/);
      await version.getByRole('button', { name: `Deploy ${SEEDED} version 1` }).click();
      const dialog = page.getByRole('dialog', { name: `Deploy ${SEEDED} version 1` });
      const field = dialog.getByLabel('Endpoint name');
      assert.equal(await field.inputValue(), 'iris-classifier-v1');
      // A bad name is refused in the dialog, before anything is sent.
      await field.fill('Not_A_Name');
      await dialog.getByRole('button', { name: 'Deploy' }).click();
      await dialog.getByText('Use lowercase letters, digits and dashes').waitFor();
      await field.fill(name);
      made.add(name);
      await dialog.getByRole('button', { name: 'Deploy' }).click();

      // The endpoint's own page: pending until the model server is up, then ready.
      await page.waitForURL((u) => u.pathname === `/endpoints/details/${name}`);
      const detail = page.getByTestId('endpoint-detail');
      await detail.waitFor();
      const got = await kubeAdmin('GET', `${ISVCS}/${name}`);
      assert.equal(got.status, 200, got.text);
      const model = JSON.parse(got.text).spec.predictor.model;
      assert.deepEqual(model.modelFormat, { name: 'mlflow' });
      assert.equal(model.protocolVersion, 'v2');
      assert.match(model.storageUri, /^mlflow-artifacts:\//);
      await detail.locator('[data-testid="status"][data-status="Ready"]').waitFor({ timeout: READY_MS });
      assert.equal(await detail.getByTestId('external-url').textContent(), `http://${name}.alice.example.com`);

      // The predict panel, prefilled from the model's V2 metadata.
      const panel = page.getByTestId('predict-panel');
      await panel.locator('[data-testid="prefill-note"][data-prefilled="yes"]').waitFor({ timeout: 30_000 });
      const payload = JSON.parse(await panel.getByLabel('Payload (JSON)').inputValue());
      assert.deepEqual(payload, { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: [0, 0, 0, 0] }] });
      // Send it as prefilled, then a setosa flower.
      await panel.getByRole('button', { name: 'Send' }).click();
      const answer = panel.getByTestId('predict-answer');
      await answer.waitFor({ timeout: 30_000 });
      assert.equal(await answer.getAttribute('data-status'), '200');
      assert.match(await panel.getByTestId('predict-latency').textContent(), /^\d+ ms$/);
      assert.match(await panel.getByTestId('predictions').textContent(), /^output-1: \[\d\]$/);
      payload.inputs[0].data = [5.1, 3.5, 1.4, 0.2];
      await panel.getByLabel('Payload (JSON)').fill(JSON.stringify(payload));
      await panel.getByRole('button', { name: 'Send' }).click();
      await panel.getByTestId('predictions').filter({ hasText: 'output-1: [0]' }).waitFor();
      assert.match(await panel.getByTestId('predict-response').textContent(), new RegExp(`"model_name": "${name}"`));
      // The curl examples name this endpoint through the dashboard, with a token.
      const curl = await page.getByTestId('curl-example').allTextContents();
      assert.ok(curl.some((c) => c.includes(`${kf.url}/serving/alice/${name}/v2/models/${name}/infer`) && c.includes('Bearer $KFDASH_TOKEN')), curl.join('\n'));
      await page.getByRole('link', { name: 'Access tokens' }).last().waitFor();

      await detail.getByRole('button', { name: `Delete ${name}` }).click();
      await page.getByRole('dialog', { name: `Delete ${name}?` }).getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL((u) => u.pathname === '/endpoints');
      await page.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`).waitFor();
      assert.equal(await page.locator(`[data-testid="endpoint-row"][data-name="${name}"]`).count(), 0);
      assert.equal((await kubeAdmin('GET', `${ISVCS}/${name}`)).status, 404);
      made.delete(name);
      assert.deepEqual(problems, []);
    });
  });

  test('the create form offers the MLflow versions and names the endpoint after the one chosen', async (t) => {
    needs('GET /api/namespaces/:ns/mlflow-model-versions', 'GET /api/rules/:ns');
    await as(ALICE, t, async (page) => {
      await page.goto(at('/endpoints?ns=alice'));
      await page.getByRole('link', { name: 'New endpoint' }).click();
      const form = page.getByTestId('endpoint-form');
      await form.waitFor();
      const picker = form.getByLabel('Model version', { exact: true });
      await picker.waitFor();
      assert.ok((await picker.locator('option').allTextContents()).includes(`${SEEDED} · version 1`));
      assert.equal(await form.getByLabel('Name', { exact: true }).inputValue(), 'iris-classifier-v1');
      // Another model by URI: a storage URI that is no URI is refused next to its field.
      await form.getByLabel('Another model, by format and storage URI').check();
      await form.getByLabel('Storage URI', { exact: true }).fill('not a uri');
      await form.getByRole('button', { name: 'Create' }).click();
      await form.getByText('A URI such as s3://bucket/model').waitFor();
      await form.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL((u) => u.pathname === '/endpoints');
    });
  });

  test('carol (viewer) sees the endpoints and predicts, but cannot deploy or delete', async (t) => {
    needs('GET /api/namespaces/:ns/inferenceservices', 'GET /api/rules/:ns');
    await as(CAROL, t, async (page) => {
      await page.goto(at('/endpoints?ns=alice'));
      const row = page.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`);
      await row.waitFor();
      await page.locator('[data-testid="workload-list"][data-rights="read"]').waitFor();
      assert.equal(await page.getByRole('link', { name: 'New endpoint' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^Delete / }).count(), 0);
      assert.equal(await page.getByTestId('mlflow-versions').count(), 0);
      assert.equal(await page.getByRole('button', { name: /^Deploy / }).count(), 0);

      // Predicting is for every member.
      await row.getByRole('link', { name: `Predict with ${SEEDED}` }).click();
      const panel = page.getByTestId('predict-panel');
      await panel.locator('[data-testid="prefill-note"][data-prefilled="yes"]').waitFor();
      await panel.getByRole('button', { name: 'Send' }).click();
      await panel.locator('[data-testid="predict-answer"][data-status="200"]').waitFor();
      assert.equal(await page.getByRole('button', { name: `Delete ${SEEDED}` }).count(), 0);

      await page.goto(at('/endpoints/new?ns=alice'));
      await page.getByTestId('form-not-allowed').waitFor();
      // Hidden is not the protection: the same deploy from her browser is refused.
      const name = `carol-${RUN}`;
      made.add(name);
      const status = await page.evaluate(async (n) => {
        const res = await fetch('/api/namespaces/alice/inferenceservices', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: n, fromMlflow: { model: 'iris-classifier', version: '1' } }),
        });
        return res.status;
      }, name);
      assert.equal(status, 403);
      assert.equal((await kubeAdmin('GET', `${ISVCS}/${name}`)).status, 404);
      const del = await page.evaluate(async (n) => (await fetch(`/api/namespaces/alice/inferenceservices/${n}`, { method: 'DELETE' })).status, SEEDED);
      assert.equal(del, 403);
      assert.equal((await kubeAdmin('GET', `${ISVCS}/${SEEDED}`)).status, 200, 'the seeded endpoint is still there');
    });
  });
});
