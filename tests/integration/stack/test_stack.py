"""The local stack of real peers (tests/stack/stack.sh) behaves the way kfdash relies on
(shared/CONTRACTS.md §2-§9): Kubernetes RBAC, aggregation, SubjectAccessReview,
impersonation and kfdash's own ServiceAccount; Dex logins and Password objects; MLflow
workspaces; Jupyter under its Kubeflow prefix; the V2 model server; the live Spark UI;
and the objects seeded in place of the controllers the stack does not run.

Every test stands alone: what it creates it deletes, with names of its own."""
import base64
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import websocket

from conftest import execute_on_kernel

NOTEBOOKS = [("alice", "nb1"), ("bob", "nb2")]  # ml-peers.py's jupyter_servers
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
AGG = "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-"
RBAC = "/apis/rbac.authorization.k8s.io/v1"


def until(fn, secs=30.0, every=0.2):
    """fn() until it returns something truthy (returned) or SECS pass (the last value)."""
    deadline = time.monotonic() + secs
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(every)


def suffix():
    return uuid.uuid4().hex[:8]


def notebooks(ns):
    return f"/apis/kubeflow.org/v1/namespaces/{ns}/notebooks"


def sar(admin, user, ns, verb, resource="notebooks", group="kubeflow.org"):
    r = admin.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json={
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": ["system:authenticated"], "resourceAttributes": {
            "namespace": ns, "verb": verb, "group": group, "version": "v1", "resource": resource}}})
    assert r.status_code == 201, r.text
    return r.json()["status"]["allowed"]


def rules_of(admin, clusterrole):
    r = admin.get(f"{RBAC}/clusterroles/{clusterrole}")
    assert r.status_code == 200, r.text
    return r.json().get("rules") or []


def grants(rules, group, resource, verb):
    return any(group in r.get("apiGroups", []) and resource in r.get("resources", [])
               and verb in r.get("verbs", []) for r in rules)


# ---- Kubernetes: RBAC, SubjectAccessReview, aggregation, impersonation (§2, §3) -----------------

def test_rbac_denies_bob_listing_notebooks_in_carols_namespace(as_user):
    r = as_user(BOB).get(notebooks("carol"))
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["reason"] == "Forbidden"


def test_rbac_allows_alice_listing_notebooks_in_her_namespace(as_user):
    r = as_user(ALICE).get(notebooks("alice"))
    assert r.status_code == 200, (r.status_code, r.text)
    assert "nb1" in [nb["metadata"]["name"] for nb in r.json()["items"]]


def test_impersonation_carries_the_user_and_every_group(as_user):
    r = as_user("dora@example.com", groups=["team-a", "team-b"]).post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert r.status_code == 201, r.text
    info = r.json()["status"]["userInfo"]
    assert info["username"] == "dora@example.com"
    assert {"team-a", "team-b"} <= set(info["groups"]), info


def test_subjectaccessreview_says_carol_only_views_notebooks_in_alice(admin):
    got = {verb: sar(admin, CAROL, "alice", verb) for verb in ("list", "get", "watch", "create", "delete")}
    assert got == {"list": True, "get": True, "watch": True, "create": False, "delete": False}


def test_subjectaccessreview_allows_bob_creating_notebooks_in_alice(admin):
    assert sar(admin, BOB, "alice", "create") is True


def test_subjectaccessreview_denies_carol_listing_notebooks_in_bob(admin):
    assert sar(admin, CAROL, "bob", "list") is False


def test_kubeflow_edit_holds_the_notebooks_rule_by_aggregation(admin):
    r = admin.get(f"{RBAC}/clusterroles/kubeflow-edit")
    role = r.json()
    # roles.yaml gives kubeflow-edit no rules of its own: whatever it holds, the
    # controller-manager's clusterrole-aggregation controller put there.
    assert role.get("aggregationRule"), role
    rules = role.get("rules") or []
    assert grants(rules, "kubeflow.org", "notebooks", "create"), rules
    assert grants(rules, "kubeflow.org", "notebooks", "list"), rules  # from kubeflow-view
    view = rules_of(admin, "kubeflow-view")
    assert grants(view, "kubeflow.org", "notebooks", "list") and not grants(view, "kubeflow.org", "notebooks", "create")


