"""Tenancy: no signed-in user can turn kfdash's rights against the cluster or another profile.

kfdash's ServiceAccount may impersonate anyone and writes RoleBindings, AuthorizationPolicies,
Profiles, Dex Passwords and Secrets with its own rights, so each of those writes is a privilege
boundary. Every test here is an attack from docs/security.md, tried against the stack's real
apiserver (RBAC on), real Dex, real Jupyter, Spark UI and MLflow; each failed on the main branch
before the fix it names.

Users: alice owns profile alice (bob edits, carol views), bob and carol own their own; admin is a
kfdash cluster admin; the squatters are users with no profile at all. Most come in as a trusted
gateway names them; the credential tests sign in through Dex.
"""
import base64
import http.server
import json
import os
import socketserver
import threading
import time
import uuid

import pytest
import websocket

from conftest import (GATEWAY_CLUSTER_ADMIN, begin, call_as, execute_on_kernel, finish,
                      plain_session, sign_in, signin_kfdash, signin_port, until, whoami)

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
ADMIN = GATEWAY_CLUSTER_ADMIN
SIGNIN_PORT = signin_port(3)
GATEWAY = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
KFP_UI = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"
PROFILES = "/apis/kubeflow.org/v1/profiles"


def squatter():
    return f"squatter-{uuid.uuid4().hex[:8]}@example.com"


# ---------------------------------------------------------------- an upstream the test controls


class Hostile(http.server.BaseHTTPRequestHandler):
    """A notebook server run by an attacker: it tries to plant kfdash's cookies and shows what
    headers reached it."""

    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for cookie in ("kfdash_session=planted; Path=/", "kfdash_csrf=planted; Path=/",
                       "kfdash_login_x=planted; Path=/", "__Host-kfdash_session=planted; Path=/",
                       "KFDASH_SESSION=planted; Path=/", "kfdash_app=planted; Path=/",
                       "notebook_pref=dark; Path=/"):
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hostile():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def kfdash(stack, hostile, tmp_path_factory):
    """kfdash behind the trusted gateway (127.0.0.1) that also signs browsers in through Dex."""
    evil = f"evil.alice.svc.cluster.local:80:127.0.0.1:{hostile}"
    k = signin_kfdash(stack, SIGNIN_PORT, str(tmp_path_factory.mktemp("tenancy")),
                      "--trusted-header-peers", "127.0.0.1/32", "--cluster-admins", ADMIN,
                      "--dex-namespace", "auth", "--tokens-max-auth-age", "4",
                      "--connect-to", stack["KFDASH_CONNECT_TO"] + "," + evil,
                      "--notebook-mlflow-tracking-uri", f"http://127.0.0.1:{SIGNIN_PORT}/mlflow")
    yield k
    k.stop()


@pytest.fixture
def cleanup(admin):
    """Cluster objects a test made (paths on the apiserver), deleted after it."""
    paths = []
    yield paths
    for path in reversed(paths):
        admin.delete(path)


def namespaces_of(k, user):
    r = call_as(k, user, "GET", "/api/workgroup/env-info")
    assert r.status_code == 200, r.text
    return {n["namespace"]: n["role"] for n in r.json()["namespaces"]}


# ---------------------------------------------------------------- 1. namespace squatting


@pytest.mark.parametrize("ns", ["kubeflow", "kube-system", "kube-public", "auth", "istio-system",
                                "default", "knative-serving", "cert-manager"])
def test_a_user_cannot_register_a_system_namespace_as_a_profile(kfdash, admin, cleanup, ns):
    who = squatter()
    assert admin.get(f"{PROFILES}/{ns}").status_code == 404
    cleanup.append(f"{PROFILES}/{ns}")  # should the attack succeed
    r = call_as(kfdash, who, "POST", "/api/workgroup/create", json={"namespace": ns})
    assert r.status_code == 403, r.text
    assert "reserved" in r.json()["error"]
    assert admin.get(f"{PROFILES}/{ns}").status_code == 404
    assert ns not in namespaces_of(kfdash, who)


