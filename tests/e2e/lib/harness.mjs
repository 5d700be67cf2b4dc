// End-to-end harness: starts the real kfdash binary on a free loopback port and drives Debian's
// headless Chromium through playwright-core (installed in web/node_modules, the project's one
// lockfile). Shared by every tests/e2e/*.test.mjs (run by tests/e2e/run.sh) and
// tests/e2e/stack/*.test.mjs (run by tests/integration/stack/test_browser.py).
//
// Environment:
//   KFDASH_BIN             server binary (default <repo>/build/kfdash)
//   KFDASH_E2E_WEB_DIR     if set, passed as --web-dir (serve the SPA from disk, e.g. web/dist)
//   KFDASH_E2E_ARTIFACTS   where failure screenshots and server logs go (default /tmp/kfdash-e2e)
//   KFDASH_E2E_CHROMIUM    browser binary (default /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const ARTIFACTS = process.env.KFDASH_E2E_ARTIFACTS || '/tmp/kfdash-e2e';

const requireFromWeb = createRequire(join(REPO, 'web', 'package.json'));
/** playwright-core from web/node_modules (run `npm ci` in web/ first). */
export const { chromium } = requireFromWeb('playwright-core');

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_LOG_BYTES = 1 << 20;
const SANITIZER_MARKS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];

/** Asks the kernel for a free loopback port (the server does not accept port 0). */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tail(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Starts kfdash with `config` (the JSON config file's content) and waits for GET /healthz == 200.
 * It listens on a free loopback port, or on `port` when given (e.g. one whose callback URL the
 * OpenID provider has registered; no retry then). Resolves to
 * { url, port, configPath, stderr(), stdout(), stop() }. stop() sends SIGTERM, waits
 * for the exit and throws if the exit was not clean (code != 0, a signal, or a sanitizer report).
 */
export async function startKfdash({ config = {}, args = [], env = {}, port: fixedPort } = {}) {
  const bin = process.env.KFDASH_BIN || join(REPO, 'build', 'kfdash');
  if (!existsSync(bin)) throw new Error(`kfdash binary not found at ${bin} (build it or set KFDASH_BIN)`);

  const dir = mkdtempSync(join(tmpdir(), 'kfdash-e2e-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const webDir = process.env.KFDASH_E2E_WEB_DIR;
  let lastError;
  // A port picked free can be taken before the server binds it: retry a few times on that.
  for (let attempt = 0; attempt < (fixedPort ? 1 : 3); attempt++) {
    const port = fixedPort || (await freePort());
    const argv = ['--config', configPath, '--listen', `127.0.0.1:${port}`];
    if (webDir) argv.push('--web-dir', webDir);
    argv.push(...args);
    try {
      return await launch(bin, argv, { port, dir, configPath, env });
    } catch (err) {
      lastError = err;
      if (!/in use|EADDRINUSE/i.test(err.message)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

async function launch(bin, argv, { port, dir, configPath, env }) {
  const child = spawn(bin, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => {
    if (stdout.length < MAX_LOG_BYTES) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < MAX_LOG_BYTES) stderr += d;
  });
  let exit = null;
  const exited = new Promise((ok) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      children.delete(child);
      ok(exit);
    });
    child.on('error', (err) => {
      exit = { code: null, signal: null, error: err };
      children.delete(child);
      ok(exit);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const cmd = [bin, ...argv].join(' ');

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exit) {
      throw new Error(
        `kfdash exited before it was ready (${exit.error?.message ?? `code ${exit.code}, signal ${exit.signal}`})\n` +
          `command: ${cmd}\nstderr:\n${tail(stderr)}`,
      );
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`kfdash did not answer GET /healthz with 200 within ${READY_TIMEOUT_MS} ms\n` +
        `command: ${cmd}\nstderr:\n${tail(stderr)}`);
    }
    await sleep(50);
  }

  let stopped = null;
  async function stop() {
    if (stopped) return stopped;
    stopped = (async () => {
      if (!exit) child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((ok) => {
        timer = setTimeout(() => ok(null), STOP_TIMEOUT_MS);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      // A grandchild that kept our pipes open must not keep the test process alive.
      child.stdout.destroy();
      child.stderr.destroy();
      rmSync(dir, { recursive: true, force: true });
      if (!result) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`kfdash did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\nstderr:\n${tail(stderr)}`);
      }
      const mark = SANITIZER_MARKS.find((m) => stderr.includes(m));
      if (mark) saveLog('kfdash-sanitizer', stderr);
      if (result.code !== 0 || mark) {
        throw new Error(`kfdash did not stop cleanly (code ${result.code}, signal ${result.signal}` +
          `${mark ? `, stderr has '${mark}'` : ''})\nstderr:\n${tail(stderr, 80)}`);
      }
    })();
    return stopped;
  }

  return { url, port, configPath, stop, stdout: () => stdout, stderr: () => stderr };
}

/**
 * Waits until `server` (startKfdash's) answers GET /readyz with 200: it has what it needs from
 * its peers (Dex's discovery, the apiserver's caches). Throws after `timeoutMs` with the last
 * answer and the server's stderr; stopping the server is the caller's.
 */
export async function waitReady(server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    const status = res?.status;
    const text = (await res?.text().catch(() => '')) ?? '';
    if (status === 200) return;
    if (Date.now() > deadline) {
      throw new Error(
        `kfdash not ready: GET /readyz answered ${status ?? 'nothing'}: ${text}\nstderr:\n${server.stderr().slice(-4000)}`,
      );
    }
    await sleep(100);
  }
}

function safeName(name) {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
}

function saveLog(name, text) {
  try {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `${safeName(name)}.log`), text);
  } catch {
    // Artifacts are a convenience; never mask the real failure.
  }
}

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Tests talk to loopback only: any other host name fails to resolve instead of leaving the box.
  // *.localhost is loopback to Chromium itself (application hosts, apps.domain=localhost).
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost, EXCLUDE *.localhost',
];

/**
 * Gateway (trusted-header) mode, as behind Kubeflow's oauth2-proxy + Istio: kfdash believes
 * `kubeflow-userid` from loopback, and the browser sends it with every request, so pages open as
 * `email` without a sign-in. Merge `config` into the server's config and pass `contextOptions` to
 * launchBrowser(). Mutating calls also need a same-origin Origin / Sec-Fetch-Site, which
 * Chromium sends by itself.
 */
export function gatewayUser(email = 'alice@example.com') {
  return {
    config: { auth: { trusted_header_peers: '127.0.0.1/32' } },
    contextOptions: { extraHTTPHeaders: { 'kubeflow-userid': email } },
  };
}

/**
 * Starts headless Chromium with a fresh profile; `contextOptions` (e.g. extraHTTPHeaders) are
 * added to the context's. Resolves to
 * { context, newPage(), withPage(t, fn), screenshot(page, name), close() }.
 * withPage(t, fn) runs fn(page) on a fresh page for node:test context t; when fn throws, a
 * screenshot (and `server`'s stderr, if given) is saved to KFDASH_E2E_ARTIFACTS under t.name;
 * the page is closed after.
 */
export async function launchBrowser({ server, contextOptions = {} } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'kfdash-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      ...contextOptions,
      executablePath: process.env.KFDASH_E2E_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  context.setDefaultTimeout(10_000);

  async function screenshot(page, name) {
    try {
      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `${safeName(name)}.png`);
      await page.screenshot({ path, fullPage: true, timeout: 5_000 });
      return path;
    } catch {
      return null;
    }
  }

  async function withPage(t, fn) {
    const page = await context.newPage();
    try {
      await fn(page);
    } catch (err) {
      const shot = await screenshot(page, t.name);
      if (server) saveLog(`${t.name}.kfdash`, server.stderr());
      if (shot && err instanceof Error) err.message += `\n(screenshot: ${shot})`;
      throw err;
    } finally {
      await page.close().catch(() => {});
    }
  }

  async function close() {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }

  return { context, newPage: () => context.newPage(), withPage, screenshot, close };
}