def test_aggregation_carries_a_new_view_rule_up_to_edit_and_admin(admin):
    name, resource = f"stack-test-part-{suffix()}", f"probes{suffix()}"
    r = admin.post(f"{RBAC}/clusterroles", json={
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {AGG + "view": "true"}},
        "rules": [{"apiGroups": ["kfdash.test"], "resources": [resource], "verbs": ["get"]}]})
    assert r.status_code == 201, r.text

    def has(role):
        return grants(rules_of(admin, role), "kfdash.test", resource, "get")

    try:
        assert until(lambda: all(has(role) for role in ("kubeflow-view", "kubeflow-edit", "kubeflow-admin"))), \
            {role: has(role) for role in ("kubeflow-view", "kubeflow-edit", "kubeflow-admin")}
    finally:
        admin.delete(f"{RBAC}/clusterroles/{name}")
        until(lambda: not has("kubeflow-admin"))
    assert not has("kubeflow-admin"), "the rule stayed after its ClusterRole was deleted"


def test_namespace_gets_default_serviceaccount_and_ca_and_deletion_is_finalized(admin):
    ns = f"stack-test-{suffix()}"
    r = admin.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    assert r.status_code == 201, r.text
    try:
        assert until(lambda: admin.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default").status_code == 200)
        assert until(lambda: admin.get(f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt").status_code == 200)
    finally:
        admin.delete(f"/api/v1/namespaces/{ns}")
    assert until(lambda: admin.get(f"/api/v1/namespaces/{ns}").status_code == 404), "namespace not finalized"


def test_tokenrequest_token_is_recognised_by_tokenreview(admin, as_token):
    r = admin.post("/api/v1/namespaces/default/serviceaccounts/default/token", json={
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}})
    assert r.status_code == 201, r.text
    token = r.json()["status"]["token"]
    r = admin.post("/apis/authentication.k8s.io/v1/tokenreviews", json={
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})
    status = r.json()["status"]
    assert status.get("authenticated") is True, status
    assert status["user"]["username"] == "system:serviceaccount:default:default"
    # Authenticated, but it has no role: 403, not 401.
    assert as_token(token).get("/api/v1/namespaces/default/pods").status_code == 403


def test_seeded_profile_alice_has_owner_binding_and_contributors(admin):
    ns = admin.get("/api/v1/namespaces/alice").json()
    assert ns["metadata"]["annotations"]["owner"] == ALICE
    bindings = {b["metadata"]["name"]: b for b in admin.get(f"{RBAC}/namespaces/alice/rolebindings").json()["items"]}
    expect = {"namespaceAdmin": (ALICE, "kubeflow-admin"),
              "user-bob-example-com-clusterrole-edit": (BOB, "kubeflow-edit"),
              "user-carol-example-com-clusterrole-view": (CAROL, "kubeflow-view")}
    got = {name: (bindings[name]["subjects"][0]["name"], bindings[name]["roleRef"]["name"])
           for name in expect if name in bindings}
    assert got == expect


# ---- kfdash's own ServiceAccount (packaging/kustomize/rbac, applied by stack.sh) ------------------

@pytest.fixture
def kfdash_sa(stack, as_token):
    return as_token(Path(stack["KFDASH_STACK_KFDASH_TOKEN_FILE"]).read_text().strip())


def test_kfdash_token_can_list_profiles(kfdash_sa):
    r = kfdash_sa.get("/apis/kubeflow.org/v1/profiles")
    assert r.status_code == 200, r.text
    assert {"alice", "bob", "carol"} <= {p["metadata"]["name"] for p in r.json()["items"]}


def test_kfdash_token_can_create_subjectaccessreviews(kfdash_sa):
    r = kfdash_sa.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", json={
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": BOB, "resourceAttributes": {
            "namespace": "alice", "verb": "create", "group": "kubeflow.org", "resource": "notebooks"}}})
    assert r.status_code == 201, r.text
    assert r.json()["status"]["allowed"] is True


