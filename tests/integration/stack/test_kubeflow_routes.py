"""Kubeflow's own dashboard routes, each pinned to the answer Kubeflow's central dashboard gives
(kubeflow/dashboard components/centraldashboard/app: api_workgroup.ts, api.ts, server.ts and
attach_user_middleware.ts, with KFAM behind them), against the stack's real kube-apiserver.

Kubeflow's rules these tests hold kfdash to:
- a user's *username* is the part of the email before '@' (attach_user_middleware.ts): it is
  `exists.user`, the default name of `create`, and the profile `nuke-self` deletes;
- contributors are an array of email strings, the users bound to kubeflow-edit (KFAM's "edit",
  mapped to "contributor" and filtered on it): viewers are not listed;
- `create` answers 200 {"message": "Created namespace <ns>"}, `nuke-self` 200
  {"message": "Removed namespace/profile <username>"} (KFAM's empty answer makes `serverBody`
  undefined, so Express leaves it out);
- a missing or malformed contributor is 400 with Kubeflow's own message.

Where kfdash answers otherwise on purpose (the caller's namespaces only, 404 rather than KFAM's
401 for a profile that is not yours), the test says so. kfdash's richer shapes live on its own
routes (/api/profiles/...), tested in test_profiles.py.
"""
import time

import pytest

from conftest import call_as, gateway_kfdash

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
PROFILES = "/apis/kubeflow.org/v1/profiles"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack)
    yield k
    k.stop()


def no_profile(admin, name):
    """What an earlier, interrupted run left: profile and namespace `name` deleted, and waited for
    (a namespace that still exists cannot be registered)."""
    admin.delete(f"{PROFILES}/{name}")
    admin.delete(f"/api/v1/namespaces/{name}")
    until(lambda: admin.get(f"/api/v1/namespaces/{name}").status_code == 404,
          f"namespace {name} gone", seconds=60)


def until(check, what, seconds=10):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


# ---------------------------------------------------------------- who the user is


@pytest.mark.parametrize("user, username, owns", [(ALICE, "alice", True),
                                                  (BOB, "bob", True),
                                                  (STRANGER, "stranger", False)])
def test_exists_is_kubeflows_object_with_the_username(kfdash, user, username, owns):
    r = call_as(kfdash, user, "GET", "/api/workgroup/exists")
    assert r.status_code == 200, r.text
    assert r.json() == {"hasAuth": True, "user": username, "hasWorkgroup": owns,
                        "registrationFlowAllowed": True}


def test_env_info_has_exactly_kubeflows_fields(kfdash):
    r = call_as(kfdash, BOB, "GET", "/api/workgroup/env-info")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"user", "platform", "namespaces", "isClusterAdmin"}
    assert body["user"] == BOB  # env-info names the email, as Kubeflow's does
    assert set(body["platform"]) == {"provider", "providerName", "kubeflowVersion", "logoutUrl"}
    assert all(isinstance(v, str) for v in body["platform"].values())
    assert sorted(body["namespaces"], key=lambda n: n["namespace"]) == [
        {"namespace": "alice", "role": "contributor", "user": BOB},
        {"namespace": "bob", "role": "owner", "user": BOB}]
    assert body["isClusterAdmin"] is False


def test_namespaces_are_kubernetes_namespace_objects_of_the_callers_only(kfdash):
    # Kubeflow lists every namespace of the cluster; kfdash only the caller's (on purpose).
    r = call_as(kfdash, BOB, "GET", "/api/namespaces")
    assert r.status_code == 200, r.text
    assert sorted(n["metadata"]["name"] for n in r.json()) == ["alice", "bob"]
    assert all(n["kind"] == "Namespace" and n["apiVersion"] == "v1" for n in r.json())


# ---------------------------------------------------------------- contributors


def test_get_contributors_is_the_editors_emails(kfdash):
    # bob edits alice, carol only views it: Kubeflow lists contributors (KFAM's "edit") alone.
    r = call_as(kfdash, BOB, "GET", "/api/workgroup/get-contributors/alice")
    assert r.status_code == 200, r.text
    assert r.json() == [BOB]


def test_add_and_remove_contributor_answer_the_updated_emails(kfdash, admin):
    dave = "dave.k@example.com"
    r = call_as(kfdash, ALICE, "POST", "/api/workgroup/add-contributor/alice",
                json={"contributor": dave})
    try:
        assert r.status_code == 200, r.text
        assert sorted(r.json()) == sorted([BOB, dave])
        binding = admin.get("/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings/"
                            "user-dave-k-example-com-clusterrole-edit").json()
        assert binding["metadata"]["annotations"] == {"user": dave, "role": "edit"}
        until(lambda: sorted(call_as(kfdash, CAROL, "GET",
                                     "/api/workgroup/get-contributors/alice").json())
              == sorted([BOB, dave]), "the new contributor is listed")
    finally:
        r = call_as(kfdash, ALICE, "DELETE", "/api/workgroup/remove-contributor/alice",
                    json={"contributor": dave})
    assert r.status_code == 200, r.text
    assert r.json() == [BOB]


@pytest.mark.parametrize("method, route", [("POST", "add-contributor"),
                                           ("DELETE", "remove-contributor")])