def test_an_existing_namespace_without_a_profile_cannot_be_claimed(kfdash, admin, cleanup):
    team = f"team-{uuid.uuid4().hex[:6]}"
    assert admin.post("/api/v1/namespaces", json={"metadata": {"name": team}}).status_code == 201
    cleanup.append(f"/api/v1/namespaces/{team}")
    cleanup.append(f"{PROFILES}/{team}")
    who = squatter()
    r = call_as(kfdash, who, "POST", "/api/workgroup/create", json={"namespace": team})
    assert r.status_code == 409, r.text
    assert "exists" in r.json()["error"]
    assert admin.get(f"{PROFILES}/{team}").status_code == 404


def test_the_squat_to_cluster_admin_chain_is_closed(kfdash, admin, cleanup):
    """The issue's attack end to end: own `kubeflow`, then bind a service account there."""
    who = squatter()
    cleanup.append(f"{PROFILES}/kubeflow")  # should the attack succeed
    call_as(kfdash, who, "POST", "/api/workgroup/create", json={"namespace": "kubeflow"})
    subject = "system:serviceaccount:default:default"
    r = call_as(kfdash, who, "POST", "/api/workgroup/add-contributor/kubeflow",
                json={"contributor": subject})
    assert r.status_code in (403, 404), r.text
    bindings = admin.get("/apis/rbac.authorization.k8s.io/v1/namespaces/kubeflow/rolebindings").json()
    assert not [b for b in bindings["items"] for s in b.get("subjects") or []
                if s.get("name") == subject]
    assert "kubeflow" not in namespaces_of(kfdash, who)


def test_a_profile_object_alone_grants_nothing(kfdash, admin, cleanup):
    """A Profile made straight in the cluster for a namespace someone else already has (no owner
    annotation equal to the Profile's owner) gives its owner no role there."""
    who, taken = squatter(), f"taken-{uuid.uuid4().hex[:6]}"
    assert admin.post("/api/v1/namespaces", json={"metadata": {
        "name": taken, "annotations": {"owner": BOB}}}).status_code == 201
    cleanup.append(f"/api/v1/namespaces/{taken}")
    made = admin.post(PROFILES, json={"apiVersion": "kubeflow.org/v1", "kind": "Profile",
                                      "metadata": {"name": taken},
                                      "spec": {"owner": {"kind": "User", "name": who}}})
    assert made.status_code == 201, made.text
    cleanup.append(f"{PROFILES}/{taken}")
    # A control: a profile made the proper way (by an admin: the squat counts against the
    # squatter's own registrations) shows up for its owner...
    mine = f"sq-{uuid.uuid4().hex[:6]}"
    r = call_as(kfdash, ADMIN, "POST", "/api/workgroup/create", json={"namespace": mine, "user": who})
    assert r.status_code in (200, 201), r.text
    cleanup.append(f"/api/v1/namespaces/{mine}")
    cleanup.append(f"{PROFILES}/{mine}")
    until(lambda: mine in namespaces_of(kfdash, who), f"{mine} owned by {who}", 30)
    # ... while the squatted one never does, and no write of kfdash's lands there.
    assert taken not in namespaces_of(kfdash, who)
    r = call_as(kfdash, who, "POST", f"/api/workgroup/add-contributor/{taken}",
                json={"contributor": "friend@example.com"})
    assert r.status_code == 403, r.text
    assert call_as(kfdash, who, "GET", f"/api/namespaces/{taken}/notebooks").status_code == 403


