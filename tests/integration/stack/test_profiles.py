"""Profiles and RBAC against the stack's real kube-apiserver: who sees which namespaces, and what
/api/k8s lets each user do in profile `alice` (owner alice, bob edits, carol views; admin is a
kfdash cluster admin only; a stranger has nothing).

Users come in as a trusted gateway names them (kfdash started with --trusted-header-peers), so
every user, the stranger included, is just a header; one test proves a Dex ID token gives the
same answers.
"""
import json
import threading
import time

import pytest

from conftest import plain_session, start_kfdash

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
NOTEBOOKS = "/api/k8s/apis/kubeflow.org/v1/namespaces/{ns}/notebooks"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                     "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"],
                     "--cluster-admins", ADMIN)
    yield k
    k.stop()


def call(k, user, method, path, **kw):
    headers = {"kubeflow-userid": user, "Origin": k.url, **kw.pop("headers", {})}
    kw.setdefault("timeout", 15)
    return plain_session().request(method, k.url + path, headers=headers, **kw)


def notebook(name):
    return {"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
            "metadata": {"name": name},
            "spec": {"template": {"spec": {"containers": [{"name": name, "image": "jupyter"}]}}}}


# ---------------------------------------------------------------- what each user sees


@pytest.mark.parametrize("user, expected", [
    (ALICE, {"alice": "owner"}),
    (BOB, {"alice": "contributor", "bob": "owner"}),
    (CAROL, {"alice": "viewer", "carol": "owner"}),
    (ADMIN, {}),
    (STRANGER, {}),
])
def test_env_info_lists_exactly_the_users_namespaces(kfdash, user, expected):
    r = call(kfdash, user, "GET", "/api/workgroup/env-info")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {n["namespace"]: n["role"] for n in body["namespaces"]} == expected
    assert body["user"] == user and body["isClusterAdmin"] == (user == ADMIN)
    assert body["platform"]["logoutUrl"]


def test_namespaces_are_only_the_callers(kfdash):
    r = call(kfdash, CAROL, "GET", "/api/namespaces")
    assert sorted(n["metadata"]["name"] for n in r.json()) == ["alice", "carol"]
    assert call(kfdash, STRANGER, "GET", "/api/namespaces").json() == []


def test_workgroup_exists_says_who_owns_a_profile(kfdash):
    assert call(kfdash, ALICE, "GET", "/api/workgroup/exists").json()["hasWorkgroup"] is True
    stranger = call(kfdash, STRANGER, "GET", "/api/workgroup/exists").json()
    assert stranger == {"user": STRANGER, "hasAuth": True, "hasWorkgroup": False,
                        "registrationFlowAllowed": True}


def test_a_dex_id_token_sees_the_same(kfdash, dex_login, demo_password):
    token = dex_login(BOB, demo_password("bob"))
    r = plain_session().get(kfdash.url + "/api/workgroup/env-info", timeout=15,
                            headers={"Authorization": f"Bearer {token}"})
    assert {n["namespace"] for n in r.json()["namespaces"]} == {"alice", "bob"}


# ---------------------------------------------------------------- /api/k8s in alice


@pytest.mark.parametrize("user, status", [(ALICE, 200), (BOB, 200), (CAROL, 200),
                                          (STRANGER, 403), (ADMIN, 403)])
def test_listing_notebooks_in_alice(kfdash, user, status):
    r = call(kfdash, user, "GET", NOTEBOOKS.format(ns="alice"))
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["kind"] == "NotebookList"


@pytest.mark.parametrize("user, status", [(BOB, 201), (ALICE, 201), (CAROL, 403),
                                          (STRANGER, 403)])
def test_creating_and_deleting_a_notebook_in_alice(kfdash, admin, user, status):
    name = f"matrix-{user.split('@')[0]}"
    r = call(kfdash, user, "POST", NOTEBOOKS.format(ns="alice"), json=notebook(name))
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["metadata"]["name"] == name
        # The object was made as the user, through impersonation.
        made = admin.get(f"/apis/kubeflow.org/v1/namespaces/alice/notebooks/{name}").json()
        assert made["metadata"]["managedFields"][0]["manager"]
        d = call(kfdash, user, "DELETE", NOTEBOOKS.format(ns="alice") + f"/{name}")
        assert d.status_code == 200, d.text
    else:
        assert "error" in r.json()


def test_a_viewer_cannot_delete_and_gets_the_api_servers_reason(kfdash, admin):
    admin.post("/apis/kubeflow.org/v1/namespaces/alice/notebooks", json=notebook("keep-me"))
    try:
        r = call(kfdash, CAROL, "DELETE", NOTEBOOKS.format(ns="alice") + "/keep-me")
        assert r.status_code == 403 and "RBAC" in r.json()["error"]
        assert admin.get("/apis/kubeflow.org/v1/namespaces/alice/notebooks/keep-me").status_code == 200
    finally:
        admin.delete("/apis/kubeflow.org/v1/namespaces/alice/notebooks/keep-me")