def test_kfdash_token_cannot_read_secrets(kfdash_sa):
    # Secrets of its own namespace (kubeflow) it may read: sessions and tokens shared by the
    # replicas live there (server/cluster/shared_state.c). Any other namespace's, or all, it may not.
    for path in ("/api/v1/namespaces/auth/secrets", "/api/v1/namespaces/alice/secrets",
                 "/api/v1/namespaces/default/secrets", "/api/v1/secrets"):
        r = kfdash_sa.get(path)
        assert r.status_code == 403, (path, r.status_code, r.text)


# ---- Dex (§4) --------------------------------------------------------------------------------------

def fnv1_64(data):
    """FNV-1 (not 1a), 64 bits, as Go's hash/fnv.New64."""
    h = 0xCBF29CE484222325
    for b in data:
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        h ^= b
    return h.to_bytes(8, "big")


def dex_password_name(email):
    """CONTRACTS §4: lowercase, unpadded base32 of fnv.New64().Sum([]byte(email)), i.e. the
    e-mail's bytes followed by the FNV-64 of the empty input."""
    return base64.b32encode(email.encode() + fnv1_64(b"")).decode().rstrip("=").lower()


def password_object(stack, name, email, password):
    hashed = subprocess.run([stack["KFDASH_BCRYPT"]], input=password + "\n", capture_output=True, text=True,
                            check=True).stdout.strip()
    return {"apiVersion": "dex.coreos.com/v1", "kind": "Password",
            "metadata": {"name": name, "namespace": stack["DEX_NAMESPACE"]},
            "email": email, "hash": base64.b64encode(hashed.encode()).decode(),
            "username": email.split("@")[0], "userID": suffix()}


def passwords_path(stack):
    return f"/apis/dex.coreos.com/v1/namespaces/{stack['DEX_NAMESPACE']}/passwords"


def test_dex_discovery_names_the_issuer_and_endpoints(stack, http):
    iss = stack["DEX_ISSUER"]
    d = http.get(iss + "/.well-known/openid-configuration", timeout=10).json()
    assert d["issuer"] == iss
    for key, path in (("authorization_endpoint", "/auth"), ("token_endpoint", "/token"),
                      ("jwks_uri", "/keys"), ("userinfo_endpoint", "/userinfo")):
        assert d[key] == iss + path, (key, d.get(key))
    assert "end_session_endpoint" not in d
    r = http.get(d["jwks_uri"], timeout=10)
    keys = r.json()["keys"]
    assert keys and all(k["alg"] == "RS256" and k["kty"] == "RSA" for k in keys), keys
    assert "max-age" in r.headers.get("Cache-Control", ""), r.headers


@pytest.mark.parametrize("user", ["alice", "bob", "carol", "admin"])
def test_dex_password_login_gives_demo_user_an_id_token_with_their_email(user, dex_login, demo_password,
                                                                         jwt_claims):
    email = f"{user}@example.com"
    claims = jwt_claims(dex_login(email, demo_password(user)))
    assert claims["email"] == email and claims["email_verified"] is True, claims


def test_dex_wrong_password_does_not_log_in(dex_login, demo_password):
    with pytest.raises(dex_login.Refused) as e:
        dex_login(ALICE, demo_password("alice") + "x")
    # Dex shows the form again, with 401 and its error box.
    assert e.value.status == 401 and "Invalid Email Address and password" in e.value.body, e.value


