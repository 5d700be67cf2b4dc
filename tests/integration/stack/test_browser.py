"""The browser suites that need this stack, in headless Chromium (node --test, playwright-core):
tests/e2e/stack/signin.test.mjs (signing in through Dex's own form),
tests/e2e/stack/profiles.test.mjs (namespace selector, registration, contributors, activity, users
against the real apiserver), tests/e2e/stack/diagnostics.test.mjs (the Diagnostics page over the
real apiserver's StorageClasses), tests/e2e/stack/notebooks.test.mjs (Notebooks, and JupyterLab
through the dashboard), tests/e2e/stack/spark.test.mjs (Spark applications, and the live Spark UI
through the dashboard), tests/e2e/stack/endpoints.test.mjs (KServe endpoints: deploy an MLflow
model version, predict), tests/e2e/stack/mlflow.test.mjs (experiments, runs, metric charts,
models; MLflow's own UI) and tests/e2e/stack/app_origins.test.mjs (a hostile notebook page opened
by a signed-in cluster admin). This is where they run: each gets its environment here, and
without it fails at once (tests/e2e/lib/stack.mjs). Every test in them must run and pass; the
browser tests that need only kfdash are the e2e suite's (tests/e2e/run.sh).

signin: kfdash listens on signin_port(2), whose /auth/callback Dex has registered
(tests/stack/k8s-up.sh); test_signin.py uses that port too, one test at a time; app_origins
likewise on signin_port(3).
"""
import os
import shutil
import subprocess

from conftest import ROOT, signin_port

E2E_STACK = ROOT / "tests" / "e2e" / "stack"
SIGNIN_TEST = E2E_STACK / "signin.test.mjs"
PROFILES_TEST = E2E_STACK / "profiles.test.mjs"
DIAGNOSTICS_TEST = E2E_STACK / "diagnostics.test.mjs"
NOTEBOOKS_TEST = E2E_STACK / "notebooks.test.mjs"
SPARK_TEST = E2E_STACK / "spark.test.mjs"
ENDPOINTS_TEST = E2E_STACK / "endpoints.test.mjs"
MLFLOW_TEST = E2E_STACK / "mlflow.test.mjs"
APP_ORIGINS_TEST = E2E_STACK / "app_origins.test.mjs"
HOME_TEST = E2E_STACK / "home.test.mjs"
APPS_PORT = signin_port(3)
PORT = signin_port(2)
TIMEOUT_S = 300


def run_node_test(test_file, extra_env):
    """Runs one tests/e2e/stack file with node --test; fails unless every test in it ran and passed."""
    node = shutil.which("node")
    assert node, "node is not on PATH (needed for tests/e2e; see web/package.json)"
    assert (ROOT / "web" / "node_modules" / "playwright-core").is_dir(), \
        "web/node_modules/playwright-core is missing: run `npm ci` in web/"
    env = dict(os.environ)
    env["KFDASH_BIN"] = os.environ.get("KFDASH_BIN") or str(ROOT / "build" / "kfdash")
    env.update(extra_env)
    argv = [node, "--test", "--test-concurrency=1", "--test-reporter=tap", str(test_file)]
    try:
        run = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, errors="replace", timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        raise AssertionError(f"{' '.join(argv)} did not finish within {TIMEOUT_S} s; its output:\n{out}")
    assert run.returncode == 0, f"{' '.join(argv)} exited {run.returncode}; its output:\n{run.stdout}"
    # No test may skip (none does; tests/e2e/run.sh checks the same): every test must have run.
    assert "# SKIP" not in run.stdout and "# skipped 0" in run.stdout, run.stdout
    assert "# pass 0" not in run.stdout, run.stdout
    # A file without any test is reported as one passing test named by its path.
    assert f"- {test_file}\n" not in run.stdout, run.stdout


def kube_env(stack):
    """The stack's apiserver as kfdash's ServiceAccount sees it."""
    return {
        "KFDASH_E2E_KUBE_API": stack["KFDASH_APISERVER"],
        "KFDASH_E2E_KUBE_TOKEN_FILE": stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
        "KFDASH_E2E_KUBE_CA_FILE": stack["KFDASH_STACK_CA"],
    }


def test_signing_in_through_dex_in_headless_chromium(stack, demo_password):
    run_node_test(SIGNIN_TEST, {
        "KFDASH_E2E_DEX_ISSUER": stack["DEX_ISSUER"],
        "KFDASH_E2E_DEX_CLIENT_ID": stack["DEX_CLIENT_ID"],
        "KFDASH_E2E_DEX_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"],
        "KFDASH_E2E_ALICE_PASSWORD": demo_password("alice"),
        "KFDASH_E2E_SIGNIN_PORT": str(PORT),
        **kube_env(stack),
    })


def test_profiles_pages_in_headless_chromium(stack):
    # The admin certificate lets the .mjs make events in alice and remove what it created.
    run_node_test(PROFILES_TEST, {
        **kube_env(stack),
        "KFDASH_E2E_KUBE_ADMIN_CERT": stack["KFDASH_STACK_ADMIN_CERT"],
        "KFDASH_E2E_KUBE_ADMIN_KEY": stack["KFDASH_STACK_ADMIN_KEY"],
    })


