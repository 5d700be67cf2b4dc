"""MLflow through kfdash (/mlflow/...) against the stack's real MLflow 3.x, started with
--enable-workspaces: one workspace per profile namespace, every call authorized by the caller's
profile role. The stack seeds workspace alice with experiment `iris` (a few runs with params and a
metric history) and registered model `iris-classifier` v1 with alias `champion`; bob's workspace
is empty.

Profiles: alice (owner alice, bob edits, carol views), bob (owner bob), carol (owner carol); admin
is a kfdash cluster admin with no role; a stranger has nothing. Users come in as a trusted gateway
names them (kubeflow-userid), except MLflow's own Python client, which signs in with a Dex token.

What is checked in MLflow itself is asked of MLflow directly (MLFLOW_URL), never through kfdash.
"""
import http.client
import json
import os
import subprocess
import time
import urllib.parse
import uuid

import pytest

from conftest import ROOT, plain_session, sign_in, signin_port, start_kfdash

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
API = "/mlflow/api/2.0/mlflow"
AJAX = "/mlflow/ajax-api/2.0/mlflow"
WORKSPACES = "/mlflow/ajax-api/3.0/mlflow/workspaces"
WS = "X-MLFLOW-WORKSPACE"


@pytest.fixture(scope="module")
def kfdash(stack):
    assert stack.get("MLFLOW_URL"), "the stack has no MLflow (tests/stack/ml-peers.py)"
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                     "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"],
                     "--cluster-admins", ADMIN)
    yield k
    k.stop()


def call(k, user, method, path, ws=None, cookie_ns=None, **kw):
    """kfdash as `user` (the gateway's header, a same-origin Origin), in workspace `ws`."""
    headers = {"kubeflow-userid": user, "Origin": k.url, **kw.pop("headers", {})}
    if ws is not None:
        headers[WS] = ws
    if cookie_ns is not None:
        headers["Cookie"] = f"kfdash_ns={cookie_ns}"
    kw.setdefault("timeout", 30)
    return plain_session().request(method, k.url + path, headers=headers, **kw)


def direct(stack, method, path, ws, **kw):
    """MLflow itself (path under /api/...), in workspace ws."""
    kw.setdefault("timeout", 30)
    return plain_session().request(method, stack["MLFLOW_URL"] + path, headers={WS: ws}, **kw)


def refused(r, status=403):
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    # kfdash's own shape and MLflow's, so that MLflow's clients show the reason.
    assert body["error"] == body["message"] and body["error_code"], body
    return body


@pytest.fixture(scope="module")
def iris(stack):
    """alice's experiment iris as MLflow has it: {"id", "runs": [run ids]}."""
    r = direct(stack, "GET", "/api/2.0/mlflow/experiments/get-by-name", "alice",
               params={"experiment_name": stack["MLFLOW_EXPERIMENT"]})
    assert r.status_code == 200, r.text
    return {"id": r.json()["experiment"]["experiment_id"], "runs": stack["MLFLOW_RUN_IDS"].split()}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------- a viewer reads


@pytest.mark.parametrize("base", [API, AJAX])
def test_a_viewer_reads_alices_experiment_runs_history_and_artifacts(kfdash, iris, base):
    r = call(kfdash, CAROL, "POST", base + "/experiments/search", ws="alice",
             json={"max_results": 100})
    assert r.status_code == 200, r.text
    assert "iris" in [e["name"] for e in r.json()["experiments"]]

    r = call(kfdash, CAROL, "POST", base + "/runs/search", ws="alice",
             json={"experiment_ids": [iris["id"]], "max_results": 100,
                   "filter": "metrics.accuracy > 0", "order_by": ["metrics.accuracy DESC"]})
    assert r.status_code == 200, r.text
    runs = r.json()["runs"]
    assert set(iris["runs"]) <= {x["info"]["run_id"] for x in runs}
    accuracies = [next(m["value"] for m in x["data"]["metrics"] if m["key"] == "accuracy")
                  for x in runs]
    assert accuracies == sorted(accuracies, reverse=True)

    run = iris["runs"][0]
    r = call(kfdash, CAROL, "GET", base + "/runs/get", ws="alice", params={"run_id": run})
    assert r.status_code == 200 and r.json()["run"]["data"]["params"], r.text
    r = call(kfdash, CAROL, "GET", base + "/metrics/get-history", ws="alice",
             params={"run_id": run, "metric_key": "accuracy"})
    assert r.status_code == 200, r.text
    assert [m["step"] for m in r.json()["metrics"]] == [0, 1, 2, 3, 4]
    r = call(kfdash, CAROL, "GET", base + "/artifacts/list", ws="alice", params={"run_id": run})
    assert r.status_code == 200
    assert r.json()["root_uri"].startswith("mlflow-artifacts:/workspaces/alice/")