def test_a_user_registers_at_most_one_profile_and_admins_any_number(kfdash, admin, cleanup):
    who = squatter()
    first, second = (f"sq-{uuid.uuid4().hex[:6]}" for _ in range(2))
    for ns in (first, second):
        cleanup.append(f"/api/v1/namespaces/{ns}")
        cleanup.append(f"{PROFILES}/{ns}")
    r = call_as(kfdash, who, "POST", "/api/workgroup/create", json={"namespace": first})
    assert r.status_code in (200, 201), r.text
    until(lambda: first in namespaces_of(kfdash, who), "the first profile", 30)
    r = call_as(kfdash, who, "POST", "/api/workgroup/create", json={"namespace": second})
    assert r.status_code == 403, r.text
    assert "at most 1" in r.json()["error"]
    assert admin.get(f"{PROFILES}/{second}").status_code == 404
    # A cluster admin makes profiles for others without a limit.
    for ns in (second,):
        r = call_as(kfdash, ADMIN, "POST", "/api/workgroup/create", json={"namespace": ns, "user": who})
        assert r.status_code in (200, 201), r.text


# ---------------------------------------------------------------- 2. viewers read, never run code


def test_a_viewer_cannot_start_a_kernel(kfdash):
    r = call_as(kfdash, CAROL, "POST", "/notebook/alice/nb1/api/kernels", json={"name": "python3"})
    assert r.status_code == 403, r.text
    assert call_as(kfdash, CAROL, "GET", "/notebook/alice/nb1/lab").status_code == 403


def test_a_viewer_cannot_open_a_terminal_or_kernel_websocket(kfdash):
    for path in ("terminals/websocket/1", "api/kernels/x/channels"):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                kfdash.url.replace("http", "ws", 1) + "/notebook/alice/nb1/" + path,
                header=["kubeflow-userid: " + CAROL, "Origin: " + kfdash.url], timeout=10,
                suppress_origin=True)
        assert refused.value.status_code == 403


def test_a_contributor_still_runs_code_in_the_notebook(kfdash):
    s = plain_session()
    s.headers.update({"kubeflow-userid": BOB, "Origin": kfdash.url})
    assert s.get(kfdash.url + "/notebook/alice/nb1/lab", timeout=30).status_code == 200
    s.headers["X-XSRFToken"] = s.cookies.get("_xsrf")
    r = s.post(kfdash.url + "/notebook/alice/nb1/api/kernels", json={"name": "python3"}, timeout=60)
    assert r.status_code == 201, r.text
    s.delete(kfdash.url + f"/notebook/alice/nb1/api/kernels/{r.json()['id']}", timeout=30)


def test_a_viewer_cannot_press_a_spark_uis_kill_links(kfdash):
    """On its own host a viewer reads the UI (test_app_hosts.py); here, where it shares kfdash's
    origin, she does not even read it, and never presses kill."""
    assert call_as(kfdash, CAROL, "GET", "/spark/alice/app1/jobs/").status_code == 403
    for method in ("GET", "POST"):
        for path in ("/spark/alice/app1/jobs/job/kill/?id=424242",
                     "/spark/alice/app1/stages/stage/kill/?id=424242"):
            r = call_as(kfdash, CAROL, method, path, allow_redirects=False)
            assert r.status_code == 403, (method, path, r.text)
    # A contributor's kill reaches Spark, which answers for itself (its own CSRF check, or no
    # such job), never with kfdash's JSON refusal.
    r = call_as(kfdash, BOB, "POST", "/spark/alice/app1/jobs/job/kill/?id=424242",
                allow_redirects=False)
    assert r.status_code not in (401, 502), r.text
    assert "application/json" not in r.headers.get("Content-Type", ""), r.text


def test_viewers_still_predict(kfdash, stack):
    model = stack.get("MLFLOW_MODEL_NAME", "iris-classifier")
    r = call_as(kfdash, CAROL, "GET", f"/serving/alice/{model}/v2/health/ready")
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- 3. credentials follow their user


