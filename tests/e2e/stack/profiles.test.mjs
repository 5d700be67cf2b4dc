// Profiles in a real browser against the local stack's real apiserver, in gateway mode (the user
// is whoever the `kubeflow-userid` header names): the namespace selector with each user's roles
// (alice owned by alice, bob contributor, carol viewer; bob and carol own their own), the choice
// kept in ?ns= and localStorage, registration, manage contributors (read-only for non-owners),
// the activity of a namespace and the cluster admin's Users page.
//
// It needs the stack and runs from tests/integration/stack/test_browser.py, which starts it with
// (without them it fails at once; it never skips):
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                         the stack's apiserver, as kfdash's ServiceAccount
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                         the stack's admin client certificate: to make events and to clean up
//                         what the tests made
// A test whose server route is missing fails, naming the route.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gatewayBrowsers, gatewayFetch, routeProbes, watchProblems } from '../lib/harness.mjs';
import { kubeAdmin, startKubeKfdash } from '../lib/kube.mjs';
import { KUBE, KUBE_ADMIN, stackEnv } from '../lib/stack.mjs';

stackEnv(KUBE, KUBE_ADMIN);

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const ADMIN = 'admin@example.com';
const NAMESPACE_KEY = 'kfdash.namespace';
/** Unique per run: names made here never meet a leftover of an earlier run. */
const RUN = randomBytes(3).toString('hex');

const links = {
  menuLinks: [{ type: 'item', link: '/volumes/{ns}/', text: 'Volumes Marten-4', icon: 'device:storage' }],
};

/** The selector's options as [{value, text, role}]. */
const options = (page) =>
  page.getByTestId('namespace-selector').evaluate((s) =>
    [...s.options].map((o) => ({ value: o.value, text: o.textContent, role: o.dataset.role ?? '' })),
  );

const selected = (page) => page.getByTestId('namespace-selector').inputValue();

