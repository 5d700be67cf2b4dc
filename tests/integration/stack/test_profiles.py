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

from conftest import UNBOUND_ADMIN, call_as, gateway_kfdash, plain_session, start_kfdash

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
NOTEBOOKS = "/api/k8s/apis/kubeflow.org/v1/namespaces/{ns}/notebooks"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack)
    yield k
    k.stop()


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
    r = call_as(kfdash, user, "GET", "/api/workgroup/env-info")
    assert r.status_code == 200, r.text
    body = r.json()
    assert {n["namespace"]: n["role"] for n in body["namespaces"]} == expected
    assert body["user"] == user and body["isClusterAdmin"] == (user == ADMIN)
    assert body["platform"]["logoutUrl"]


def test_namespaces_are_only_the_callers(kfdash):
    r = call_as(kfdash, CAROL, "GET", "/api/namespaces")
    assert sorted(n["metadata"]["name"] for n in r.json()) == ["alice", "carol"]
    assert call_as(kfdash, STRANGER, "GET", "/api/namespaces").json() == []


def test_workgroup_exists_says_who_owns_a_profile(kfdash):
    assert call_as(kfdash, ALICE, "GET", "/api/workgroup/exists").json()["hasWorkgroup"] is True
    stranger = call_as(kfdash, STRANGER, "GET", "/api/workgroup/exists").json()
    # Kubeflow's user here is the name before '@' (test_kubeflow_routes.py)
    assert stranger == {"user": "stranger", "hasAuth": True, "hasWorkgroup": False,
                        "registrationFlowAllowed": True}


def test_a_dex_id_token_sees_the_same(kfdash, dex_login, demo_password):
    token = dex_login(BOB, demo_password("bob"))
    r = plain_session().get(kfdash.url + "/api/workgroup/env-info", timeout=15,
                            headers={"Authorization": f"Bearer {token}"})
    assert {n["namespace"] for n in r.json()["namespaces"]} == {"alice", "bob"}


# ---------------------------------------------------------------- /api/k8s in alice


@pytest.mark.parametrize("user, status", [(ALICE, 200), (BOB, 200), (CAROL, 200),
                                          (STRANGER, 403), (ADMIN, 200), (UNBOUND_ADMIN, 403)])
def test_listing_notebooks_in_alice(kfdash, user, status):
    # Cluster admins pass kfdash; the API server decides as them (admin@ holds cluster-admin in
    # the stack, ops@ nothing).
    r = call_as(kfdash, user, "GET", NOTEBOOKS.format(ns="alice"))
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["kind"] == "NotebookList"


@pytest.mark.parametrize("user, status", [(BOB, 201), (ALICE, 201), (CAROL, 403),
                                          (STRANGER, 403)])
def test_creating_and_deleting_a_notebook_in_alice(kfdash, admin, user, status):
    name = f"matrix-{user.split('@')[0]}"
    r = call_as(kfdash, user, "POST", NOTEBOOKS.format(ns="alice"), json=notebook(name))
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["metadata"]["name"] == name
        # The object was made as the user, through impersonation.
        made = admin.get(f"/apis/kubeflow.org/v1/namespaces/alice/notebooks/{name}").json()
        assert made["metadata"]["managedFields"][0]["manager"]
        d = call_as(kfdash, user, "DELETE", NOTEBOOKS.format(ns="alice") + f"/{name}")
        assert d.status_code == 200, d.text
    else:
        assert "error" in r.json()


def test_a_viewer_cannot_delete_and_gets_the_api_servers_reason(kfdash, admin):
    admin.post("/apis/kubeflow.org/v1/namespaces/alice/notebooks", json=notebook("keep-me"))
    try:
        r = call_as(kfdash, CAROL, "DELETE", NOTEBOOKS.format(ns="alice") + "/keep-me")
        assert r.status_code == 403 and "RBAC" in r.json()["error"]
        assert admin.get("/apis/kubeflow.org/v1/namespaces/alice/notebooks/keep-me").status_code == 200
    finally:
        admin.delete("/apis/kubeflow.org/v1/namespaces/alice/notebooks/keep-me")