def test_a_viewer_reads_the_registered_model_its_versions_and_alias(kfdash, stack):
    name = stack["MLFLOW_MODEL_NAME"]
    r = call(kfdash, CAROL, "GET", API + "/registered-models/get", ws="alice",
             params={"name": name})
    assert r.status_code == 200, r.text
    model = r.json()["registered_model"]
    assert {"alias": "champion", "version": "1"} in model["aliases"]
    r = call(kfdash, CAROL, "GET", API + "/model-versions/search", ws="alice",
             params={"filter": f"name='{name}'"})
    assert r.status_code == 200 and [v["version"] for v in r.json()["model_versions"]] == ["1"]
    r = call(kfdash, CAROL, "GET", API + "/model-versions/get-download-uri", ws="alice",
             params={"name": name, "version": "1"})
    assert r.status_code == 200 and r.json()["artifact_uri"] == stack["MLFLOW_MODEL_ARTIFACT_URI"]


# ---------------------------------------------------------------- a viewer changes nothing


def carols_writes(iris, stack):
    run = iris["runs"][0]
    return {
        "create experiment": (API + "/experiments/create", {"name": "carol-was-here"}),
        "log metric": (API + "/runs/log-metric",
                       {"run_id": run, "key": "carol", "value": 1.0, "timestamp": 0, "step": 9}),
        "set tag": (API + "/runs/set-tag", {"run_id": run, "key": "carol", "value": "was here"}),
        "delete run": (API + "/runs/delete", {"run_id": run}),
        "create model version": (API + "/model-versions/create",
                                 {"name": stack["MLFLOW_MODEL_NAME"],
                                  "source": stack["MLFLOW_MODEL_SOURCE"]}),
        "set alias (ajax)": (AJAX + "/registered-models/alias",
                             {"name": stack["MLFLOW_MODEL_NAME"], "alias": "carols",
                              "version": "1"}),
    }


def mlflow_state(stack, iris):
    """What carol's writes would change, as MLflow has it."""
    run = iris["runs"][0]
    got = direct(stack, "GET", "/api/2.0/mlflow/runs/get", "alice", params={"run_id": run}).json()
    versions = direct(stack, "GET", "/api/2.0/mlflow/model-versions/search", "alice",
                      params={"filter": f"name='{stack['MLFLOW_MODEL_NAME']}'"}).json()
    model = direct(stack, "GET", "/api/2.0/mlflow/registered-models/get", "alice",
                   params={"name": stack["MLFLOW_MODEL_NAME"]}).json()
    exists = direct(stack, "GET", "/api/2.0/mlflow/experiments/get-by-name", "alice",
                    params={"experiment_name": "carol-was-here"}).status_code
    return {"lifecycle": got["run"]["info"]["lifecycle_stage"],
            "metrics": sorted(m["key"] for m in got["run"]["data"]["metrics"]),
            "tags": sorted(t["key"] for t in got["run"]["data"].get("tags", [])),
            "versions": len(versions.get("model_versions", [])),
            "aliases": model["registered_model"].get("aliases"),
            "experiment": exists}


def test_a_viewers_writes_are_refused_by_kfdash_and_nothing_changes(kfdash, stack, iris):
    before = mlflow_state(stack, iris)
    assert before["experiment"] == 404 and before["lifecycle"] == "active"
    for what, (path, body) in carols_writes(iris, stack).items():
        r = call(kfdash, CAROL, "POST", path, ws="alice", json=body)
        assert "contributor" in refused(r)["message"], what
    assert mlflow_state(stack, iris) == before