def test_dex_password_object_named_per_contract_logs_in_a_new_user(stack, admin, dex_login, jwt_claims):
    email, password = f"newcomer-{suffix()}@example.com", "pw-" + suffix()
    name = dex_password_name(email)
    r = admin.post(passwords_path(stack), json=password_object(stack, name, email, password))
    assert r.status_code == 201, r.text
    try:
        claims = jwt_claims(dex_login(email, password))
    finally:
        admin.delete(f"{passwords_path(stack)}/{name}")
    assert claims["email"] == email, claims


def test_dex_ignores_a_password_object_under_another_name(stack, admin, dex_login):
    email, password = f"misnamed-{suffix()}@example.com", "pw-" + suffix()
    # The e-mail alone, without the FNV bytes: Dex looks the user up by name and finds nothing.
    name = base64.b32encode(email.encode()).decode().rstrip("=").lower()
    r = admin.post(passwords_path(stack), json=password_object(stack, name, email, password))
    assert r.status_code == 201, r.text
    try:
        with pytest.raises(dex_login.Refused):
            dex_login(email, password)
    finally:
        admin.delete(f"{passwords_path(stack)}/{name}")


# ---- MLflow (§8) -----------------------------------------------------------------------------------

def mlflow(stack, http, method, path, workspace=None, **kw):
    headers = {"X-MLFLOW-WORKSPACE": workspace} if workspace else {}
    headers.update(kw.pop("headers", {}))
    return http.request(method, stack["MLFLOW_URL"] + path, headers=headers, timeout=30, **kw)


def test_mlflow_server_info_says_workspaces_enabled(stack, http):
    r = mlflow(stack, http, "GET", "/api/3.0/mlflow/server-info")
    assert r.status_code == 200 and r.json()["workspaces_enabled"] is True, r.text


def test_mlflow_lists_workspaces_alice_and_bob(stack, http):
    r = mlflow(stack, http, "GET", "/api/3.0/mlflow/workspaces")
    assert {"alice", "bob", "default"} <= {w["name"] for w in r.json()["workspaces"]}, r.text


def registered_models(stack, http, workspace):
    r = mlflow(stack, http, "GET", "/api/2.0/mlflow/registered-models/search", workspace)
    assert r.status_code == 200, r.text
    return [m["name"] for m in r.json().get("registered_models", [])]


def test_mlflow_iris_classifier_is_registered_in_workspace_alice(stack, http):
    assert "iris-classifier" in registered_models(stack, http, "alice")


def test_mlflow_iris_classifier_is_not_in_workspace_bob(stack, http):
    assert "iris-classifier" not in registered_models(stack, http, "bob")


def test_mlflow_model_version_is_ready_with_the_champion_alias(stack, http):
    r = mlflow(stack, http, "GET", "/api/2.0/mlflow/model-versions/get", "alice",
               params={"name": "iris-classifier", "version": "1"})
    mv = r.json()["model_version"]
    assert mv["status"] == "READY" and "champion" in mv.get("aliases", []), mv


def test_mlflow_alice_runs_have_a_metric_history(stack, http):
    exps = mlflow(stack, http, "POST", "/api/2.0/mlflow/experiments/search", "alice", json={"max_results": 50})
    exp = next(e for e in exps.json()["experiments"] if e["name"] == "iris")
    runs = mlflow(stack, http, "POST", "/api/2.0/mlflow/runs/search", "alice",
                  json={"experiment_ids": [exp["experiment_id"]]}).json()["runs"]
    assert len(runs) == 3, runs
    hist = mlflow(stack, http, "GET", "/api/2.0/mlflow/metrics/get-history", "alice",
                  params={"run_id": runs[0]["info"]["run_id"], "metric_key": "accuracy"}).json()
    assert [m["step"] for m in hist["metrics"]] == list(range(5)), hist


