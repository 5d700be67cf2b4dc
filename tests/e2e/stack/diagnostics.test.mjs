// The Diagnostics page in a real browser against the local stack's real apiserver, in gateway
// mode (the user is whoever the `kubeflow-userid` header names). The stack has no StorageClass:
// the page says so; with a class that is not the default it gives the kubectl patch to copy,
// and once the class is the default, "Check again" finds nothing wrong.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                         the stack's admin client certificate: to make and remove a
//                         StorageClass

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gatewayBrowsers, watchProblems } from '../lib/harness.mjs';
import { kubeAdmin, startAppsKfdash } from '../lib/kube.mjs';
import { KUBE, KUBE_ADMIN, stackEnv } from '../lib/stack.mjs';

stackEnv(KUBE, KUBE_ADMIN);

const ALICE = 'alice@example.com';
const ADMIN = 'admin@example.com';
/** Unique per run: a class made here never meets a leftover of an earlier run. */
const RUN = randomBytes(3).toString('hex');
const CLASS = `e2e-diag-${RUN}`;
const CLASSES = '/apis/storage.k8s.io/v1/storageclasses';
const PATCH =
  `kubectl patch storageclass ${CLASS} -p ` +
  `'{"metadata": {"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'`;
/** The diagnostics walk the whole cluster and ask Dex: allow more than the default 10 s. */
const CHECK_TIMEOUT_MS = 30_000;

/** The checks on the page as {name: [ok, detail]}. */
const checks = (page) =>
  page.getByTestId('diagnostics-check').evaluateAll((lis) =>
    Object.fromEntries(
      lis.map((li) => [li.dataset.name, [li.dataset.ok === 'true', li.querySelector('.diag-check-detail').textContent]]),
    ),
  );

/** The finding whose heading is `title` (its accessible name starts with the severity). */
const findingTitled = (page, severity, title) =>
  page
    .getByTestId('diagnostics-finding')
    .filter({ has: page.getByRole('heading', { level: 3, name: `${severity}: ${title}`, exact: true }) });

describe('the Diagnostics page against the stack apiserver, in gateway mode', () => {
  let kf;
  /** One browser per user; the copy button writes to the clipboard, and the test reads it back. */
  const browsers = gatewayBrowsers(() => kf, { permissions: ['clipboard-read', 'clipboard-write'] });
  const as = browsers.as;

  before(async () => {
    // Applications on hosts of their own: kfdash has nothing of its own to warn about.
    kf = await startAppsKfdash({
      args: ['--cluster-admins', ADMIN, '--trusted-header-peers', '127.0.0.1/32'],
    });
  });

  after(async () => {
    await browsers.close();
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test('alice opens Diagnostics from the sidebar and is told the cluster has no StorageClass', async (t) => {
    await as(ALICE, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/'));
      const link = page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Diagnostics', exact: true });
      await link.click();
      await page.waitForURL((url) => url.pathname === '/diagnostics');
      await page.getByRole('heading', { level: 1, name: 'Diagnostics' }).waitFor();
      assert.equal(await link.getAttribute('aria-current'), 'page');

      const summary = page.getByTestId('diagnostics-summary');
      await summary.getByText(/checked at/).waitFor({ timeout: CHECK_TIMEOUT_MS });
      assert.match(await summary.textContent(), /^[1-9]\d* errors?, \d+ warnings? · checked at .+/);
      assert.equal(await page.title(), 'Diagnostics · kfdash');

      const c = await checks(page);
      assert.deepEqual(c.apiserver?.[0], true, JSON.stringify(c));
      assert.deepEqual(c.storageclasses, [false, 'no StorageClass']);
      for (const name of ['events', 'persistentvolumeclaims', 'pods', 'notebooks']) assert.ok(name in c, name);

      const none = findingTitled(page, 'Error', 'No StorageClass');
      assert.equal(await none.count(), 1);
      assert.equal(await none.getAttribute('data-severity'), 'error');
      assert.equal(await none.getAttribute('data-namespace'), null);
      await none.getByText('Cluster-wide').waitFor();
      const fix = none.getByTestId('diagnostics-fix');
      assert.match(await fix.textContent(), /^Fix: Create a StorageClass: .*is-default-class/);
      // Prose, not a command: nothing to copy.
      assert.equal(await none.getByTestId('diagnostics-command').count(), 0);
      assert.equal(await page.getByTestId('diagnostics-empty').count(), 0);
      assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
      assert.deepEqual(problems, []);
    });
  });

  test('with a class that is not the default, the patch is there to copy; run, Check again finds nothing', async (t) => {
    try {
      await as(ALICE, t, async (page) => {
        const problems = watchProblems(page);
        await page.goto(at('/diagnostics'));
        await findingTitled(page, 'Error', 'No StorageClass').waitFor({ timeout: CHECK_TIMEOUT_MS });

        const made = await kubeAdmin('POST', CLASSES, {
          apiVersion: 'storage.k8s.io/v1',
          kind: 'StorageClass',
          metadata: { name: CLASS },
          provisioner: 'kubernetes.io/no-provisioner',
        });
        assert.equal(made.status, 201, made.text);

        const again = page.getByRole('button', { name: 'Check again' });
        await again.click();
        const noDefault = findingTitled(page, 'Error', 'No default StorageClass');
        await noDefault.waitFor({ timeout: CHECK_TIMEOUT_MS });
        assert.equal(await findingTitled(page, 'Error', 'No StorageClass').count(), 0);
        assert.match(await noDefault.getByTestId('diagnostics-fix').textContent(), /^Fix: Make one the default:/);
        const command = noDefault.getByTestId('diagnostics-command');
        assert.equal(await command.textContent(), PATCH);
        const c = await checks(page);
        assert.deepEqual(c.storageclasses, [false, `${CLASS}; no default`]);

        const copy = noDefault.getByRole('button', { name: 'Copy command' });
        await copy.click();
        await noDefault.getByRole('status').getByText('Copied').waitFor();
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), PATCH);

        // Run what the page says (its -p document, as a merge patch), then check again.
        const patch = JSON.parse(PATCH.slice(PATCH.indexOf("'") + 1, -1));
        const patched = await kubeAdmin('PATCH', `${CLASSES}/${CLASS}`, patch, 'application/merge-patch+json');
        assert.equal(patched.status, 200, patched.text);
        await again.click();
        await noDefault.waitFor({ state: 'detached', timeout: CHECK_TIMEOUT_MS });
        await page.locator('[data-testid="diagnostics-check"][data-name="storageclasses"][data-ok="true"]').waitFor();
        assert.deepEqual((await checks(page)).storageclasses, [true, `${CLASS}; default: ${CLASS}`]);
        const titles = await page.locator('.diag-finding-title').allTextContents();
        assert.ok(!titles.some((x) => x.includes('StorageClass')), JSON.stringify(titles));
        assert.deepEqual(problems, []);
      });

      // Someone with no namespace sees only the cluster's findings: with the default class, none.
      await as(`nobody-${RUN}@example.com`, t, async (page) => {
        const problems = watchProblems(page);
        await page.goto(at('/'));
        await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Diagnostics', exact: true }).click();
        await page.getByTestId('diagnostics-empty').getByText('No problems found').waitFor({ timeout: CHECK_TIMEOUT_MS });
        assert.match(await page.getByTestId('diagnostics-summary').textContent(), /^0 errors, 0 warnings · checked at /);
        assert.equal(await page.getByTestId('diagnostics-finding').count(), 0);
        assert.deepEqual(problems, []);
      });
    } finally {
      await kubeAdmin('DELETE', `${CLASSES}/${CLASS}`);
    }
  });
});