def test_a_contributor_writes(kfdash, stack):
    name = unique("kfdash-bob")
    r = call(kfdash, BOB, "POST", API + "/experiments/create", ws="alice", json={"name": name})
    assert r.status_code == 200, r.text
    exp = r.json()["experiment_id"]
    try:
        r = call(kfdash, BOB, "POST", API + "/experiments/set-experiment-tag", ws="alice",
                 json={"experiment_id": exp, "key": "by", "value": "bob"})
        assert r.status_code == 200, r.text
        got = direct(stack, "GET", "/api/2.0/mlflow/experiments/get", "alice",
                     params={"experiment_id": exp}).json()["experiment"]
        assert got["name"] == name and {"key": "by", "value": "bob"} in got["tags"]
        assert got["artifact_location"].startswith("mlflow-artifacts:/workspaces/alice/")
    finally:
        r = call(kfdash, BOB, "POST", API + "/experiments/delete", ws="alice",
                 json={"experiment_id": exp})
    assert r.status_code == 200, r.text
    got = direct(stack, "GET", "/api/2.0/mlflow/experiments/get", "alice",
                 params={"experiment_id": exp}).json()["experiment"]
    assert got["lifecycle_stage"] == "deleted"


def test_a_cluster_admin_without_a_role_may_read_and_write(kfdash):
    r = call(kfdash, ADMIN, "POST", AJAX + "/experiments/search", ws="alice",
             json={"max_results": 100})
    assert r.status_code == 200 and "iris" in r.text


# ---------------------------------------------------------------- strangers and spoofing


def test_a_stranger_is_refused_alice_and_sees_no_workspaces(kfdash):
    for method, path, body in [("POST", API + "/experiments/search", {"max_results": 10}),
                               ("GET", API + "/runs/get", None),
                               ("POST", API + "/experiments/create", {"name": "stranger"})]:
        r = call(kfdash, STRANGER, method, path, ws="alice", json=body)
        assert "iris" not in refused(r)["message"]
    r = call(kfdash, STRANGER, "GET", WORKSPACES)
    assert r.status_code == 200 and r.json() == {"workspaces": []}
    refused(call(kfdash, STRANGER, "GET", WORKSPACES + "/alice"))


@pytest.fixture(scope="module")
def bobs_secret(stack):
    """An experiment in bob's workspace, made in MLflow directly: no one else may see its name."""
    name = unique("bobs-secret")
    r = direct(stack, "POST", "/api/2.0/mlflow/experiments/create", "bob", json={"name": name})
    assert r.status_code == 200, r.text
    yield name
    direct(stack, "POST", "/api/2.0/mlflow/experiments/delete", "bob",
           json={"experiment_id": r.json()["experiment_id"]})


@pytest.mark.parametrize("spoof", ["bob", "kube-system", "default", "nosuchns"])
def test_a_workspace_header_naming_another_namespace_is_refused(kfdash, bobs_secret, spoof):
    # carol holds a role in alice and carol, none in these.
    for cookie in (None, "alice"):
        r = call(kfdash, CAROL, "POST", AJAX + "/experiments/search", ws=spoof, cookie_ns=cookie,
                 json={"max_results": 1000})
        assert bobs_secret not in r.text
        refused(r)
    # bob may: the experiment is really there.
    if spoof == "bob":
        r = call(kfdash, BOB, "POST", AJAX + "/experiments/search", ws="bob",
                 json={"max_results": 1000})
        assert r.status_code == 200 and bobs_secret in r.text


@pytest.mark.parametrize("value", ["Alice", "alice,bob", "../bob", "alice bob", "a" * 64])
def test_a_workspace_that_is_no_namespace_name_is_a_400(kfdash, value):
    refused(call(kfdash, CAROL, "GET", API + "/experiments/search", ws=value), 400)