@pytest.mark.parametrize("path", [
    "/api/k8s/api/v1/namespaces/alice/secrets",           # not allow-listed
    "/api/k8s/api/v1/secrets",                           # not allow-listed, cluster-wide
    "/api/k8s/healthz",                                   # not a resource (discovery is: below)
    "/api/k8s/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
])
def test_resources_outside_the_allow_list_are_refused_for_everyone(kfdash, path):
    for user in (ALICE, ADMIN):
        assert call_as(kfdash, user, "GET", path).status_code in (403, 404)


def test_read_only_resources_refuse_writes_even_to_the_owner(kfdash):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nope"}}
    r = call_as(kfdash, ALICE, "POST", "/api/k8s/api/v1/namespaces/alice/configmaps", json=cm)
    assert r.status_code == 403 and "read-only" in r.json()["error"]


def test_cluster_scoped_reads_are_for_cluster_admins_only(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/k8s/apis/kubeflow.org/v1/profiles")
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
    r = call_as(kfdash, ALICE, "GET", NOTEBOOKS.format(ns="alice") + "/no-such-notebook")
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
        while "alice" in {n["namespace"] for n in call_as(
                kfdash, BOB, "GET", "/api/workgroup/env-info").json()["namespaces"]}:
            assert time.monotonic() < deadline, "bob still sees alice 10 s after losing his binding"
            time.sleep(0.2)
        assert call_as(kfdash, BOB, "GET", NOTEBOOKS.format(ns="alice")).status_code == 403
    finally:
        for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
            binding["metadata"].pop(key, None)
        assert admin.post(path, json=binding).status_code == 201
    deadline = time.monotonic() + 10
    while call_as(kfdash, BOB, "GET", NOTEBOOKS.format(ns="alice")).status_code != 200:
        assert time.monotonic() < deadline, "bob's access did not come back"
        time.sleep(0.2)


def test_readyz_waits_for_the_caches(kfdash):
    body = kfdash.get("/readyz").json()
    check = {c["name"]: c for c in body["checks"]}["kubernetes"]
    assert check["ready"] and "profiles" in check["detail"]


# ---------------------------------------------------------------- contributors
# kfdash's own routes, /api/profiles/<ns>/contributors: people with their roles, viewers too.
# Kubeflow's /api/workgroup/... routes and their shapes: test_kubeflow_routes.py.


RB = "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings"
AP = "/apis/security.istio.io/v1beta1/namespaces/alice/authorizationpolicies"
PEOPLE = "/api/profiles/{ns}/contributors"


@pytest.mark.parametrize("user", [BOB, CAROL, STRANGER])
def test_only_the_owner_or_an_admin_manages_contributors(kfdash, user):
    for method, path, body in [
            ("POST", "/api/workgroup/add-contributor/alice", {"contributor": "mallory@example.com"}),
            ("DELETE", "/api/workgroup/remove-contributor/alice", {"contributor": BOB}),
            ("POST", PEOPLE.format(ns="alice"), {"user": "mallory@example.com", "role": "viewer"}),
            ("DELETE", PEOPLE.format(ns="alice"), {"user": BOB})]:
        r = call_as(kfdash, user, method, path, json=body)
        assert r.status_code == 403, (path, r.text)


def test_contributors_are_listed_for_members_only(kfdash):
    people = call_as(kfdash, CAROL, "GET", PEOPLE.format(ns="alice")).json()
    assert sorted(people, key=lambda p: p["user"]) == [{"user": BOB, "role": "contributor"},
                                                       {"user": CAROL, "role": "viewer"}]
    r = call_as(kfdash, STRANGER, "GET", PEOPLE.format(ns="alice"))
    assert r.status_code == 403


@pytest.mark.parametrize("role, kfam_role", [("contributor", "edit"), ("viewer", "view")])
def test_the_owner_adds_and_removes_a_contributor_as_kfam_would(kfdash, admin, role, kfam_role):
    dave = "Dave.Jones@example.com"
    name = f"user-dave-jones-example-com-clusterrole-{kfam_role}"
    r = call_as(kfdash, ALICE, "POST", PEOPLE.format(ns="alice"), json={"user": dave, "role": role})
    assert r.status_code == 200, r.text
    assert {"user": dave, "role": role} in r.json()
    try:
        binding = admin.get(f"{RB}/{name}").json()
        assert binding["roleRef"]["name"] == f"kubeflow-{kfam_role}"
        assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                                        "name": dave}]
        assert binding["metadata"]["annotations"] == {"user": dave, "role": kfam_role}
        policy = admin.get(f"{AP}/{name}").json()
        assert policy["spec"]["rules"][0]["when"] == [
            {"key": "request.headers[kubeflow-userid]", "values": [dave]}]
        # dave now sees alice, with the right role, within the cache's reaction time.
        deadline = time.monotonic() + 10
        while True:
            seen = {n["namespace"]: n["role"] for n in
                    call_as(kfdash, dave, "GET", "/api/workgroup/env-info").json()["namespaces"]}
            if seen.get("alice") == role:
                break
            assert time.monotonic() < deadline, seen
            time.sleep(0.2)
    finally:
        r = call_as(kfdash, ALICE, "DELETE", PEOPLE.format(ns="alice"),
                    json={"user": dave, "role": role})
    assert r.status_code == 200, r.text
    assert dave not in {p["user"] for p in r.json()}
    assert admin.get(f"{RB}/{name}").status_code == 404
    assert admin.get(f"{AP}/{name}").status_code == 404


