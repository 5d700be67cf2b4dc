// The environment of the tests/e2e/stack/*.test.mjs files: the local stack of real peers
// (tests/stack/), which tests/integration/stack/test_browser.py starts and passes to each file.
// Those files never skip: without what they need they fail at once, saying where they run from.

import { relative } from 'node:path';
import { REPO } from './harness.mjs';

/** The stack's apiserver, as kfdash's ServiceAccount (startKubeKfdash() in kube.mjs). */
export const KUBE = ['KFDASH_E2E_KUBE_API', 'KFDASH_E2E_KUBE_TOKEN_FILE', 'KFDASH_E2E_KUBE_CA_FILE'];
/** The stack's admin client certificate (kubeAdmin() in kube.mjs): to seed, read back and clean up. */
export const KUBE_ADMIN = ['KFDASH_E2E_KUBE_ADMIN_CERT', 'KFDASH_E2E_KUBE_ADMIN_KEY'];
/** The stack's Dex, and kfdash's client there. */
export const DEX = ['KFDASH_E2E_DEX_ISSUER', 'KFDASH_E2E_DEX_CLIENT_ID', 'KFDASH_E2E_DEX_CLIENT_SECRET'];
/** The stack's --connect-to: its Services → the live peers. */
export const CONNECT_TO = ['KFDASH_E2E_CONNECT_TO'];
/** The stack's MLflow (kfdash's --mlflow-url). */
export const MLFLOW = ['KFDASH_E2E_MLFLOW_URL'];

/**
 * Returns process.env when every variable named in `groups` (arrays of names) is set. Otherwise
 * ends the test file at once with a message naming what is unset (exit status 1: node --test
 * counts the file as failed), before any test or hook runs.
 */
export function stackEnv(...groups) {
  const missing = groups.flat().filter((name) => !process.env[name]);
  if (missing.length === 0) return process.env;
  const file = process.argv[1] ? relative(REPO, process.argv[1]) : 'this tests/e2e/stack file';
  process.stderr.write(
    `${file} needs the local stack of real peers, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} unset.\n` +
      'The tests/e2e/stack files run from tests/integration/stack/test_browser.py ' +
      '(meson test --suite stack), which starts the stack and gives each file its environment; ' +
      'they never skip. The e2e suite that needs only kfdash is tests/e2e/run.sh (meson test --suite e2e).\n',
  );
  process.exit(1);
}