@pytest.fixture
def dex_user(kfdash):
    """A Dex user of the test's own (made through kfdash's Users page API), deleted after."""
    email, password = f"tenant-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    r = call_as(kfdash, ADMIN, "POST", "/api/admin/users", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    yield email, password
    call_as(kfdash, ADMIN, "DELETE", f"/api/admin/users/{email}")


def csrf(session, k):
    return {"X-CSRF-Token": session.cookies["kfdash_csrf"], "Origin": k.url}


def make_token(session, k, days=1):
    r = session.post(f"{k.url}/api/tokens", json={"name": "tenancy", "expires_in_days": days},
                     headers=csrf(session, k), timeout=15)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def password_object(admin, email):
    items = admin.get("/apis/dex.coreos.com/v1/namespaces/auth/passwords").json()["items"]
    return next(p for p in items if p["email"] == email)


@pytest.mark.parametrize("how", ["disable", "delete", "delete-password-object",
                                 "change-password-object"])
def test_a_users_tokens_and_sessions_die_with_the_user(kfdash, admin, dex_user, how):
    email, password = dex_user
    s, _ = sign_in(kfdash, email, password)
    bearer = make_token(s, kfdash)
    assert whoami(kfdash, headers=bearer).status_code == 200
    assert whoami(kfdash, s).status_code == 200
    if how == "disable":
        assert call_as(kfdash, ADMIN, "POST", f"/api/admin/users/{email}/disable").status_code == 204
    elif how == "delete":
        assert call_as(kfdash, ADMIN, "DELETE", f"/api/admin/users/{email}").status_code == 204
    else:
        obj = password_object(admin, email)
        path = f"/apis/dex.coreos.com/v1/namespaces/auth/passwords/{obj['metadata']['name']}"
        if how == "delete-password-object":
            assert admin.delete(path).status_code == 200
        else:
            obj["hash"] = base64.b64encode(b"$2a$10$" + b"x" * 53).decode()
            assert admin.put(path, json=obj).status_code == 200
    until(lambda: whoami(kfdash, headers=bearer).status_code == 401, "the token is refused", 5)
    until(lambda: whoami(kfdash, s).status_code == 401, "the session is refused", 5)


def test_an_email_with_a_line_break_cannot_smuggle_an_impersonation_header(kfdash, stack, admin,
                                                                         dex_login):
    """A Password object's email (an admin's typo, a connector's upstream account) with a line
    break and a header after it: Dex signs it into the ID token as it is. kfdash impersonates its
    users in header lines, so that email must never reach one, or the second line would make the
    user a member of system:masters."""
    from test_stack import dex_password_name, password_object as new_password
    tag = uuid.uuid4().hex[:8]
    # Dex matches logins in lower case (header names are case-blind, the group's is lower case).
    login = f"mallory-{tag}@example.com\r\nimpersonate-group: system:masters"
    password = f"pw-{tag}"
    obj = new_password(stack, dex_password_name(login), login, password)
    path = f"/apis/dex.coreos.com/v1/namespaces/{stack['DEX_NAMESPACE']}/passwords"
    assert admin.post(path, json=obj).status_code == 201
    try:
        s = plain_session()
        answer = finish(s, kfdash, begin(s, kfdash), login, password)
        assert answer.status_code == 401, (answer.status_code, answer.text[:300])
        assert "characters" in answer.text
        # Nothing signed in: no session, and so nothing read as system:masters.
        r = s.get(f"{kfdash.url}/api/k8s/api/v1/namespaces/kube-system/secrets", timeout=10)
        assert r.status_code == 401, r.text
        # Dex's ID token carries the same email: it is no credential either.
        id_token = dex_login(login, password)
        assert whoami(kfdash, headers={"Authorization": "Bearer " + id_token}).status_code == 401
    finally:
        admin.delete(f"{path}/{obj['metadata']['name']}")