describe('profiles against the stack apiserver, in gateway mode', () => {
  let kf;
  /** One browser per user (browsers.as(email, t, fn)), kept for the file. */
  const browsers = gatewayBrowsers(() => kf);
  const as = browsers.as;
  /** Server routes that answered 404 "no such API route" (not there yet) fail the tests that need them. */
  const { probe, needs } = routeProbes();

  /** Calls kfdash as `email` the way the gateway would (used to clean up, never to test). */
  const api = (email, method, path, body) => gatewayFetch(kf.url, email, method, path, body);

  before(async () => {
    kf = await startKubeKfdash({
      config: { dashboard: { links } },
      args: ['--cluster-admins', ADMIN, '--trusted-header-peers', '127.0.0.1/32'],
    });
    // Which of the routes these pages use the server has yet to grow (reported by each test).
    const probes = {
      'GET /api/profiles/:ns/contributors': [BOB, 'GET', '/api/profiles/bob/contributors'],
      'POST /api/profiles': [BOB, 'POST', '/api/profiles', { namespace: 'Not_A_Name' }],
      'POST /api/profiles/:ns/contributors': [CAROL, 'POST', '/api/profiles/alice/contributors', { user: 'x@y' }],
      'GET /api/workgroup/get-all-namespaces': [ADMIN, 'GET', '/api/workgroup/get-all-namespaces'],
      'GET /api/activities': [BOB, 'GET', '/api/activities/bob'],
      'GET /api/admin/users': [ADMIN, 'GET', '/api/admin/users'],
    };
    await probe(kf.url, probes);
  });

  after(async () => {
    await browsers.close();
    await kf?.stop();
  });

  const at = (path) => kf.url + path;

  test("bob's selector lists alice as contributor and bob as owner, with bob chosen", async (t) => {
    await as(BOB, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/'));
      await page.getByTestId('namespace-selector').waitFor();
      assert.deepEqual(
        (await options(page)).map((o) => [o.value, o.role]),
        [
          ['alice', 'contributor'],
          ['bob', 'owner'],
        ],
      );
      const texts = (await options(page)).map((o) => o.text);
      assert.match(texts[0], /alice.*contributor/);
      assert.match(texts[1], /bob.*owner/);
      // Nothing chosen before: the namespace bob owns.
      assert.equal(await selected(page), 'bob');
      const volumes = page.getByRole('link', { name: 'Volumes Marten-4', exact: true });
      assert.equal(await volumes.getAttribute('href'), '/_/volumes/bob/?ns=bob');
      assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
      assert.deepEqual(problems, []);
    });
  });

  test('choosing alice keeps it in ?ns= and localStorage, across a reload and a visit without ?ns=', async (t) => {
    await as(BOB, t, async (page) => {
      await page.goto(at('/activity'));
      await page.getByTestId('namespace-selector').waitFor();
      await page.evaluate(() => {
        window.kfdashSamePage = true;
      });
      await page.getByTestId('namespace-selector').selectOption('alice');
      await page.waitForURL((url) => url.pathname === '/activity' && url.searchParams.get('ns') === 'alice');
      assert.equal(await page.evaluate(() => window.kfdashSamePage), true, 'no page load');
      assert.equal(await page.evaluate((k) => localStorage.getItem(k), NAMESPACE_KEY), 'alice');
      // {ns} links and the dashboard's own links follow at once.
      const volumes = page.getByRole('link', { name: 'Volumes Marten-4', exact: true });
      assert.equal(await volumes.getAttribute('href'), '/_/volumes/alice/?ns=alice');
      const menu = page.getByRole('navigation', { name: 'Main menu' });
      assert.equal(await menu.getByRole('link', { name: 'Home' }).getAttribute('href'), '/?ns=alice');
      await page.getByRole('heading', { level: 2, name: /Events in alice/ }).waitFor();

      await page.reload();
      await page.getByTestId('namespace-selector').waitFor();
      assert.equal(await selected(page), 'alice');
      assert.equal(new URL(page.url()).searchParams.get('ns'), 'alice');

      await page.goto(at('/'));
      await page.getByTestId('namespace-selector').waitFor();
      assert.equal(await selected(page), 'alice', 'from localStorage');
      assert.equal(await volumes.getAttribute('href'), '/_/volumes/alice/?ns=alice');

      // Back to bob for the tests after this one.
      await page.getByTestId('namespace-selector').selectOption('bob');
      await page.waitForURL((url) => url.searchParams.get('ns') === 'bob');
      assert.equal(await page.evaluate((k) => localStorage.getItem(k), NAMESPACE_KEY), 'bob');
    });
  });

  test('a stored namespace that is not one of the user\'s gives way to their own', async (t) => {
    await as(CAROL, t, async (page) => {
      await page.goto(at('/'));
      await page.evaluate((k) => localStorage.setItem(k, 'bob'), NAMESPACE_KEY);
      await page.reload();
      await page.getByTestId('namespace-selector').waitFor();
      assert.deepEqual(
        (await options(page)).map((o) => [o.value, o.role]),
        [
          ['alice', 'viewer'],
          ['carol', 'owner'],
        ],
      );
      assert.equal(await selected(page), 'carol');
    });
  });

  test('a user with no namespace is offered to create one; the name is checked before sending', async (t) => {
    const email = `Dora.Nash+${RUN}@Example.com`;
    const proposed = `dora-nash-${RUN}`;
    await as(email, t, async (page) => {
      const problems = watchProblems(page);
      const posts = [];
      page.on('request', (req) => {
        if (req.method() === 'POST') posts.push(req.url());
      });
      await page.goto(at('/'));
      const empty = page.getByTestId('namespace-empty');
      await empty.waitFor();
      assert.equal(await page.getByTestId('namespace-selector').count(), 0);
      await page.getByTestId('home-no-namespace').waitFor();
      const link = empty.getByRole('link', { name: 'Create your namespace' });
      assert.equal(await link.getAttribute('href'), '/register');
      assert.equal(await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Activity' }).count(), 0);

      await link.click();
      await page.waitForURL((url) => url.pathname === '/register');
      await page.getByRole('heading', { level: 1, name: 'Create your namespace' }).waitFor();
      const name = page.getByLabel('Namespace name');
      await name.waitFor();
      assert.equal(await name.inputValue(), proposed);

      const submit = page.getByTestId('register-submit');
      for (const [bad, message] of [
        ['', 'Enter a name'],
        ['Upper', 'lowercase'],
        ['has_underscore', "digits and '-'"],
        ['-dash', "not '-'"],
        ['x'.repeat(64), 'at most 63 characters'],
      ]) {
        await name.fill(bad);
        await submit.click();
        await page.getByTestId('register-form').locator('.field-error').getByText(message).waitFor();
        assert.equal(await name.getAttribute('aria-invalid'), 'true');
      }
      assert.deepEqual(posts, [], 'nothing was sent');
      assert.deepEqual(problems, []);
    });
  });

  test('registering creates the namespace and lands Home with it selected as owner', async (t) => {
    needs('POST /api/profiles');
    const email = `reg-${RUN}@example.com`;
    const ns = `e2e-reg-${RUN}`;
    try {
      await as(email, t, async (page) => {
        await page.goto(at('/register'));
        const name = page.getByLabel('Namespace name');
        await name.waitFor();
        assert.equal(await name.inputValue(), `reg-${RUN}`);
        await name.fill(ns);
        await page.getByTestId('register-submit').click();
        await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('ns') === ns, { timeout: 20_000 });
        await page.getByTestId('namespace-selector').waitFor();
        assert.equal(await selected(page), ns);
        assert.deepEqual(
          (await options(page)).map((o) => [o.value, o.role]),
          [[ns, 'owner']],
        );
        assert.equal(await page.evaluate((k) => localStorage.getItem(k), NAMESPACE_KEY), ns);
        assert.equal(await page.getByTestId('home-no-namespace').count(), 0);

        // The same name again is refused by the server, and said next to the field.
        await page.goto(at('/register'));
        await name.fill(ns);
        await page.getByTestId('register-submit').click();
        await page.getByText(`A namespace named “${ns}” already exists`).waitFor();
      });
    } finally {
      await kubeAdmin('DELETE', `/apis/kubeflow.org/v1/profiles/${ns}`);
      await kubeAdmin('DELETE', `/api/v1/namespaces/${ns}`);
    }
  });

  test("carol sees alice's contributors read-only, and can manage her own namespace", async (t) => {
    needs('GET /api/profiles/:ns/contributors');
    await as(CAROL, t, async (page) => {
      const problems = watchProblems(page);
      await page.goto(at('/contributors'));
      await page.getByRole('heading', { level: 1, name: 'Manage contributors' }).waitFor();
      const aliceCard = page.locator('[data-testid="contributors-card"][data-namespace="alice"]');
      const rows = aliceCard.getByTestId('contributor-row');
      await rows.first().waitFor();
      const people = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.user, tr.dataset.role]));
      assert.deepEqual(people, [
        [BOB, 'contributor'],
        [CAROL, 'viewer'],
      ]);
      assert.equal(await aliceCard.getByTestId('add-contributor').count(), 0, 'no add form');
      assert.equal(await aliceCard.getByTestId('remove-contributor').count(), 0, 'no remove buttons');
      assert.equal(await aliceCard.getByRole('button').count(), 0, 'no controls at all');

      const own = page.locator('[data-testid="contributors-card"][data-namespace="carol"]');
      await own.getByTestId('add-contributor').waitFor();
      assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
      assert.deepEqual(problems, []);
    });
  });

  test('bob adds a viewer to his namespace, and removes them after confirming', async (t) => {
    needs('GET /api/profiles/:ns/contributors', 'POST /api/profiles/:ns/contributors');
    const viewer = `viewer-${RUN}@example.com`;
    try {
      await as(BOB, t, async (page) => {
        const problems = watchProblems(page);
        await page.goto(at('/contributors'));
        const card = page.locator('[data-testid="contributors-card"][data-namespace="bob"]');
        const form = card.getByTestId('add-contributor');
        await form.waitFor();
        await card.getByTestId('owner-row').getByText(BOB).waitFor();
        const row = card.locator(`[data-testid="contributor-row"][data-user="${viewer}"]`);
        assert.equal(await row.count(), 0);

        // A bad address is caught before sending.
        await form.getByLabel('Email').fill('not-an-email');
        await form.getByRole('button', { name: 'Add' }).click();
        await form.getByText('Enter an email address such as').waitFor();

        await form.getByLabel('Email').fill(viewer);
        await form.getByLabel('Role').selectOption('viewer');
        await form.getByRole('button', { name: 'Add' }).click();
        await row.waitFor();
        assert.equal(await row.getAttribute('data-role'), 'viewer');
        assert.equal(await form.getByLabel('Email').inputValue(), '', 'the form is cleared');

        await page.reload();
        await row.waitFor();
        assert.equal(await row.getAttribute('data-role'), 'viewer', 'kept by the server');

        // Removing asks first: Cancel keeps them.
        await row.getByRole('button', { name: `Remove ${viewer} from bob` }).click();
        const dialog = page.getByRole('dialog', { name: `Remove ${viewer}?` });
        await dialog.waitFor();
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await dialog.waitFor({ state: 'detached' });
        assert.equal(await row.count(), 1);

        await row.getByRole('button', { name: `Remove ${viewer} from bob` }).click();
        await dialog.getByRole('button', { name: 'Remove' }).click();
        await row.waitFor({ state: 'detached' });
        await page.reload();
        await card.getByTestId('add-contributor').waitFor();
        await card.getByTestId('owner-row').waitFor();
        assert.equal(await row.count(), 0, 'gone for the server too');
        assert.deepEqual(problems, []);
      });
    } finally {
      await api(BOB, 'DELETE', '/api/profiles/bob/contributors', { user: viewer, role: 'viewer' }).catch(() => {});
    }
  });

  test('the Users page is in the sidebar of the cluster admin only', async (t) => {
    await as(BOB, t, async (page) => {
      await page.goto(at('/'));
      const menu = page.getByRole('navigation', { name: 'Main menu' });
      await menu.getByRole('link', { name: 'Manage contributors' }).waitFor();
      await page.getByTestId('namespace-selector').waitFor();
      assert.equal(await menu.getByRole('link', { name: 'Users', exact: true }).count(), 0);
      await page.goto(at('/admin/users'));
      await page.getByTestId('users-forbidden').getByText('Only cluster administrators').waitFor();
      assert.equal(await page.getByTestId('users-row').count(), 0);
    });
    await as(ADMIN, t, async (page) => {
      await page.goto(at('/'));
      const menu = page.getByRole('navigation', { name: 'Main menu' });
      const users = menu.getByRole('link', { name: 'Users', exact: true });
      await users.waitFor();
      await users.click();
      await page.waitForURL((url) => url.pathname === '/admin/users');
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      assert.equal(await users.getAttribute('aria-current'), 'page');
      assert.equal(await page.getByTestId('users-forbidden').count(), 0);
    });
  });

  test('the cluster admin lists, adds, disables, enables, resets and deletes a user', async (t) => {
    needs('GET /api/admin/users');
    const email = `user-${RUN}@example.com`;
    try {
      await as(ADMIN, t, async (page) => {
        const problems = watchProblems(page);
        await page.goto(at('/admin/users'));
        const rowOf = (who) => page.locator(`[data-testid="users-row"][data-email="${who}"]`);
        await rowOf(ALICE).waitFor();
        await rowOf(BOB).waitFor();

        const form = page.getByTestId('add-user');
        await form.getByLabel('Email').fill(email);
        await form.getByLabel('Password', { exact: true }).fill('short');
        await form.getByLabel('Password again').fill('short');
        await form.getByTestId('user-create-profile').uncheck();
        await form.getByRole('button', { name: 'Add user' }).click();
        await form.getByText('Use at least 8 characters.').waitFor();
        await form.getByLabel('Password', { exact: true }).fill('correct horse battery');
        await form.getByLabel('Password again').fill('correct horse batterY');
        await form.getByText('The two passwords differ.').waitFor();
        await form.getByLabel('Password again').fill('correct horse battery');
        await form.getByRole('button', { name: 'Add user' }).click();
        const row = rowOf(email);
        await row.waitFor();
        assert.equal(await row.getAttribute('data-disabled'), 'false');

        await row.getByRole('button', { name: `Disable ${email}` }).click();
        await page.locator(`[data-testid="users-row"][data-email="${email}"][data-disabled="true"]`).waitFor();
        await row.getByRole('button', { name: `Enable ${email}` }).click();
        await page.locator(`[data-testid="users-row"][data-email="${email}"][data-disabled="false"]`).waitFor();

        await row.getByRole('button', { name: `Reset the password of ${email}` }).click();
        const reset = page.getByRole('dialog', { name: `New password for ${email}` });
        await reset.getByLabel('New password', { exact: true }).fill('another good phrase');
        await reset.getByLabel('New password again').fill('another good phrase');
        await reset.getByRole('button', { name: 'Set password' }).click();
        await reset.waitFor({ state: 'detached' });
        await page.getByTestId('users-status').getByText(`New password set for ${email}.`).waitFor();

        await row.getByRole('button', { name: `Delete ${email}` }).click();
        const confirm = page.getByRole('dialog', { name: `Delete ${email}?` });
        await confirm.getByRole('button', { name: 'Cancel' }).click();
        assert.equal(await row.count(), 1, 'kept after cancelling');
        await row.getByRole('button', { name: `Delete ${email}` }).click();
        await confirm.getByRole('button', { name: 'Delete' }).click();
        await row.waitFor({ state: 'detached' });
        await page.reload();
        await rowOf(ALICE).waitFor();
        assert.equal(await row.count(), 0, 'gone for the server too');
        assert.equal(await page.getByRole('alert').count(), 0, 'no error banner');
        assert.deepEqual(problems, []);
      });
    } finally {
      await api(ADMIN, 'DELETE', `/api/admin/users/${encodeURIComponent(email)}`).catch(() => {});
    }
  });

  test("the cluster admin's selector and contributors page offer every profile", async (t) => {
    needs('GET /api/workgroup/get-all-namespaces', 'GET /api/profiles/:ns/contributors');
    await as(ADMIN, t, async (page) => {
      await page.goto(at('/contributors'));
      await page.getByTestId('namespace-selector').waitFor();
      const choices = await options(page);
      for (const ns of ['alice', 'bob', 'carol']) {
        assert.ok(choices.some((o) => o.value === ns && o.role === 'admin'), `${ns} in ${JSON.stringify(choices)}`);
      }
      const alice = page.locator('[data-testid="profile-row"][data-namespace="alice"]');
      await alice.getByText(ALICE).waitFor();
      await alice.getByText(BOB).waitFor();
      await alice.getByRole('button', { name: 'Manage alice' }).click();
      const card = page.locator('[data-testid="contributors-card"][data-namespace="alice"]');
      await card.getByTestId('add-contributor').waitFor();
      await card.locator(`[data-testid="contributor-row"][data-user="${CAROL}"]`).waitFor();
    });
  });

  test("activity lists alice's events newest first, warnings marked", async (t) => {
    const now = Date.now();
    const made = [];
    const event = async (name, type, reason, ageSeconds) => {
      const time = new Date(now - ageSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      const res = await kubeAdmin('POST', '/api/v1/namespaces/alice/events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'alice' },
        involvedObject: { apiVersion: 'kubeflow.org/v1', kind: 'Notebook', name: 'nb1', namespace: 'alice' },
        type,
        reason,
        message: `${reason} message ${RUN}`,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        source: { component: 'kfdash-e2e' },
      });
      assert.equal(res.status, 201, res.text);
      made.push(name);
    };
    try {
      await event(`e2e-old-${RUN}`, 'Normal', 'PulledOsprey', 600);
      await event(`e2e-new-${RUN}`, 'Warning', 'BackOffOsprey', 30);
      await as(BOB, t, async (page) => {
        const problems = watchProblems(page);
        await page.goto(at('/activity?ns=alice'));
        const mine = page.getByTestId('activity-row').filter({ hasText: RUN });
        await mine.nth(1).waitFor();
        const seen = await mine.evaluateAll((trs) =>
          trs.map((tr) => [tr.dataset.type, tr.classList.contains('row-warning'), tr.textContent]),
        );
        assert.equal(seen.length, 2);
        assert.deepEqual(seen.map(([type, warn]) => [type, warn]), [
          ['Warning', true],
          ['Normal', false],
        ]);
        assert.match(seen[0][2], /BackOffOsprey/);
        assert.match(seen[0][2], /Notebook/);
        assert.match(seen[1][2], /PulledOsprey/);

        await page.getByLabel(/Warnings only/).check();
        await mine.nth(1).waitFor({ state: 'detached' });
        assert.equal(await mine.count(), 1);
        assert.deepEqual(problems, []);
      });
      // carol has no role in bob: the page says so instead of showing anything.
      await as(CAROL, t, async (page) => {
        await page.goto(at('/activity?ns=bob'));
        await page.getByRole('alert').getByText(/Could not load the activity of bob.*HTTP 403/).waitFor();
        assert.equal(await page.getByTestId('activity-row').count(), 0);
      });
    } finally {
      for (const name of made) await kubeAdmin('DELETE', `/api/v1/namespaces/alice/events/${name}`);
    }
  });
});