/** Collects page errors and CSP violations, which must never happen on the dashboard. */
export function watchProblems(page) {
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return problems;
}

/**
 * One browser per user in gateway mode, started on first use and kept for the test file:
 * as(email, t, fn) runs fn(page) on a fresh page of `email`'s browser (withPage: a screenshot on
 * failure), close() closes them all. `server()` gives the kfdash whose stderr goes with a
 * failure (asked when a browser starts, so it can be started in before()); `contextOptions` are
 * added to each browser's.
 */
export function gatewayBrowsers(server, contextOptions = {}) {
  const browsers = new Map();
  async function as(email, t, fn) {
    if (!browsers.has(email)) {
      const options = { ...gatewayUser(email).contextOptions, ...contextOptions };
      browsers.set(email, await launchBrowser({ server: server(), contextOptions: options }));
    }
    await browsers.get(email).withPage(t, fn);
  }
  async function close() {
    for (const browser of browsers.values()) await browser.close();
  }
  return { as, close };
}

/**
 * Calls kfdash at `url` as `email` the way the gateway would: the kubeflow-userid header, a
 * same-origin Origin, and `body` (if given) as JSON. Resolves to the fetch Response.
 */
export function gatewayFetch(url, email, method, path, body) {
  return fetch(url + path, {
    method,
    headers: {
      'kubeflow-userid': email,
      Origin: url,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

/**
 * The server routes a test file needs. probe(url, probes) calls each probe,
 * {name: [email, method, path, body?]}, through gatewayFetch() and keeps the names answered 404
 * "no such API route"; needs(...names) throws, saying which are missing, while any is (a test
 * never skips: it fails, naming the routes the server lacks).
 */
export function routeProbes() {
  const absent = new Set();
  async function probe(url, probes) {
    for (const [name, [email, method, path, body]] of Object.entries(probes)) {
      const res = await gatewayFetch(url, email, method, path, body);
      const text = await res.text();
      if (res.status === 404 && text.includes('no such API route')) absent.add(name);
    }
  }
  function needs(...routes) {
    const gone = routes.filter((r) => absent.has(r));
    if (gone.length) throw new Error(`the server lacks ${gone.join(', ')}: it answers 404 "no such API route"`);
  }
  return { probe, needs };
}