def test_mlflow_bob_cannot_see_alices_runs(stack, http):
    exps = mlflow(stack, http, "POST", "/api/2.0/mlflow/experiments/search", "bob", json={"max_results": 50})
    assert exps.status_code == 200 and all(e["name"] != "iris" for e in exps.json().get("experiments", []))
    run_id = stack["MLFLOW_RUN_IDS"].split()[0]
    r = mlflow(stack, http, "GET", "/api/2.0/mlflow/runs/get", "bob", params={"run_id": run_id})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.text
    assert mlflow(stack, http, "GET", "/api/2.0/mlflow/runs/get", "alice", params={"run_id": run_id}).status_code == 200


def test_mlflow_unknown_workspace_is_404(stack, http):
    r = mlflow(stack, http, "POST", "/api/2.0/mlflow/experiments/search", "nobody", json={})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.text


def test_mlflow_refuses_a_foreign_host_header(stack, http):
    r = mlflow(stack, http, "GET", "/api/2.0/mlflow/experiments/search", headers={"Host": "evil.example"},
               params={"max_results": 1})
    assert r.status_code == 403, (r.status_code, r.text[:200])


# ---- Jupyter (§6) ----------------------------------------------------------------------------------

def jupyter_base(stack, ns, nb):
    return stack[f"JUPYTER_{ns.upper()}_{nb.upper()}_URL"]


@pytest.mark.parametrize("ns,nb", NOTEBOOKS, ids=[f"{ns}/{nb}" for ns, nb in NOTEBOOKS])
def test_jupyter_api_status_answers_under_the_notebook_prefix(stack, http, ns, nb):
    base = jupyter_base(stack, ns, nb)
    assert base.endswith(f"/notebook/{ns}/{nb}/"), base
    r = http.get(base + "api/status", timeout=10)
    assert r.status_code == 200 and "started" in r.json(), r.text
    # Nothing answers outside the prefix.
    assert http.get(base.split("/notebook/")[0] + "/api/status", timeout=10).status_code == 404


def test_jupyter_refuses_a_post_without_xsrf(stack, http):
    r = http.post(jupyter_base(stack, "alice", "nb1") + "api/kernels", json={"name": "python3"}, timeout=10)
    assert r.status_code == 403, (r.status_code, r.text[:200])


@pytest.mark.parametrize("ns,nb", NOTEBOOKS, ids=[f"{ns}/{nb}" for ns, nb in NOTEBOOKS])
def test_jupyter_kernel_computes_1_plus_1_over_the_websocket(stack, http, ns, nb):
    base = jupyter_base(stack, ns, nb)
    http.get(base, timeout=30)  # any page sets the _xsrf cookie
    xsrf = http.cookies.get("_xsrf")
    assert xsrf, http.cookies
    hdr = {"X-XSRFToken": xsrf}
    r = http.post(base + "api/kernels", json={"name": "python3"}, headers=hdr, timeout=30)
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    try:
        ws = websocket.create_connection(
            base.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels",
            cookie="; ".join(f"{c.name}={c.value}" for c in http.cookies), timeout=30)
        try:
            assert execute_on_kernel(ws, "1+1") == ["2"]
        finally:
            ws.close()
    finally:
        http.delete(base + f"api/kernels/{kernel}", headers=hdr, timeout=30)


# ---- model server (§9, V2) ---------------------------------------------------------------------------

def test_model_server_is_ready_with_the_iris_signature(stack, http):
    url, model = stack["MODEL_SERVER_URL"], stack["MODEL_SERVER_MODEL"]
    assert http.get(url + "/v2/health/ready", timeout=10).status_code == 200
    assert http.get(f"{url}/v2/models/{model}/ready", timeout=10).status_code == 200
    meta = http.get(f"{url}/v2/models/{model}", timeout=10).json()
    assert meta["name"] == model
    assert [(i["datatype"], i["shape"]) for i in meta["inputs"]] == [("FP64", [-1, 4])], meta