def test_a_service_account_token_cannot_mint_a_personal_token(kfdash, admin):
    r = admin.post("/api/v1/namespaces/alice/serviceaccounts/default-editor/token",
                   json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                         "spec": {"expirationSeconds": 3600}})
    sa = {"Authorization": f"Bearer {r.json()['status']['token']}"}
    assert whoami(kfdash, headers=sa).status_code == 200
    made = plain_session().post(f"{kfdash.url}/api/tokens", headers=sa, timeout=15,
                                json={"name": "forever", "expires_in_days": 365})
    assert made.status_code == 403, made.text
    assert "sign in" in made.json()["error"]


def test_a_personal_token_cannot_mint_another(kfdash, dex_user):
    s, _ = sign_in(kfdash, *dex_user)
    bearer = make_token(s, kfdash)
    made = plain_session().post(f"{kfdash.url}/api/tokens", headers=bearer, timeout=15,
                                json={"name": "child", "expires_in_days": 365})
    assert made.status_code == 403, made.text


def test_a_token_needs_a_recent_sign_in(kfdash, dex_user, dex_login):
    """--tokens-max-auth-age 4 here: a session signed in longer ago must go through Dex again."""
    s, _ = sign_in(kfdash, *dex_user)
    id_token = {"Authorization": "Bearer " + dex_login(*dex_user)}
    time.sleep(5)
    late = s.post(f"{kfdash.url}/api/tokens", json={"name": "late"}, headers=csrf(s, kfdash),
                  timeout=15)
    assert late.status_code == 403, late.text
    assert "/auth/login?prompt=login" in late.json()["signin"]
    old = plain_session().post(f"{kfdash.url}/api/tokens", headers=id_token, timeout=15,
                               json={"name": "late"})
    assert old.status_code == 403, old.text
    # Through Dex again, as the page offers: now it works.
    s2, _ = sign_in(kfdash, *dex_user)
    make_token(s2, kfdash)


def test_the_gateways_word_cannot_mint_a_token(kfdash):
    r = call_as(kfdash, ALICE, "POST", "/api/tokens", json={"name": "gw"})
    assert r.status_code == 403, r.text


# ---------------------------------------------------------------- 4. applications cannot plant cookies