def test_a_bad_contributor_is_a_clear_400(kfdash):
    for body in ({}, {"user": ""}, {"user": "a b@example.com"}, {"user": 7},
                 {"user": "dave@example.com", "role": "owner"}):
        r = call_as(kfdash, ALICE, "POST", PEOPLE.format(ns="alice"), json=body)
        assert r.status_code == 400 and "user" in r.json()["error"], (body, r.text)


# ---------------------------------------------------------------- profiles


def test_registration_creates_the_callers_own_profile_and_deleting_it_removes_it(kfdash, admin):
    # kfdash's own route: the default name is the email's local part made a valid name.
    erin = "erin.x@example.com"
    r = call_as(kfdash, erin, "POST", "/api/profiles", json={})
    assert r.status_code == 201, r.text
    assert r.json() == {"namespace": "erin-x", "owner": erin}
    try:
        profile = admin.get("/apis/kubeflow.org/v1/profiles/erin-x").json()
        assert profile["spec"]["owner"] == {"kind": "User", "name": erin}
        assert call_as(kfdash, erin, "POST", "/api/profiles", json={}).status_code == 409
        deadline = time.monotonic() + 10
        while call_as(kfdash, erin, "GET",
                      "/api/workgroup/exists").json()["hasWorkgroup"] is not True:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        # only its owner (or an admin) deletes it
        assert call_as(kfdash, BOB, "DELETE", "/api/profiles/erin-x").status_code == 403
    finally:
        r = call_as(kfdash, erin, "DELETE", "/api/profiles/erin-x")
    assert r.status_code == 204, r.text
    assert admin.get("/apis/kubeflow.org/v1/profiles/erin-x").status_code == 404


@pytest.mark.parametrize("body, status", [
    ({"namespace": "Not_A_Name"}, 400),
    ({"namespace": "alice"}, 409),
    ({"namespace": "mine", "user": ALICE}, 400),   # only admins name another owner
])
def test_registration_refuses_bad_requests(kfdash, body, status):
    for path in ("/api/profiles", "/api/workgroup/create"):
        r = call_as(kfdash, STRANGER, "POST", path, json=body)
        assert r.status_code == status, (path, r.text)