def test_only_the_workspace_kfdash_checked_reaches_mlflow(kfdash, bobs_secret):
    """Two X-MLFLOW-WORKSPACE lines (alice, then bob): whichever kfdash takes, MLflow gets only
    kfdash's own line, for a namespace carol holds a role in, so bob's experiment never shows."""
    u = urllib.parse.urlparse(kfdash.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    body = json.dumps({"max_results": 1000})
    conn.putrequest("POST", AJAX + "/experiments/search")
    for name, value in [("kubeflow-userid", CAROL), ("Origin", kfdash.url), (WS, "alice"),
                        (WS, "bob"), ("Content-Type", "application/json"),
                        ("Content-Length", str(len(body)))]:
        conn.putheader(name, value)
    conn.endheaders(body.encode())
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    assert bobs_secret not in text
    assert r.status == 200 and "iris" in text, (r.status, text[:300])


def test_a_dashboard_on_its_public_address_passes_mlflows_origin_check(kfdash):
    """MLflow refuses state changes from origins other than its own and localhost's; kfdash checks
    the browser's Origin itself (CSRF) and does not pass it on, so the UI works at any address."""
    host = f"kubeflow.example.test:{kfdash.port}"
    r = call(kfdash, BOB, "POST", AJAX + "/experiments/search", ws="alice",
             headers={"Host": host, "Origin": f"http://{host}"}, json={"max_results": 10})
    assert r.status_code == 200 and "iris" in r.text, r.text[:300]
    # Another site's page is still refused, by kfdash.
    r = call(kfdash, BOB, "POST", AJAX + "/experiments/search", ws="alice",
             headers={"Origin": "https://evil.example"}, json={"max_results": 10})
    assert r.status_code == 403 and "iris" not in r.text


def test_a_run_of_another_workspace_cannot_be_read_by_its_id(kfdash, stack, iris):
    # bob's workspace is bob's: alice's run id asked for there is not found, by MLflow itself.
    r = call(kfdash, BOB, "GET", API + "/runs/get", ws="bob", params={"run_id": iris["runs"][0]})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.text


# ---------------------------------------------------------------- workspaces


@pytest.mark.parametrize("user, expected", [(ALICE, ["alice"]), (BOB, ["alice", "bob"]),
                                            (CAROL, ["alice", "carol"]), (STRANGER, [])])
def test_the_workspaces_listed_are_exactly_the_callers_namespaces(kfdash, user, expected):
    for path in (WORKSPACES, "/mlflow/api/3.0/mlflow/workspaces"):
        r = call(kfdash, user, "GET", path)
        assert r.status_code == 200, r.text
        assert [w["name"] for w in r.json()["workspaces"]] == expected
    for ns in expected:
        r = call(kfdash, user, "GET", f"{WORKSPACES}/{ns}")
        assert r.status_code == 200 and r.json()["workspace"]["name"] == ns


def test_workspaces_are_not_made_changed_or_deleted_through_kfdash(kfdash, stack):
    before = direct(stack, "GET", "/api/3.0/mlflow/workspaces", "default").json()
    for method, path, body in [("POST", WORKSPACES, {"name": "carols-own"}),
                               ("PATCH", WORKSPACES + "/alice", {"description": "mine"}),
                               ("DELETE", WORKSPACES + "/alice", None)]:
        for user in (ALICE, CAROL):
            refused(call(kfdash, user, method, path, json=body))
    refused(call(kfdash, CAROL, "GET", WORKSPACES + "/bob"))
    assert direct(stack, "GET", "/api/3.0/mlflow/workspaces", "default").json() == before


def test_the_selected_namespace_cookie_is_the_default_workspace(kfdash):
    r = call(kfdash, CAROL, "POST", AJAX + "/experiments/search", cookie_ns="alice",
             json={"max_results": 100})
    assert r.status_code == 200 and "iris" in r.text
    r = call(kfdash, CAROL, "POST", AJAX + "/experiments/search",
             json={"max_results": 100})
    assert "choose a namespace" in refused(r, 400)["message"]
    # The header wins over the cookie (MLflow's own UI sends it from its selector).
    r = call(kfdash, CAROL, "POST", AJAX + "/experiments/search", ws="carol", cookie_ns="alice",
             json={"max_results": 100})
    assert r.status_code == 200 and "iris" not in r.text


def test_a_new_profiles_workspace_is_made_on_first_use(kfdash, stack):
    user = f"{unique('mlf')}@example.com"
    ns = user.split("@")[0]
    r = call(kfdash, user, "POST", "/api/workgroup/create", json={})
    assert r.status_code == 200, r.text  # Kubeflow's route: the profile is named after the user
    try:
        deadline = time.monotonic() + 15
        while not call(kfdash, user, "GET", "/api/workgroup/exists").json()["hasWorkgroup"]:
            assert time.monotonic() < deadline, "kfdash did not see the new profile"
            time.sleep(0.2)
        listed = lambda: [w["name"] for w in direct(stack, "GET", "/api/3.0/mlflow/workspaces",
                                                    "default").json()["workspaces"]]
        assert ns not in listed()
        r = call(kfdash, user, "POST", API + "/experiments/create", ws=ns, json={"name": "first"})
        assert r.status_code == 200, r.text
        assert ns in listed()
        got = direct(stack, "GET", "/api/2.0/mlflow/experiments/get-by-name", ns,
                     params={"experiment_name": "first"})
        assert got.status_code == 200 and got.json()["experiment"]["workspace"] == ns
        r = call(kfdash, user, "GET", API + "/experiments/search", ws=ns,
                 params={"max_results": 10})
        assert r.status_code == 200 and "first" in r.text
    finally:
        call(kfdash, user, "DELETE", "/api/workgroup/nuke-self")
        plain_session().delete(f"{stack['MLFLOW_URL']}/api/3.0/mlflow/workspaces/{ns}",
                               params={"mode": "CASCADE"}, timeout=30)


# ---------------------------------------------------------------- MLflow's UI and clients


def test_mlflows_ui_and_its_assets_load_under_mlflow(kfdash, stack):
    r = call(kfdash, STRANGER, "GET", "/mlflow", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/mlflow/"
    page = call(kfdash, CAROL, "GET", "/mlflow/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<title>MLflow</title>" in page.text
    script = next(p for p in page.text.split('"') if p.startswith("static-files/static/js/main."))
    through = call(kfdash, CAROL, "GET", "/mlflow/" + script)
    assert through.status_code == 200 and "javascript" in through.headers["Content-Type"]
    direct_script = plain_session().get(f"{stack['MLFLOW_URL']}/{script}", timeout=30)
    assert through.content == direct_script.content
    r = call(kfdash, CAROL, "GET", "/mlflow/ajax-api/3.0/mlflow/server-info")
    assert r.status_code == 200 and r.json()["workspaces_enabled"] is True


def test_a_signed_out_browser_is_sent_to_sign_in(kfdash):
    r = plain_session().get(kfdash.url + "/mlflow/", headers={"Accept": "text/html"},
                            allow_redirects=False, timeout=10)
    assert r.status_code in (302, 401) and "<title>MLflow</title>" not in r.text
    r = plain_session().post(kfdash.url + API + "/experiments/search", json={}, timeout=10,
                             headers={WS: "alice"})
    assert r.status_code == 401 and "iris" not in r.text


SESSION_PORT = signin_port(1)  # its /auth/callback is registered at Dex (tests/stack/k8s-up.sh)


def test_apps_behind_kfdash_take_a_signed_in_browsers_same_origin_posts_without_the_token(
        stack, iris, tmp_path, demo_password):
    """MLflow's UI and JupyterLab post with a session cookie and know nothing of kfdash's CSRF
    token: kfdash judges those by Origin. Another site's post (cross-site request forgery) and one
    without an Origin are refused."""
    k = start_kfdash(stack, "--state-dir", str(tmp_path), "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"], port=SESSION_PORT,
                     env={"KFDASH_OIDC_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"]})
    try:
        s = sign_in(k, CAROL, demo_password("carol"))[0]
        search = f"{k.url}{AJAX}/runs/search"
        body = {"experiment_ids": [iris["id"]], "max_results": 5}
        ours = {WS: "alice", "Origin": k.url, "Sec-Fetch-Site": "same-origin"}
        r = s.post(search, json=body, headers=ours, timeout=30)
        assert r.status_code == 200 and r.json()["runs"], r.text[:300]
        for forged in ({WS: "alice", "Origin": "https://evil.example"},
                       {WS: "alice", "Sec-Fetch-Site": "cross-site"}, {WS: "alice"}):
            assert s.post(search, json=body, headers=forged, timeout=30).status_code == 403
        # Same origin opens reads, not a viewer's writes.
        refused(s.post(f"{k.url}{AJAX}/experiments/create", json={"name": "carol-was-here"},
                       headers=ours, timeout=30))
        # JupyterLab, for a contributor (a viewer never opens a notebook): a kernel started by a
        # same-origin post (Jupyter's own _xsrf still applies).
        nb = f"{k.url}/notebook/alice/nb1/"
        assert s.get(nb + "lab", timeout=30).status_code == 403
        s = sign_in(k, BOB, demo_password("bob"))[0]
        assert s.get(nb + "lab", timeout=30).status_code == 200
        xsrf = {"X-XSRFToken": s.cookies.get("_xsrf")}
        assert s.post(nb + "api/kernels", json={"name": "python3"},
                      headers={**xsrf, "Origin": "https://evil.example"},
                      timeout=30).status_code == 403
        r = s.post(nb + "api/kernels", json={"name": "python3"},
                   headers={**xsrf, "Origin": k.url}, timeout=60)
        assert r.status_code == 201, r.text[:300]
        s.delete(nb + f"api/kernels/{r.json()['id']}", headers={**xsrf, "Origin": k.url},
                 timeout=30)
    finally:
        k.stop()


def peers_python():
    return subprocess.check_output([str(ROOT / "tools" / "venv.sh"),
                                    str(ROOT / "tests" / "stack" / "requirements-peers.txt")],
                                   text=True).strip()


CLIENT = """
import json, sys, mlflow
mlflow.set_experiment(sys.argv[1])
with mlflow.start_run(run_name=sys.argv[2]) as run:
    mlflow.log_param("through", "kfdash")
    for step in range(3):
        mlflow.log_metric("score", 0.5 + step / 10, step=step)
    mlflow.log_text("logged through kfdash", "notes/hello.txt")
listed = mlflow.MlflowClient().list_artifacts(run.info.run_id, "notes")
print(json.dumps({"run_id": run.info.run_id, "artifacts": [f.path for f in listed]}))
"""


def run_client(kfdash, stack, token, name):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
           "MLFLOW_TRACKING_URI": kfdash.url + "/mlflow", "MLFLOW_WORKSPACE": "alice",
           "MLFLOW_TRACKING_TOKEN": token, "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    return subprocess.run([peers_python(), "-c", CLIENT, stack["MLFLOW_EXPERIMENT"], name], env=env,
                          capture_output=True, text=True, timeout=180)


