// Home's "profile at a glance" in a real browser against the local stack, in gateway mode (the
// user is whoever the `kubeflow-userid` header names): alice (owner of alice) sees her notebooks
// (running, stopped, failing: counted as the API server holds them), Spark applications,
// endpoints, the recent MLflow runs of her workspace, her quota as bars and the recent warnings,
// each card linking to its page; the quota bars say what the ResourceQuota's status and
// `kubectl describe quota` say; predictions sent through kfdash show in the endpoint's request
// chart (drawn by uPlot) within a scrape interval of the chart's next refresh; carol (viewer of
// alice, owner of carol) sees alice's glance without any action and never another namespace's
// data, and the cards follow the namespace selector; a kfdash without Prometheus and MLflow says
// so in the cards concerned, in a short note, and the rest of the page works.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                         the stack's admin: to seed notebooks, an application, an event and a
//                         pod in alice, to read them back and to remove them
//   KFDASH_E2E_MLFLOW_URL the stack's MLflow (kfdash --mlflow-url; read directly too)
//   KFDASH_E2E_CONNECT_TO the stack's --connect-to (the seeded endpoint's cluster address)
//   KFDASH_E2E_PROMETHEUS_URL, KFDASH_E2E_PROMETHEUS_SCRAPE_INTERVAL
//                         the stack's Prometheus and how often it scrapes ("5s")
//   KFDASH_E2E_KUBECTL, KFDASH_E2E_KUBECONFIG
//                         the stack's kubectl and admin kubeconfig (`kubectl describe quota`)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gatewayBrowsers, gatewayFetch, watchProblems } from '../lib/harness.mjs';
import { kubeAdmin, startKubeKfdash } from '../lib/kube.mjs';
import { CONNECT_TO, KUBE, KUBE_ADMIN, MLFLOW, stackEnv } from '../lib/stack.mjs';

const PROMETHEUS = ['KFDASH_E2E_PROMETHEUS_URL', 'KFDASH_E2E_PROMETHEUS_SCRAPE_INTERVAL'];
const KUBECTL = ['KFDASH_E2E_KUBECTL', 'KFDASH_E2E_KUBECONFIG'];
const ENV = stackEnv(KUBE, KUBE_ADMIN, CONNECT_TO, MLFLOW, PROMETHEUS, KUBECTL);
const MLFLOW_URL = ENV.KFDASH_E2E_MLFLOW_URL;
/** Seconds between the stack Prometheus's scrapes. */
const EVERY = Number.parseFloat(ENV.KFDASH_E2E_PROMETHEUS_SCRAPE_INTERVAL);

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
const SEEDED = 'iris-classifier';
const QUOTA = 'kf-resource-quota';
/** Unique per run: names made here never meet a leftover of an earlier run. */
const RUN = randomBytes(3).toString('hex');
const STOPPED_NB = `glance-stopped-${RUN}`;
const FAILING_NB = `glance-failing-${RUN}`;
const FAILED_APP = `glance-failed-${RUN}`;
const QUOTA_POD = `glance-pod-${RUN}`;
const EVENT = `glance-${RUN}.${randomBytes(4).toString('hex')}`;
const WARNING_MESSAGE = `Failed to pull image "registry.invalid/no-such-image:${RUN}"`;

const NOTEBOOKS = '/apis/kubeflow.org/v1/namespaces/alice/notebooks';
const SPARKAPPS = '/apis/sparkoperator.k8s.io/v1beta2/namespaces/alice/sparkapplications';
const ISVCS = '/apis/serving.kserve.io/v1beta1/namespaces/alice/inferenceservices';
const MERGE = 'application/merge-patch+json';
const INFER = {
  inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP64', data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] }],
};
const BROKEN = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CrashLoopBackOff',
  'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns something truthy; fails after `ms` with the last value. */