def test_model_server_predicts_iris_classes_over_v2_infer(stack, http):
    url, model = stack["MODEL_SERVER_URL"], stack["MODEL_SERVER_MODEL"]
    r = http.post(f"{url}/v2/models/{model}/infer", timeout=30, json={"inputs": [{
        "name": "input-0", "shape": [2, 4], "datatype": "FP64",
        "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_name"] == model
    classes = out["outputs"][0]["data"]
    assert len(classes) == 2 and all(c in (0, 1, 2) for c in classes), out
    assert classes == [0, 2], out  # setosa, virginica


# ---- Spark UI (§7) ---------------------------------------------------------------------------------

SPARK_HINT = "(a reused stack's Spark app ends after KFDASH_SPARK_MINUTES, default 60)"


def test_spark_ui_answers_jobs(stack, http):
    r = http.get(stack["SPARK_UI_URL"] + "/jobs/", timeout=15)
    assert r.status_code == 200 and stack["SPARK_APP_NAME"] in r.text, (r.status_code, SPARK_HINT)


def test_spark_rest_api_lists_the_running_application_and_its_jobs(stack, http):
    url = stack["SPARK_UI_URL"]
    apps = http.get(url + "/api/v1/applications", timeout=15).json()
    assert [a["name"] for a in apps] == [stack["SPARK_APP_NAME"]], (apps, SPARK_HINT)
    jobs = http.get(f"{url}/api/v1/applications/{apps[0]['id']}/jobs", timeout=15).json()
    assert jobs and all("status" in j for j in jobs), jobs


def test_spark_ui_links_carry_the_x_forwarded_context_prefix(stack, http):
    prefix = f"/spark/{stack['SPARK_NAMESPACE']}/{stack['SPARK_APP_NAME']}"
    r = http.get(stack["SPARK_UI_URL"] + "/jobs/", headers={"X-Forwarded-Context": prefix}, timeout=15)
    assert r.status_code == 200, (r.status_code, SPARK_HINT)
    assert f'href="{prefix}/stages/"' in r.text and f'src="{prefix}/static/' in r.text, "links lack the prefix"
    assert 'href="/stages/"' not in r.text, "an unprefixed link is left"


# ---- objects seeded in place of the controllers (seed.py objects) -----------------------------------

@pytest.mark.parametrize("ns,nb", NOTEBOOKS, ids=[f"{ns}/{nb}" for ns, nb in NOTEBOOKS])
def test_seeded_notebook_has_one_ready_replica(admin, ns, nb):
    r = admin.get(f"{notebooks(ns)}/{nb}")
    assert r.status_code == 200, r.text
    nbo = r.json()
    assert nbo["status"]["readyReplicas"] == 1, nbo.get("status")
    env = {e["name"]: e["value"] for e in nbo["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["NB_PREFIX"] == f"/notebook/{ns}/{nb}"


def test_seeded_spark_application_is_running(admin, stack):
    app = stack["SPARK_APP_NAME"]
    r = admin.get(f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{stack['SPARK_NAMESPACE']}/sparkapplications/{app}")
    assert r.status_code == 200, r.text
    status = r.json()["status"]
    assert status["applicationState"]["state"] == "RUNNING", status
    assert status["driverInfo"]["webUIServiceName"] == f"{app}-ui-svc", status


def test_seeded_inference_service_is_ready_with_a_url(admin, stack):
    model = stack["MLFLOW_MODEL_NAME"]
    r = admin.get(f"/apis/serving.kserve.io/v1beta1/namespaces/alice/inferenceservices/{model}")
    assert r.status_code == 200, r.text
    isvc = r.json()
    conditions = {c["type"]: c["status"] for c in isvc["status"]["conditions"]}
    assert conditions.get("Ready") == "True", conditions
    assert isvc["status"]["url"].startswith("http://"), isvc["status"]
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == stack["MLFLOW_MODEL_ARTIFACT_URI"]