def test_mlflows_python_client_logs_a_run_into_alices_workspace(kfdash, stack, iris, dex_login,
                                                                  demo_password):
    name = unique("through-kfdash")
    done = run_client(kfdash, stack, dex_login(ALICE, demo_password("alice")), name)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    try:
        assert out["artifacts"] == ["notes/hello.txt"]
        got = direct(stack, "GET", "/api/2.0/mlflow/runs/get", "alice",
                     params={"run_id": out["run_id"]}).json()["run"]
        assert got["info"]["experiment_id"] == iris["id"] and got["info"]["run_name"] == name
        assert {"key": "through", "value": "kfdash"} in got["data"]["params"]
        history = direct(stack, "GET", "/api/2.0/mlflow/metrics/get-history", "alice",
                         params={"run_id": out["run_id"], "metric_key": "score"}).json()["metrics"]
        assert [m["step"] for m in history] == [0, 1, 2]
        assert got["info"]["artifact_uri"].startswith("mlflow-artifacts:/workspaces/alice/")
    finally:
        direct(stack, "POST", "/api/2.0/mlflow/runs/delete", "alice",
               json={"run_id": out["run_id"]})


def test_mlflows_python_client_as_a_viewer_is_refused_with_kfdashs_reason(kfdash, stack, iris,
                                                                          dex_login, demo_password):
    name = unique("carol-client")
    done = run_client(kfdash, stack, dex_login(CAROL, demo_password("carol")), name)
    assert done.returncode != 0
    assert "PERMISSION_DENIED" in done.stderr and "contributor" in done.stderr, done.stderr[-3000:]
    r = direct(stack, "POST", "/api/2.0/mlflow/runs/search", "alice",
               json={"experiment_ids": [iris["id"]], "filter": f"attributes.run_name = '{name}'"})
    assert "runs" not in r.json()