def test_an_application_cannot_set_kfdashs_cookies(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/notebook/alice/evil/x")
    assert r.status_code == 200, r.text
    cookies = r.raw.headers.getlist("Set-Cookie")
    assert cookies == ["notebook_pref=dark; Path=/"], cookies


# ---------------------------------------------------------------- 5. policies as KFAM writes them


def test_a_contributors_authorization_policy_admits_only_the_gateway(kfdash, admin):
    friend = f"friend-{uuid.uuid4().hex[:6]}@example.com"
    r = call_as(kfdash, ALICE, "POST", "/api/workgroup/add-contributor/alice",
                json={"contributor": friend})
    assert r.status_code == 200, r.text
    name = "user-" + friend.replace("@", "-").replace(".", "-") + "-clusterrole-edit"
    try:
        policy = admin.get(f"/apis/security.istio.io/v1beta1/namespaces/alice/authorizationpolicies/{name}")
        assert policy.status_code == 200, policy.text
        rule, = policy.json()["spec"]["rules"]
        assert rule["from"] == [{"source": {"principals": [GATEWAY, KFP_UI]}}]
        assert rule["when"] == [{"key": "request.headers[kubeflow-userid]", "values": [friend]}]
    finally:
        call_as(kfdash, ALICE, "DELETE", "/api/workgroup/remove-contributor/alice",
                json={"contributor": friend})


# ---------------------------------------------------------------- 6. MLflow from notebooks


def test_a_notebook_logs_to_mlflow_through_kfdash_in_its_own_workspace_only(kfdash, admin, stack):
    r = call_as(kfdash, ALICE, "POST", "/api/namespaces/alice/poddefaults/mlflow")
    assert r.status_code in (200, 201), r.text
    pd = admin.get("/apis/kubeflow.org/v1alpha1/namespaces/alice/poddefaults/mlflow").json()
    env = {e["name"]: e for e in pd["spec"]["env"]}
    assert env["MLFLOW_TRACKING_URI"]["value"] == f"http://127.0.0.1:{SIGNIN_PORT}/mlflow"
    assert env["MLFLOW_WORKSPACE"]["value"] == "alice"
    ref = env["MLFLOW_TRACKING_TOKEN"]["valueFrom"]["secretKeyRef"]
    secret = until(lambda: (admin.get(f"/api/v1/namespaces/alice/secrets/{ref['name']}").json()
                            .get("data", {}).get(ref["key"])), "the token Secret is filled", 30)
    token = base64.b64decode(secret).decode()
    # What the notebook pod would run, in alice's real Jupyter kernel, with the PodDefault's env.
    run = uuid.uuid4().hex[:8]
    code = (f"import os, mlflow\n"
            f"os.environ.update(MLFLOW_TRACKING_URI={env['MLFLOW_TRACKING_URI']['value']!r}, "
            f"MLFLOW_WORKSPACE='alice', MLFLOW_TRACKING_TOKEN={token!r})\n"
            f"mlflow.set_experiment('tenancy-{run}')\n"
            f"with mlflow.start_run() as r:\n    mlflow.log_metric('x', 1)\n"
            f"r.info.run_id")
    s = plain_session()
    s.headers.update({"kubeflow-userid": ALICE, "Origin": kfdash.url})
    s.get(kfdash.url + "/notebook/alice/nb1/lab", timeout=30)
    s.headers["X-XSRFToken"] = s.cookies.get("_xsrf")
    kernel = s.post(kfdash.url + "/notebook/alice/nb1/api/kernels", json={"name": "python3"},
                    timeout=60).json()["id"]
    try:
        ws = websocket.create_connection(
            kfdash.url.replace("http", "ws", 1) + f"/notebook/alice/nb1/api/kernels/{kernel}/channels",
            header=["kubeflow-userid: " + ALICE, "Origin: " + kfdash.url], timeout=120,
            suppress_origin=True)
        result = execute_on_kernel(ws, code, timeout=120)
        ws.close()
    finally:
        s.delete(kfdash.url + f"/notebook/alice/nb1/api/kernels/{kernel}", timeout=30)
    assert result, "the kernel logged no run"
    run_id = result[0].strip("'")
    found = plain_session().get(stack["MLFLOW_URL"] + "/api/2.0/mlflow/runs/get",
                                params={"run_id": run_id}, headers={"X-MLFLOW-WORKSPACE": "alice"},
                                timeout=15)
    assert found.status_code == 200, found.text
    # The same credential asking for bob's workspace: refused by kfdash.
    other = plain_session().post(f"http://127.0.0.1:{SIGNIN_PORT}/mlflow/api/2.0/mlflow/experiments/search",
                                 json={"max_results": 1}, timeout=15,
                                 headers={"Authorization": f"Bearer {token}", "X-MLFLOW-WORKSPACE": "bob"})
    assert other.status_code == 403, other.text


# ---------------------------------------------------------------- 7. header spellings and group names


def test_identity_headers_spelled_with_underscores_never_reach_an_application(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/notebook/alice/evil/x",
                headers={"kubeflow_userid": ADMIN, "X_MLFLOW_WORKSPACE": "bob",
                         "Impersonate_User": ADMIN, "kubeflow_groups": "admins"})
    seen = r.json()
    assert seen["kubeflow-userid"] == ALICE
    assert not {"kubeflow_userid", "x_mlflow_workspace", "impersonate_user", "kubeflow_groups"} & set(seen)


def test_a_gateway_group_padded_to_look_like_a_system_group_is_dropped(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/whoami",
                headers={"kubeflow-groups": "team, system:masters ,\tsystem:nodes"})
    assert r.status_code == 200, r.text
    assert not [g for g in r.json()["groups"] if "system:" in g], r.json()
