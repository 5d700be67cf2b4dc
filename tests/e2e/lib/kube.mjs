// Stack-backed end-to-end tests: kfdash against the local stack's real apiserver, and the stack
// admin's own calls to that apiserver (to seed and clean up). Shared by the
// tests/e2e/stack/*.test.mjs that need the apiserver; tests/integration/stack/test_browser.py runs
// them with the environment below set (each file checks for what it needs with stackEnv() of
// stack.mjs, and fails at once without it).
//
// Environment:
//   KFDASH_E2E_KUBE_API, KFDASH_E2E_KUBE_TOKEN_FILE, KFDASH_E2E_KUBE_CA_FILE
//                          the stack's apiserver, as kfdash's ServiceAccount (startKubeKfdash())
//   KFDASH_E2E_KUBE_ADMIN_CERT, KFDASH_E2E_KUBE_ADMIN_KEY
//                          the stack's admin client certificate, for kubeAdmin()
//   KFDASH_E2E_CONNECT_TO  the stack's --connect-to: its Services → the live peers
//   KFDASH_E2E_MLFLOW_URL  the stack's MLflow, passed as --mlflow-url to every kfdash (optional)

import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { freePort, startKfdash, waitReady } from './harness.mjs';

const ENV = process.env;
const READY_TIMEOUT_MS = 15_000;
const ADMIN_TIMEOUT_MS = 10_000;

/**
 * Calls the Kubernetes API as the stack's admin (client certificate). `body`, if given, is sent
 * as JSON with `contentType` (e.g. application/merge-patch+json for a PATCH). Resolves to
 * { status, text } whatever the status; rejects on a network error or after 10 s.
 */
export function kubeAdmin(method, path, body, contentType = 'application/json') {
  const url = new URL(path, ENV.KFDASH_E2E_KUBE_API);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: readFileSync(ENV.KFDASH_E2E_KUBE_CA_FILE),
        cert: readFileSync(ENV.KFDASH_E2E_KUBE_ADMIN_CERT),
        key: readFileSync(ENV.KFDASH_E2E_KUBE_ADMIN_KEY),
        headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': contentType } : {}) },
        timeout: ADMIN_TIMEOUT_MS,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => ok({ status: res.statusCode, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', fail);
    req.end(payload);
  });
}

/**
 * Starts kfdash (harness startKfdash) against the stack's apiserver as its ServiceAccount, with
 * `config` and `args` added (and startKfdash's `port` and `env` when given), and waits for GET /readyz == 200 (the caches of Profiles and
 * RoleBindings are filled: who may see which namespace). Resolves to startKfdash()'s server;
 * if it does not get ready, stops it and throws.
 */
export async function startKubeKfdash({ config = {}, args = [], port, env } = {}) {
  const kf = await startKfdash({
    config,
    port,
    env,
    args: [
      '--kube-api', ENV.KFDASH_E2E_KUBE_API,
      '--kube-token-file', ENV.KFDASH_E2E_KUBE_TOKEN_FILE,
      '--kube-ca-file', ENV.KFDASH_E2E_KUBE_CA_FILE,
      ...(ENV.KFDASH_E2E_MLFLOW_URL ? ['--mlflow-url', ENV.KFDASH_E2E_MLFLOW_URL] : []),
      ...args,
    ],
  });
  try {
    await waitReady(kf, READY_TIMEOUT_MS);
  } catch (err) {
    await kf.stop().catch(() => {});
    throw err;
  }
  return kf;
}

/**
 * startKubeKfdash with every application on a host of its own (apps.domain=localhost, which
 * Chromium resolves to loopback): resolves to its server, with appOrigin(label) giving an
 * application's origin ("nb-alice--nb1" → http://nb-alice--nb1.localhost:<port>).
 */
export async function startAppsKfdash({ config = {}, args = [], env } = {}) {
  const port = await freePort();
  const kf = await startKubeKfdash({
    config,
    port,
    env,
    args: ['--apps-domain', 'localhost', '--public-url', `http://127.0.0.1:${port}`, ...args],
  });
  kf.appOrigin = (label) => `http://${label}.localhost:${port}`;
  return kf;
}