# ---------------------------------------------------------------- limits and configuration


def test_mlflow_not_configured_is_a_clear_503(stack):
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32", "--mlflow-url", "")
    try:
        r = call(k, ALICE, "GET", "/mlflow/", ws="alice")
        assert refused(r, 503)["message"] == "MLflow is not configured"
    finally:
        k.stop()


def test_an_artifact_over_the_upload_limit_is_a_413_and_is_not_stored(stack, iris):
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                     "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"],
                     "--notebook-max-upload-bytes", "65536")
    path = f"workspaces/alice/{iris['id']}/{iris['runs'][0]}/artifacts/{unique('big')}.bin"
    try:
        for chunked in (False, True):
            blob = os.urandom(200_000)
            data = (blob[i:i + 16384] for i in range(0, len(blob), 16384)) if chunked else blob
            r = call(k, ALICE, "PUT", "/mlflow/api/2.0/mlflow-artifacts/artifacts/" + path,
                     ws="alice", data=data)
            assert r.status_code == 413, (chunked, r.status_code, r.text[:200])
        r = call(k, ALICE, "PUT", "/mlflow/api/2.0/mlflow-artifacts/artifacts/" + path,
                 ws="alice", data=b"small enough")
        assert r.status_code == 200, r.text
        got = direct(stack, "GET", "/api/2.0/mlflow-artifacts/artifacts/" + path, "alice")
        assert got.content == b"small enough"
    finally:
        k.stop()
        direct(stack, "DELETE", "/api/2.0/mlflow-artifacts/artifacts/" + path, "alice")