@pytest.mark.parametrize("body, error", [
    ({}, "Missing contributor field."),
    ({"contributor": ""}, "Missing contributor field."),
    ({"contributor": "dave"}, "Contributor doesn't look like a valid email address"),
    ({"contributor": "a b@example.com"}, "Contributor doesn't look like a valid email address"),
    ({"contributor": "system:serviceaccount:alice:x"},
     "Contributor doesn't look like a valid email address"),
])
def test_a_bad_contributor_gets_kubeflows_400(kfdash, method, route, body, error):
    r = call_as(kfdash, ALICE, method, f"/api/workgroup/{route}/alice", json=body)
    assert r.status_code == 400, r.text
    assert r.json() == {"error": error}


def test_add_viewer_is_no_kubeflow_route(kfdash):
    # Kubeflow has no viewers on its routes: kfdash's live under /api/profiles (test_profiles.py).
    r = call_as(kfdash, ALICE, "POST", "/api/workgroup/add-viewer/alice",
                json={"contributor": "dave@example.com"})
    assert r.status_code == 404 and "error" in r.json()


def test_get_all_namespaces_is_rows_of_three_strings(kfdash):
    rows = call_as(kfdash, ADMIN, "GET", "/api/workgroup/get-all-namespaces").json()
    assert all(isinstance(row, list) and len(row) == 3 and all(isinstance(c, str) for c in row)
               for row in rows)
    alice = next(row for row in rows if row[0] == "alice")
    assert alice[1] == ALICE and sorted(alice[2].split(", ")) == [BOB, CAROL]


# ---------------------------------------------------------------- registration and nuke-self


def test_create_names_the_profile_after_the_username_and_nuke_self_deletes_it(kfdash, admin):
    frank = "frank@example.com"
    no_profile(admin, "frank")
    r = call_as(kfdash, frank, "POST", "/api/workgroup/create", json={})
    try:
        assert r.status_code == 200, r.text
        assert r.json() == {"message": "Created namespace frank"}
        profile = admin.get(f"{PROFILES}/frank").json()
        assert profile["spec"]["owner"] == {"kind": "User", "name": frank}
        until(lambda: call_as(kfdash, frank, "GET", "/api/workgroup/exists").json()["hasWorkgroup"],
              "kfdash sees frank's profile")
    finally:
        r = call_as(kfdash, frank, "DELETE", "/api/workgroup/nuke-self")
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Removed namespace/profile frank"}
    assert admin.get(f"{PROFILES}/frank").status_code == 404


def test_create_takes_the_namespace_given_and_nuke_self_only_the_one_named_after_the_user(
        kfdash, admin):
    grace = "grace@example.com"
    no_profile(admin, "grace-lab")
    r = call_as(kfdash, grace, "POST", "/api/workgroup/create", json={"namespace": "grace-lab"})
    try:
        assert r.status_code == 200, r.text
        assert r.json() == {"message": "Created namespace grace-lab"}
        until(lambda: call_as(kfdash, grace, "GET", "/api/workgroup/exists").json()["hasWorkgroup"],
              "kfdash sees grace's profile")
        # Her profile is not called "grace": nuke-self finds nothing of hers to delete (Kubeflow's
        # KFAM says 401; kfdash 404, which does not read as "sign in again").
        r = call_as(kfdash, grace, "DELETE", "/api/workgroup/nuke-self")
        assert r.status_code == 404 and "grace" in r.json()["error"], r.text
        assert admin.get(f"{PROFILES}/grace-lab").status_code == 200
    finally:
        admin.delete(f"{PROFILES}/grace-lab")


def test_nuke_self_never_deletes_a_profile_of_that_name_someone_else_owns(kfdash, admin):
    # A profile called "bob" owned by bob@example.com; an "bob@elsewhere.org" is another user.
    r = call_as(kfdash, "bob@elsewhere.org", "DELETE", "/api/workgroup/nuke-self")
    assert r.status_code == 404, r.text
    assert admin.get(f"{PROFILES}/bob").status_code == 200


# ---------------------------------------------------------------- activities, errors


def test_activities_are_the_namespaces_kubernetes_events(kfdash, admin):
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"generateName": "kf-shape-"},
             "involvedObject": {"kind": "Notebook", "name": "nb1", "namespace": "alice"},
             "reason": "Pinned", "message": "an event as Kubeflow lists it", "type": "Normal",
             "source": {"component": "tests"},
             "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    made = admin.post("/api/v1/namespaces/alice/events", json=event)
    assert made.status_code == 201, made.text
    name = made.json()["metadata"]["name"]
    try:
        r = call_as(kfdash, CAROL, "GET", "/api/activities/alice")
        assert r.status_code == 200, r.text
        mine = next(e for e in r.json() if e["metadata"]["name"] == name)
        # The Event object itself, as Kubeflow's listNamespacedEvent gives it.
        assert mine["involvedObject"] == {"kind": "Notebook", "name": "nb1", "namespace": "alice"}
        assert mine["source"] == {"component": "tests"}
        assert (mine["reason"], mine["type"], mine["message"]) == (
            "Pinned", "Normal", "an event as Kubeflow lists it")
        assert mine["lastTimestamp"] == event["lastTimestamp"]
        assert mine["metadata"]["namespace"] == "alice"
    finally:
        admin.delete(f"/api/v1/namespaces/alice/events/{name}")


def test_an_unknown_api_route_is_404_with_an_error(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/workgroup/no-such-thing")
    assert r.status_code == 404 and set(r.json()) == {"error"}