async function poll(check, what, ms = 30_000, every = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms (last: ${JSON.stringify(v)})`);
    await sleep(every);
  }
}

async function adminJSON(method, path, body, contentType) {
  const r = await kubeAdmin(method, path, body, contentType);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return JSON.parse(r.text);
}

/** MLflow itself, in workspace ws. */
async function mlflow(path, ws, body) {
  const res = await fetch(MLFLOW_URL + path, {
    method: 'POST',
    headers: { 'X-MLFLOW-WORKSPACE': ws, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  assert.equal(res.status, 200, `MLflow ${path}`);
  return res.json();
}

/** `kubectl describe quota kf-resource-quota -n ns` as {resource: [used, hard]}. */
async function kubectlDescribeQuota(ns) {
  const { stdout } = await promisify(execFile)(
    ENV.KFDASH_E2E_KUBECTL,
    ['--kubeconfig', ENV.KFDASH_E2E_KUBECONFIG, 'describe', 'quota', QUOTA, '-n', ns],
    { timeout: 60_000 },
  );
  const rows = {};
  let table = false;
  for (const line of stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.slice(0, 3).join(' ') === 'Resource Used Hard') table = true;
    else if (table && words.length === 3 && !/^-+$/.test(words[0])) rows[words[0]] = [words[1], words[2]];
  }
  return rows;
}

/** What the notebooks card should count, from the Notebooks as the API server holds them. */
function notebookCounts(items) {
  const out = { running: [], stopped: [], failing: [] };
  for (const nb of items) {
    const stopped = nb.metadata.annotations?.['kubeflow-resource-stopped'] !== undefined;
    const ready = (nb.status?.readyReplicas ?? 0) >= 1;
    const waiting = nb.status?.containerState?.waiting?.reason;
    if (nb.metadata.deletionTimestamp) continue;
    if (stopped) out.stopped.push(nb.metadata.name);
    else if (ready) out.running.push(nb.metadata.name);
    else if (waiting && BROKEN.has(waiting)) out.failing.push(nb.metadata.name);
  }
  return out;
}

/** The text of a glance count (its big number) by its testid inside card `card`. */
async function count(card, id) {
  const el = card.getByTestId(`count-${id}`);
  const n = await el.locator('dd').textContent();
  assert.equal(await el.getAttribute('data-count'), n);
  return Number(n);
}

const glance = (page, ns) => page.locator(`[data-testid="glance"][data-namespace="${ns}"]`);
const card = (page, ns, id) => glance(page, ns).getByTestId(`glance-${id}`);

describe("Home's profile at a glance against the stack, in gateway mode", () => {
  let kf;
  const browsers = gatewayBrowsers(() => kf);
  const as = browsers.as;
  const made = [];

  before(async () => {
    kf = await startKubeKfdash({
      args: [
        '--trusted-header-peers', '127.0.0.1/32',
        '--mlflow-url', MLFLOW_URL,
        '--connect-to', ENV.KFDASH_E2E_CONNECT_TO,
        '--prometheus-url', ENV.KFDASH_E2E_PROMETHEUS_URL,
        '--prometheus-scrape-interval', String(EVERY),
      ],
    });
    // A stopped notebook and one whose image cannot be pulled, next to the seeded nb1 (running).
    const nb = (name, annotations = {}) => ({
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name, annotations },
      spec: { template: { spec: { containers: [{ name, image: `registry.invalid/no-such-image:${RUN}` }] } } },
    });
    await adminJSON('POST', NOTEBOOKS, nb(STOPPED_NB, { 'kubeflow-resource-stopped': new Date().toISOString() }));
    made.push(`${NOTEBOOKS}/${STOPPED_NB}`);
    await adminJSON('POST', NOTEBOOKS, nb(FAILING_NB));
    made.push(`${NOTEBOOKS}/${FAILING_NB}`);
    await adminJSON('PATCH', `${NOTEBOOKS}/${FAILING_NB}/status`, {
      status: {
        readyReplicas: 0,
        containerState: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "registry.invalid/no-such-image:${RUN}"` } },
        conditions: [],
      },
    }, MERGE);
    // A Spark application that failed a moment ago, next to the seeded app1 (running).
    await adminJSON('POST', SPARKAPPS, {
      apiVersion: 'sparkoperator.k8s.io/v1beta2',
      kind: 'SparkApplication',
      metadata: { name: FAILED_APP },
      spec: {
        type: 'Python', mode: 'cluster', image: 'spark:4.1.0-python3', sparkVersion: '4.1.0',
        mainApplicationFile: 'local:///opt/app/job.py',
        driver: { cores: 1, memory: '512m' }, executor: { instances: 1, cores: 1, memory: '512m' },
        restartPolicy: { type: 'Never' },
      },
    });
    made.push(`${SPARKAPPS}/${FAILED_APP}`);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await adminJSON('PATCH', `${SPARKAPPS}/${FAILED_APP}/status`, {
      status: {
        applicationState: { state: 'FAILED', errorMessage: 'driver container failed with ExitCode: 1' },
        lastSubmissionAttemptTime: now,
        terminationTime: now,
      },
    }, MERGE);
    // The Warning the kubelet would write about the failing notebook's pod.
    await adminJSON('POST', '/api/v1/namespaces/alice/events', {
      metadata: { name: EVENT, namespace: 'alice' },
      involvedObject: { kind: 'Pod', namespace: 'alice', name: `${FAILING_NB}-0`, apiVersion: 'v1' },
      reason: 'Failed',
      type: 'Warning',
      count: 1,
      message: WARNING_MESSAGE,
      source: { component: 'kubelet' },
      firstTimestamp: now,
      lastTimestamp: now,
    });
    made.push(`/api/v1/namespaces/alice/events/${EVENT}`);
  });

  after(async () => {
    await browsers.close();
    for (const path of made.reverse()) {
      await kubeAdmin('DELETE', path.includes('/pods/') ? `${path}?gracePeriodSeconds=0` : path).catch(() => {});
    }
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test("alice's Home shows alice at a glance: notebooks, Spark, endpoints, runs, quota and warnings as they are", async (t) => {
    const notebooks = notebookCounts((await adminJSON('GET', NOTEBOOKS)).items);
    assert.ok(notebooks.running.includes('nb1') && notebooks.stopped.includes(STOPPED_NB) && notebooks.failing.includes(FAILING_NB), JSON.stringify(notebooks));
    const apps = (await adminJSON('GET', SPARKAPPS)).items;
    const isvcs = (await adminJSON('GET', ISVCS)).items;
    const readyIsvcs = isvcs.filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.ok(readyIsvcs.some((i) => i.metadata.name === SEEDED));
    // MLflow's five most recent runs in workspace alice, over all its experiments.
    const exps = (await mlflow('/api/2.0/mlflow/experiments/search', 'alice', { max_results: 1000 })).experiments ?? [];
    const runs = (await mlflow('/api/2.0/mlflow/runs/search', 'alice', {
      experiment_ids: exps.map((e) => e.experiment_id),
      max_results: 5,
      order_by: ['attributes.start_time DESC'],
    })).runs ?? [];
    assert.ok(runs.length > 0, 'the stack seeds runs of experiment iris in alice');

    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/?ns=alice'));
      await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
      const g = glance(page, 'alice');
      await g.waitFor();
      assert.equal(await g.getByRole('heading', { level: 2 }).first().textContent(), 'alice at a glance');

      // Notebooks: nb1 runs, one stopped, one failing (named).
      const nbs = card(page, 'alice', 'notebooks');
      await nbs.getByTestId('count-running').waitFor();
      assert.equal(await count(nbs, 'running'), notebooks.running.length);
      assert.equal(await count(nbs, 'stopped'), notebooks.stopped.length);
      assert.equal(await count(nbs, 'failing'), notebooks.failing.length);
      assert.match(await nbs.textContent(), new RegExp(`Failing: .*${FAILING_NB}`));

      // Spark: app1 running, the failed one failed today.
      const spark = card(page, 'alice', 'spark');
      await spark.getByTestId('count-spark-running').waitFor();
      assert.equal(await count(spark, 'spark-running'), apps.filter((a) => a.status?.applicationState?.state === 'RUNNING').length);
      assert.ok((await count(spark, 'spark-running')) >= 1, 'app1 runs');
      const failedToday = apps.filter((a) => /FAIL/.test(a.status?.applicationState?.state ?? '') &&
        new Date(a.status?.terminationTime ?? 0).toDateString() === new Date().toDateString());
      assert.equal(await count(spark, 'spark-failed'), failedToday.length);
      assert.equal(await count(spark, 'spark-all'), apps.length);
      assert.match(await spark.textContent(), new RegExp(`Failed today: .*${FAILED_APP}`));

      // Endpoints: ready ones counted, each a row linking to its page.
      const eps = card(page, 'alice', 'endpoints');
      await eps.getByTestId('count-endpoints-ready').waitFor();
      assert.equal(await count(eps, 'endpoints-ready'), readyIsvcs.length);
      assert.equal(await count(eps, 'endpoints-not-ready'), isvcs.length - readyIsvcs.length);
      const row = eps.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`);
      assert.equal(await row.locator('.chip').textContent(), 'ready');
      assert.equal(await row.getByRole('link', { name: SEEDED }).getAttribute('href'), `/endpoints/details/${SEEDED}?ns=alice`);

      // Recent runs: MLflow's, newest first, each with its main metric.
      const rows = card(page, 'alice', 'runs').getByTestId('run-row');
      await rows.first().waitFor();
      assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.dataset.run)), runs.map((r) => r.info.run_id));
      for (const [i, r] of runs.entries()) {
        const li = rows.nth(i);
        assert.equal(await li.getByRole('link').textContent(), r.info.run_name || r.info.run_id);
        assert.equal(await li.getByRole('link').getAttribute('href'), `/experiments/${r.info.experiment_id}/runs/${r.info.run_id}?ns=alice`);
        const metric = await li.getAttribute('data-metric');
        const logged = (r.data.metrics ?? []).find((m) => m.key === metric);
        if ((r.data.metrics ?? []).length) {
          assert.ok(logged, `run ${r.info.run_id}: the metric shown (${metric}) is one it logged`);
          assert.equal(await li.locator('.glance-metric').textContent(), `${metric} = ${Number(logged.value.toPrecision(4))}`);
        }
      }

      // Quota: one bar per resource of kf-resource-quota (matched with the status in the next test).
      const bars = card(page, 'alice', 'quota').getByTestId('quota-resource');
      await bars.first().waitFor();
      assert.deepEqual(
        (await bars.evaluateAll((els) => els.map((e) => e.dataset.resource))).sort(),
        ['cpu', 'memory', 'persistentvolumeclaims', 'pods', 'requests.nvidia.com/gpu', 'requests.storage', 'services'],
      );

      // Recent warnings: the kubelet's, with its object and message.
      const warning = card(page, 'alice', 'warnings').getByTestId('warning-row').filter({ hasText: WARNING_MESSAGE });
      await warning.waitFor();
      assert.match(await warning.textContent(), new RegExp(`^Failed Pod ${FAILING_NB}-0`));

      // No card failed.
      assert.equal(await g.getByTestId('glance-error').count(), 0, await g.getByTestId('glance-error').allTextContents().then(String));
      assert.equal(await g.getByTestId('chart-error').count(), 0);
      assert.deepEqual(problems, []);
    });
  });

  test("each card's title links to its page, in the same namespace", async (t) => {
    const pages = [
      ['notebooks', 'Notebooks', '/notebooks', (p) => p.locator('[data-testid="notebook-row"][data-name="nb1"]')],
      ['spark', 'Spark applications', '/spark-applications', (p) => p.locator('[data-testid="spark-row"][data-name="app1"]')],
      ['endpoints', 'Endpoints', '/endpoints', (p) => p.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`).first()],
      ['runs', 'Recent MLflow runs', '/experiments', (p) => p.locator('[data-testid="experiment-row"][data-name="iris"]')],
      ['quota', 'Quota', '/diagnostics', (p) => p.getByRole('heading', { level: 1, name: 'Diagnostics' })],
      ['warnings', 'Recent warnings', '/activity', (p) => p.getByText(WARNING_MESSAGE).first()],
      ['usage', 'CPU and memory, last hour', '/notebooks', (p) => p.locator('[data-testid="notebook-row"][data-name="nb1"]')],
    ];
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      for (const [id, title, path, shown] of pages) {
        await page.goto(at('/?ns=alice'));
        const link = card(page, 'alice', id).getByRole('heading', { level: 2 }).getByRole('link', { name: title, exact: true });
        assert.equal(await link.getAttribute('href'), `${path}?ns=alice`, id);
        await page.evaluate(() => {
          window.kfdashSamePage = true;
        });
        await link.click();
        await page.waitForURL((u) => u.pathname === path && u.searchParams.get('ns') === 'alice');
        await shown(page).waitFor();
        assert.equal(await page.evaluate(() => window.kfdashSamePage), true, `${id}: no page load`);
        assert.equal(await page.getByTestId('namespace-selector').inputValue(), 'alice');
      }
      // A run of the runs card opens that run.
      await page.goto(at('/?ns=alice'));
      const first = card(page, 'alice', 'runs').getByTestId('run-row').first();
      const id = await first.getAttribute('data-run');
      await first.getByRole('link').click();
      await page.waitForURL((u) => u.pathname.endsWith(`/runs/${id}`));
      await page.getByTestId('run-detail').waitFor();
      assert.deepEqual(problems, []);
    });
  });

  test('the quota bars show the used and hard of the ResourceQuota and of kubectl describe quota', async (t) => {
    // A pod holding 1.5 CPU, 3Gi and 2 GPUs: the quota controller counts it (no kubelet runs here).
    const before = (await adminJSON('GET', `/api/v1/namespaces/alice/resourcequotas/${QUOTA}`)).status.used;
    await adminJSON('POST', '/api/v1/namespaces/alice/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: QUOTA_POD },
      spec: {
        automountServiceAccountToken: false,
        containers: [{
          name: 'main',
          image: 'busybox',
          resources: { requests: { cpu: '1500m', memory: '3Gi', 'nvidia.com/gpu': '2' }, limits: { 'nvidia.com/gpu': '2' } },
        }],
      },
    });
    made.push(`/api/v1/namespaces/alice/pods/${QUOTA_POD}`);
    const status = await poll(async () => {
      const st = (await adminJSON('GET', `/api/v1/namespaces/alice/resourcequotas/${QUOTA}`)).status;
      return st.used.pods !== before.pods && st.used['requests.nvidia.com/gpu'] !== before['requests.nvidia.com/gpu'] && st;
    }, 'the quota controller counting the pod');
    const described = await kubectlDescribeQuota('alice');
    // kfdash reads the quota from its cache: wait until it has the same.
    await poll(async () => {
      const r = await gatewayFetch(kf.url, ALICE, 'GET', '/api/namespaces/alice/quota');
      const q = (await r.json()).quotas?.[0];
      return q?.resources.every((x) => x.used === status.used[x.resource]);
    }, "kfdash's quota up to date");

    await as(ALICE, t, async (page) => {
      await page.goto(at('/?ns=alice'));
      const quota = card(page, 'alice', 'quota');
      const bars = quota.getByTestId('quota-resource');
      await bars.first().waitFor();
      assert.equal(await quota.locator('.quota-name').textContent(), QUOTA);
      const shown = await bars.evaluateAll((els) =>
        els.map((e) => ({
          resource: e.querySelector('.quota-label > span:first-child').textContent,
          numbers: e.querySelector('.quota-label .muted').textContent,
          now: Number(e.querySelector('[role="meter"]').getAttribute('aria-valuenow')),
          max: Number(e.querySelector('[role="meter"]').getAttribute('aria-valuemax')),
          width: e.querySelector('.quota-fill').style.width,
        })),
      );
      assert.deepEqual(shown.map((s) => s.resource).sort(), Object.keys(status.hard).sort());
      for (const s of shown) {
        const used = status.used[s.resource];
        const hard = status.hard[s.resource];
        assert.equal(s.numbers, `${used} / ${hard}`, s.resource);
        assert.deepEqual(described[s.resource], [used, hard], `kubectl describe quota: ${s.resource}`);
        assert.ok(Math.abs(parseFloat(s.width) - (100 * s.now) / s.max) < 0.1, `${s.resource}: ${s.width} of ${s.now}/${s.max}`);
      }
      const byName = Object.fromEntries(shown.map((s) => [s.resource, s]));
      assert.equal(byName['requests.nvidia.com/gpu'].now, Number(status.used['requests.nvidia.com/gpu']));
      assert.equal(byName['requests.nvidia.com/gpu'].max, 4);
      assert.equal(parseFloat(byName['requests.nvidia.com/gpu'].width), (100 * byName['requests.nvidia.com/gpu'].now) / 4);
      assert.ok(byName.cpu.now >= 1.5 && byName.cpu.max === 16, JSON.stringify(byName.cpu));
      assert.ok(byName.memory.now >= 3 * 2 ** 30 && byName.memory.max === 64 * 2 ** 30, JSON.stringify(byName.memory));
    });
  });

  test("predictions sent through kfdash show in the endpoint's request chart within a scrape interval of a refresh", async (t) => {
    const infer = async (n) => {
      for (let i = 0; i < n; i++) {
        const r = await gatewayFetch(kf.url, ALICE, 'POST', `/serving/alice/${SEEDED}/v2/models/${SEEDED}/infer`, INFER);
        assert.equal(r.status, 200, await r.text());
      }
    };
    const rate = async () => {
      const r = await gatewayFetch(kf.url, ALICE, 'GET', `/api/namespaces/alice/charts/endpoint-requests?name=${SEEDED}&range=120&step=${EVERY}`);
      assert.equal(r.status, 200);
      const series = (await r.json()).series;
      const values = (series[0]?.points ?? []).map((p) => p[1]).filter((v) => v !== null);
      return values.length ? values[values.length - 1] : null;
    };
    // MLServer makes its counters at the first inference: wait for the series, then for a quiet
    // endpoint (no earlier predictions left in the rate's window).
    await infer(1);
    await sleep((2 * EVERY + 1) * 1000); // scraped for sure: the quiet seen next comes after it
    await poll(async () => (await rate()) !== null, "the endpoint's series in Prometheus", 6 * EVERY * 1000, 1000);
    await poll(async () => (await rate()) === 0, 'a quiet endpoint', (8 * EVERY + 30) * 1000, 1000);

    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at(`/endpoints/details/${SEEDED}?ns=alice`));
      const charts = page.getByTestId('endpoint-charts');
      await charts.getByRole('heading', { name: 'Traffic, last hour' }).waitFor();
      const requests = charts.locator('[data-testid="chart-panel"][data-chart="endpoint-requests"]');
      const legend = requests.getByTestId('chart-series');
      await legend.waitFor();
      assert.equal(await legend.count(), 1, 'one series: this endpoint');
      assert.equal(await legend.getAttribute('data-last'), '0');
      assert.match(await legend.textContent(), /0 req\/s$/);
      // uPlot drew it on a canvas.
      await requests.locator('[data-testid="time-chart"][data-drawn="1"] canvas').first().waitFor();
      for (const chart of ['endpoint-errors', 'endpoint-latency']) {
        await charts.locator(`[data-testid="chart-panel"][data-chart="${chart}"] [data-testid="time-chart"] canvas`).first().waitFor();
      }

      // Right after the page has asked for the chart, the predictions: the page shows them by
      // its next refreshes, within a scrape interval of Prometheus having them.
      let quiet = null;
      for (let i = 0; i < 10 && quiet === null; i++) {
        const res = await page.waitForResponse((r) => r.url().includes(`/charts/endpoint-requests?`), { timeout: 60_000 });
        assert.equal(res.status(), 200);
        const points = (await res.json()).series[0]?.points ?? [];
        if (points.length && points[points.length - 1][1] === 0) quiet = res;
      }
      assert.ok(quiet, 'the page asked for the chart again and it was quiet');
      await poll(async () => (await legend.getAttribute('data-last')) === '0', 'the legend at 0');
      const sent = Date.now();
      await infer(5);
      await poll(async () => Number((await legend.getAttribute('data-last')) || 0) > 0, 'the predictions in the chart', (3 * EVERY + 40) * 1000);
      const took = (Date.now() - sent) / 1000;
      t.diagnostic(`the chart showed the predictions ${took.toFixed(1)} s after they were sent (scrape interval ${EVERY} s)`);
      assert.ok(took <= 2 * EVERY + 4, `the chart showed the predictions ${took.toFixed(1)} s after they were sent (scrape interval ${EVERY} s)`);
      assert.match(await legend.textContent(), /[0-9.]+ req\/s$/);
      assert.doesNotMatch(await legend.textContent(), / 0 req\/s$/);
      await requests.locator('[data-testid="time-chart"][data-drawn="1"] canvas').first().waitFor();

      // Home's endpoints card draws the same and puts the rate in the endpoint's row.
      await infer(5);
      await page.goto(at('/?ns=alice'));
      const eps = card(page, 'alice', 'endpoints');
      const homeChart = eps.locator('[data-testid="chart-panel"][data-chart="endpoint-requests"]');
      await homeChart.locator('[data-testid="time-chart"] canvas').first().waitFor();
      const homeLegend = homeChart.locator(`[data-testid="chart-series"][data-label="${SEEDED}"]`);
      await homeLegend.waitFor();
      const row = eps.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`);
      await poll(async () => Number((await row.getAttribute('data-rate')) || 0) > 0, "the rate in Home's endpoint row", (3 * EVERY + 40) * 1000);
      const cells = await row.locator('td').allTextContents();
      assert.match(cells[2], /^[0-9.]+ req\/s$/);
      assert.equal(cells[3], '0 %', 'no errors');
      // The CPU and memory of the hour: nb1 and app1 of alice, drawn.
      const usage = card(page, 'alice', 'usage');
      for (const chart of ['notebook-cpu', 'notebook-memory', 'spark-cpu', 'spark-memory']) {
        const panel = usage.locator(`[data-testid="chart-panel"][data-chart="${chart}"]`);
        await panel.locator('[data-testid="time-chart"] canvas').first().waitFor({ timeout: 20_000 });
        assert.ok((await panel.getByTestId('chart-series').count()) >= 1, chart);
      }
      const nbLabels = await usage.locator('[data-chart="notebook-memory"] [data-testid="chart-series"]').evaluateAll((els) => els.map((e) => e.dataset.label));
      assert.ok(nbLabels.some((l) => l.includes('nb1')), nbLabels.join());
      assert.ok(!nbLabels.some((l) => l.includes('nb2')), `bob's notebook is not alice's: ${nbLabels.join()}`);
      assert.deepEqual(problems, []);
    });
  });

  test("carol (viewer) sees alice's glance without actions, and her own when she picks carol", async (t) => {
    const notebooks = notebookCounts((await adminJSON('GET', NOTEBOOKS)).items);
    await as(CAROL, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/?ns=alice'));
      const g = glance(page, 'alice');
      await g.waitFor();
      const nbs = card(page, 'alice', 'notebooks');
      await nbs.getByTestId('count-running').waitFor();
      assert.equal(await count(nbs, 'running'), notebooks.running.length);
      assert.equal(await count(nbs, 'failing'), notebooks.failing.length);
      await card(page, 'alice', 'endpoints').locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`).waitFor();
      await card(page, 'alice', 'quota').getByTestId('quota-resource').first().waitFor();
      await card(page, 'alice', 'runs').getByTestId('run-row').first().waitFor();
      // Read-only: nothing to press but links.
      assert.equal(await g.getByRole('button').count(), 0);
      assert.equal(await g.getByTestId('glance-error').count(), 0);
      assert.doesNotMatch(await g.textContent(), /nb2/);

      // Her selector: alice (viewer) and carol (owner), never bob.
      const selector = page.getByTestId('namespace-selector');
      assert.deepEqual((await selector.locator('option').evaluateAll((os) => os.map((o) => o.value))).sort(), ['alice', 'carol']);
      await selector.selectOption('carol');
      await page.waitForURL((u) => u.searchParams.get('ns') === 'carol');
      const mine = glance(page, 'carol');
      await mine.waitFor();
      assert.equal(await glance(page, 'alice').count(), 0, "alice's cards are gone");
      const nbCarol = card(page, 'carol', 'notebooks');
      await nbCarol.getByTestId('count-running').waitFor();
      for (const id of ['running', 'stopped', 'failing']) assert.equal(await count(nbCarol, id), 0, id);
      const spCarol = card(page, 'carol', 'spark');
      await spCarol.getByTestId('count-spark-all').waitFor();
      assert.equal(await count(spCarol, 'spark-all'), 0);
      const epCarol = card(page, 'carol', 'endpoints');
      await epCarol.getByTestId('count-endpoints-ready').waitFor();
      assert.equal(await count(epCarol, 'endpoints-ready'), 0);
      assert.equal(await epCarol.getByTestId('endpoint-row').count(), 0);
      await card(page, 'carol', 'quota').getByText('carol has no resource quota: nothing limits what it may use.').waitFor();
      await card(page, 'carol', 'runs').getByText('No runs yet in carol.').waitFor();
      await card(page, 'carol', 'warnings').getByText('No warnings in carol.').waitFor();
      const text = await mine.textContent();
      for (const other of ['nb1', 'nb2', 'app1', SEEDED, FAILING_NB, WARNING_MESSAGE]) assert.ok(!text.includes(other), other);
      assert.equal(await mine.getByTestId('glance-error').count(), 0);

      // Back to alice: her cards again.
      await selector.selectOption('alice');
      await card(page, 'alice', 'endpoints').locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"]`).waitFor();
      assert.equal(await glance(page, 'carol').count(), 0);

      // bob's namespace is not hers: asked for by a link, she gets one note, no cards, no refusals.
      await page.goto(at('/?ns=bob'));
      await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
      const none = glance(page, 'bob').getByTestId('glance-no-role');
      await none.waitFor();
      assert.match(await none.textContent(), /^You have no role in bob, so nothing of it is shown here/);
      assert.equal(await glance(page, 'bob').locator('[data-testid^="glance-"]').count(), 1, 'no card');
      await sleep(1000);
      assert.doesNotMatch(await page.locator('main').textContent(), /nb2|HTTP 403/);
      const status = await page.evaluate(async () => (await fetch('/api/namespaces/bob/quota')).status);
      assert.equal(status, 403);
      assert.deepEqual(problems, []);
    });
  });

  test('without Prometheus and MLflow the cards concerned say so in a short note, and the rest works', async (t) => {
    // startKubeKfdash passes the stack's MLflow when KFDASH_E2E_MLFLOW_URL is set: this one has none.
    delete process.env.KFDASH_E2E_MLFLOW_URL;
    let bare;
    try {
      // Nor from the environment (a shell that sourced the stack's env exports PROMETHEUS_URL).
      bare = await startKubeKfdash({
        args: ['--trusted-header-peers', '127.0.0.1/32'],
        env: { PROMETHEUS_URL: '', KFDASH_MLFLOW_URL: '' },
      });
    } finally {
      process.env.KFDASH_E2E_MLFLOW_URL = MLFLOW_URL;
    }
    try {
      assert.equal((await (await gatewayFetch(bare.url, ALICE, 'GET', '/api/charts')).json()).configured, false);
      const ml = await gatewayFetch(bare.url, ALICE, 'GET', '/mlflow/ajax-api/2.0/mlflow/experiments/search');
      assert.equal(ml.status, 503, 'no MLflow behind this kfdash');
      await as(ALICE, t, async (page) => {
        const problems = watchProblems(page);
        await page.goto(`${bare.url}/?ns=alice`);
        const g = glance(page, 'alice');
        await g.waitFor();
        const runs = card(page, 'alice', 'runs');
        await runs.getByTestId('glance-note').waitFor();
        assert.equal(await runs.getByTestId('glance-note').textContent(), 'MLflow is not configured (mlflow.url).');
        const eps = card(page, 'alice', 'endpoints');
        await eps.getByTestId('glance-note').waitFor();
        assert.equal(await eps.getByTestId('glance-note').textContent(), 'Request rates and errors need Prometheus: kfdash has none configured (prometheus.url).');
        assert.equal(await count(eps, 'endpoints-ready'), 1);
        const cells = await eps.locator(`[data-testid="endpoint-row"][data-name="${SEEDED}"] td`).allTextContents();
        assert.deepEqual(cells.slice(1), ['ready', '–', '–']);
        assert.equal(await eps.getByTestId('chart-panel').count(), 0);
        const usage = card(page, 'alice', 'usage');
        assert.equal(await usage.getByTestId('glance-note').textContent(), 'Charts need Prometheus: kfdash has none configured (prometheus.url).');
        // The rest works.
        const nbs = card(page, 'alice', 'notebooks');
        await nbs.getByTestId('count-running').waitFor();
        assert.ok((await count(nbs, 'running')) >= 1);
        await card(page, 'alice', 'quota').getByTestId('quota-resource').first().waitFor();
        await card(page, 'alice', 'warnings').getByTestId('warning-row').filter({ hasText: WARNING_MESSAGE }).waitFor();
        assert.equal(await g.getByTestId('glance-error').count(), 0, (await g.getByTestId('glance-error').allTextContents()).join());
        assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
        // An endpoint's page says the same of its charts, and still shows the endpoint.
        await eps.getByRole('link', { name: SEEDED }).click();
        await page.waitForURL((u) => u.pathname === `/endpoints/details/${SEEDED}`);
        await page.getByTestId('endpoint-detail').waitFor();
        assert.equal(await page.getByTestId('charts-not-configured').textContent(), 'Charts need Prometheus: kfdash has none configured (prometheus.url).');
        assert.deepEqual(problems, []);
      });
    } finally {
      await bare.stop();
    }
  });
});