def test_registration_off_is_enforced_on_the_server(stack):
    k = gateway_kfdash(stack, "--registration-flow", "false")
    try:
        for path in ("/api/profiles", "/api/workgroup/create"):
            r = call_as(k, STRANGER, "POST", path, json={"namespace": "sneaky"})
            assert r.status_code == 403 and "registration" in r.json()["error"]
    finally:
        k.stop()


def test_all_profiles_are_for_admins_only(kfdash):
    assert call_as(kfdash, ALICE, "GET", "/api/workgroup/get-all-namespaces").status_code == 403
    rows = call_as(kfdash, ADMIN, "GET", "/api/workgroup/get-all-namespaces").json()
    by_ns = {row[0]: row for row in rows}
    assert by_ns["alice"][1] == ALICE
    assert set(by_ns["alice"][2].split(", ")) == {BOB, CAROL}


def test_activities_are_access_checked(kfdash, admin):
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"generateName": "kfdash-test-"},
             "involvedObject": {"kind": "Notebook", "name": "nb1", "namespace": "alice"},
             "reason": "Tested", "message": "an event for the activity tab", "type": "Warning",
             "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    made = admin.post("/api/v1/namespaces/alice/events", json=event)
    assert made.status_code == 201, made.text
    try:
        r = call_as(kfdash, CAROL, "GET", "/api/activities/alice")
        assert r.status_code == 200, r.text
        assert r.json()[0]["reason"] == "Tested" and r.json()[0]["type"] == "Warning"
        assert call_as(kfdash, STRANGER, "GET", "/api/activities/alice").status_code == 403
    finally:
        admin.delete(f"/api/v1/namespaces/alice/events/{made.json()['metadata']['name']}")


def test_a_kubeconfig_with_client_certificates_works_as_well(stack, admin):
    """The stack's kubeconfig embeds its CA, client certificate and key: kfdash keeps them in
    memory (nothing under /tmp, where it once wrote them out), watches, impersonates, and checks a
    service account's token by TokenReview with them."""
    import glob
    before = set(glob.glob("/tmp/kfdash-kube-*"))
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                     "--kubeconfig", stack["KUBECONFIG"])
    try:
        seen = {n["namespace"] for n in
                call_as(k, BOB, "GET", "/api/workgroup/env-info").json()["namespaces"]}
        assert seen == {"alice", "bob"}
        assert call_as(k, BOB, "GET", NOTEBOOKS.format(ns="alice")).status_code == 200
        assert set(glob.glob("/tmp/kfdash-kube-*")) == before
        made = admin.post("/api/v1/namespaces/alice/serviceaccounts/default/token",
                          json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                "spec": {"expirationSeconds": 600}})
        assert made.status_code == 201, made.text
        r = plain_session().get(k.url + "/api/whoami", timeout=10, headers={
            "Authorization": "Bearer " + made.json()["status"]["token"]})
        assert r.status_code == 200, r.text
        assert r.json()["email"] == "system:serviceaccount:alice:default"
        assert r.json()["source"] == "service-account"
    finally:
        k.stop()


def test_a_broken_kubeconfig_stops_kfdash_with_a_clear_line(stack, tmp_path):
    import subprocess
    from kfdash_process import BIN
    bad = tmp_path / "kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\ncurrent-context: nowhere\ncontexts: []\n")
    run = subprocess.run([BIN, "--kubeconfig", str(bad), "--listen", "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=10)
    assert run.returncode == 2
    assert "nowhere" in run.stderr and str(bad) in run.stderr


def test_rules_say_what_the_caller_may_do_in_a_namespace(kfdash):
    def may(user, verb, resource):
        body = call_as(kfdash, user, "GET", "/api/rules/alice").json()
        return any((verb in rule["verbs"] or "*" in rule["verbs"]) and
                   (resource in rule["resources"] or "*" in rule["resources"])
                   for rule in body["rules"])
    assert may(BOB, "create", "notebooks") and may(CAROL, "list", "notebooks")
    assert not may(CAROL, "create", "notebooks")
    assert call_as(kfdash, STRANGER, "GET", "/api/rules/alice").status_code == 403