def test_diagnostics_page_in_headless_chromium(stack):
    # The admin certificate lets the .mjs make a StorageClass (not the default, then the
    # default) and remove it at the end.
    run_node_test(DIAGNOSTICS_TEST, {
        **kube_env(stack),
        "KFDASH_E2E_KUBE_ADMIN_CERT": stack["KFDASH_STACK_ADMIN_CERT"],
        "KFDASH_E2E_KUBE_ADMIN_KEY": stack["KFDASH_STACK_ADMIN_KEY"],
    })


def test_notebooks_pages_in_headless_chromium(stack):
    # The admin certificate lets the .mjs read back the Notebook it made and remove it; the
    # stack's --connect-to leads /notebook/alice/nb1/ to the live JupyterLab.
    run_node_test(NOTEBOOKS_TEST, {
        **kube_env(stack),
        "KFDASH_E2E_KUBE_ADMIN_CERT": stack["KFDASH_STACK_ADMIN_CERT"],
        "KFDASH_E2E_KUBE_ADMIN_KEY": stack["KFDASH_STACK_ADMIN_KEY"],
        "KFDASH_E2E_CONNECT_TO": stack["KFDASH_CONNECT_TO"],
    })


def test_spark_pages_in_headless_chromium(stack):
    # The admin certificate lets the .mjs read back the SparkApplication it made and remove it;
    # the stack's --connect-to leads /spark/alice/app1/ to app1's live Spark UI.
    run_node_test(SPARK_TEST, {
        **kube_env(stack),
        "KFDASH_E2E_KUBE_ADMIN_CERT": stack["KFDASH_STACK_ADMIN_CERT"],
        "KFDASH_E2E_KUBE_ADMIN_KEY": stack["KFDASH_STACK_ADMIN_KEY"],
        "KFDASH_E2E_CONNECT_TO": stack["KFDASH_CONNECT_TO"],
    })


def serving_env(stack):
    """The admin certificate lets the .mjs read back what it made and remove it; --connect-to
    leads the seeded endpoint's cluster address to the stack's MLServer (a stack started before
    ml-peers.py mapped it lacks it)."""
    connect_to = stack["KFDASH_CONNECT_TO"]
    if "iris-classifier-predictor.alice.svc.cluster.local:80:" not in connect_to:
        connect_to += (",iris-classifier-predictor.alice.svc.cluster.local:80:127.0.0.1:"
                       + stack["MODEL_SERVER_PORT"])
    return {
        **kube_env(stack),
        "KFDASH_E2E_KUBE_ADMIN_CERT": stack["KFDASH_STACK_ADMIN_CERT"],
        "KFDASH_E2E_KUBE_ADMIN_KEY": stack["KFDASH_STACK_ADMIN_KEY"],
        "KFDASH_E2E_MLFLOW_URL": stack["MLFLOW_URL"],
        "KFDASH_E2E_CONNECT_TO": connect_to,
    }


def test_endpoints_pages_in_headless_chromium(stack):
    # kserve-standin.py serves what the .mjs deploys.
    run_node_test(ENDPOINTS_TEST, serving_env(stack))


def test_home_glance_in_headless_chromium(stack):
    # The stack's Prometheus draws the charts (at its scrape interval); kubectl describes quota.
    run_node_test(HOME_TEST, {
        **serving_env(stack),
        "KFDASH_E2E_PROMETHEUS_URL": stack["PROMETHEUS_URL"],
        "KFDASH_E2E_PROMETHEUS_SCRAPE_INTERVAL": stack["PROMETHEUS_SCRAPE_INTERVAL"],
        "KFDASH_E2E_KUBECTL": stack["KUBECTL"],
        "KFDASH_E2E_KUBECONFIG": stack["KUBECONFIG"],
    })


def test_mlflow_pages_in_headless_chromium(stack):
    # The stack's MLflow (workspaces on): kfdash's --mlflow-url, and the .mjs checks MLflow itself.
    run_node_test(MLFLOW_TEST, {**kube_env(stack), "KFDASH_E2E_MLFLOW_URL": stack["MLFLOW_URL"]})


def test_a_notebook_page_cannot_act_as_the_admin_who_opens_it_in_headless_chromium(stack, demo_password):
    run_node_test(APP_ORIGINS_TEST, {
        **kube_env(stack),
        "KFDASH_E2E_KUBE_ADMIN_CERT": stack["KFDASH_STACK_ADMIN_CERT"],
        "KFDASH_E2E_KUBE_ADMIN_KEY": stack["KFDASH_STACK_ADMIN_KEY"],
        "KFDASH_E2E_DEX_ISSUER": stack["DEX_ISSUER"],
        "KFDASH_E2E_DEX_CLIENT_ID": stack["DEX_CLIENT_ID"],
        "KFDASH_E2E_DEX_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"],
        "KFDASH_E2E_ADMIN_PASSWORD": demo_password("admin"),
        "KFDASH_E2E_APPS_PORT": str(APPS_PORT),
    })