@pytest.mark.parametrize("path", [
    "/api/k8s/api/v1/namespaces/alice/secrets",           # not allow-listed
    "/api/k8s/api/v1/secrets",                           # not allow-listed, cluster-wide
    "/api/k8s/version",                                   # not a resource
    "/api/k8s/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
])
def test_resources_outside_the_allow_list_are_refused_for_everyone(kfdash, path):
    for user in (ALICE, ADMIN):
        assert call(kfdash, user, "GET", path).status_code in (403, 404)


def test_read_only_resources_refuse_writes_even_to_the_owner(kfdash):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nope"}}
    r = call(kfdash, ALICE, "POST", "/api/k8s/api/v1/namespaces/alice/configmaps", json=cm)
    assert r.status_code == 403 and "read-only" in r.json()["error"]


def test_cluster_scoped_reads_are_for_cluster_admins_only(kfdash):
    r = call(kfdash, ALICE, "GET", "/api/k8s/apis/kubeflow.org/v1/profiles")
    assert r.status_code == 403 and "cluster admins" in r.json()["error"]


@pytest.mark.parametrize("path", [
    "/api/k8s/apis/kubeflow.org/v1/namespaces/carol/../alice/notebooks",
    "/api/k8s/apis/kubeflow.org/v1/namespaces/carol/%2e%2e/alice/notebooks",
    "/api/k8s/apis/kubeflow.org/v1/namespaces/carol%2F..%2Falice/notebooks",
    "/api/k8s/apis/kubeflow.org/v1//namespaces//alice//notebooks",
    "/api/k8s/apis/kubeflow.org/v1/namespaces/alice/notebooks",
])
def test_a_stranger_gets_nothing_in_alice_however_the_path_is_spelled(kfdash, path):
    r = plain_session().get(kfdash.url + path, timeout=15,
                            headers={"kubeflow-userid": STRANGER, "Impersonate-User": ALICE,
                                     "Impersonate-Group": "system:masters"})
    assert r.status_code in (400, 403), (r.status_code, r.text)


def test_the_api_servers_own_errors_pass_through(kfdash):
    r = call(kfdash, ALICE, "GET", NOTEBOOKS.format(ns="alice") + "/no-such-notebook")
    assert r.status_code == 404
    assert r.json()["kind"] == "Status" and r.json()["reason"] == "NotFound"


def test_a_watch_through_kfdash_delivers_events(kfdash, admin):
    events = []
    url = kfdash.url + NOTEBOOKS.format(ns="alice") + "?watch=1&timeoutSeconds=20"

    def watch():
        with plain_session().get(url, headers={"kubeflow-userid": CAROL}, stream=True,
                                 timeout=30) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                event = json.loads(line)
                events.append((event["type"], event["object"]["metadata"]["name"]))
                if event["object"]["metadata"]["name"] == "watched":
                    return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    time.sleep(1)
    try:
        assert admin.post("/apis/kubeflow.org/v1/namespaces/alice/notebooks",
                          json=notebook("watched")).status_code == 201
        t.join(20)
        assert ("ADDED", "watched") in events, events
    finally:
        admin.delete("/apis/kubeflow.org/v1/namespaces/alice/notebooks/watched")


def test_a_removed_contributor_loses_access_within_seconds(kfdash, admin):
    path = "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings"
    name = "user-bob-example-com-clusterrole-edit"
    binding = admin.get(f"{path}/{name}").json()
    assert binding["kind"] == "RoleBinding", binding
    assert admin.delete(f"{path}/{name}").status_code == 200
    try:
        deadline = time.monotonic() + 10
        while "alice" in {n["namespace"] for n in
                          call(kfdash, BOB, "GET", "/api/workgroup/env-info").json()["namespaces"]}:
            assert time.monotonic() < deadline, "bob still sees alice 10 s after losing his binding"
            time.sleep(0.2)
        assert call(kfdash, BOB, "GET", NOTEBOOKS.format(ns="alice")).status_code == 403
    finally:
        for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
            binding["metadata"].pop(key, None)
        assert admin.post(path, json=binding).status_code == 201
    deadline = time.monotonic() + 10
    while call(kfdash, BOB, "GET", NOTEBOOKS.format(ns="alice")).status_code != 200:
        assert time.monotonic() < deadline, "bob's access did not come back"
        time.sleep(0.2)


def test_readyz_waits_for_the_caches(kfdash):
    body = kfdash.get("/readyz").json()
    check = {c["name"]: c for c in body["checks"]}["kubernetes"]
    assert check["ready"] and "profiles" in check["detail"]
