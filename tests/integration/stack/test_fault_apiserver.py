"""The API server frozen (SIGSTOP: its sockets stay open, nothing answers), then resumed.

What a user notices meanwhile: calls that need the API server end within kfdash's call timeout
with a clear 503/504 naming no internal address; what kfdash answers from memory (who may enter
which namespace) goes on, and /readyz stays ready: readiness that followed a peer every replica
shares would take them all out of their Service at once, and then nobody gets even a clear
error (README, /readyz). Its "kubernetes" check says what the watches last saw. Afterwards the watch
caches catch up by themselves, and a grant removed during the outage (deleted in etcd behind the
frozen API server's back, as another API server of the cluster would) stops working.

The API server is always resumed (SIGCONT), so the rest of the suite runs against it.
"""
import concurrent.futures
import time
import uuid

import pytest

from conftest import call_as, gateway_kfdash
from faults import (etcd_delete, frozen, no_internal_address, say, stack_peer_down, stack_pid,
                    summary, timed_gets, until)

ALICE = "alice@example.com"
# kfdash's calls to the API server give up after this (server/cluster/kube.c, CALL_TIMEOUT_MS);
# its SubjectAccessReviews after 10 s (server/cluster/sar.c).
CALL_TIMEOUT_S = 15
# A grant's end reaches kfdash by its RoleBinding watch; the reviews it made before are
# remembered 5 s (README, "/api/k8s ... remembered for 5 s"). After the outage ends, a removed
# grant must stop working within that, plus the watch's own catching up.
GRANT_GONE_S = 5 + 5
NOTEBOOKS = "/api/namespaces/alice/notebooks"
PODS = "/api/k8s/api/v1/namespaces/alice/pods"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack)
    yield k
    k.stop()


@pytest.fixture
def contributor(stack, admin):
    """A user of this test's own, contributor (kubeflow-edit) in alice, bound as KFAM binds:
    the binding's name and its etcd key."""
    email = f"faults-{uuid.uuid4().hex[:8]}@example.com"
    name = f"user-{email.replace('@', '-').replace('.', '-')}-clusterrole-edit"
    r = admin.post("/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings", json={
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": "alice",
                     "annotations": {"user": email, "role": "edit"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "kubeflow-edit"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": email}]})
    assert r.status_code == 201, r.text
    yield email, name
    admin.delete(f"/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings/{name}")


def namespaces_of(k, user):
    r = call_as(k, user, "GET", "/api/workgroup/env-info")
    assert r.status_code == 200, r.text
    return {n["namespace"]: n["role"] for n in r.json()["namespaces"]}


def kubernetes_check(k):
    """/readyz's answer and its "kubernetes" check."""
    r = k.get("/readyz", timeout=5)
    return r, [c for c in r.json()["checks"] if c["name"] == "kubernetes"][0]


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def test_a_frozen_api_server_gives_clear_answers_and_kfdash_recovers_after(stack, kfdash, contributor):
    email, binding = contributor
    # The grant works: kfdash's cache has it and the API server agrees.
    until(lambda: namespaces_of(kfdash, email).get("alice") == "contributor",
          "kfdash sees the new contributor", 10)
    assert call_as(kfdash, email, "GET", NOTEBOOKS).status_code == 200
    assert call_as(kfdash, email, "GET", PODS).status_code == 200
    before = summary(timed_gets(kfdash.url + "/api/workgroup/env-info", 30,
                                headers={"kubeflow-userid": ALICE}))

    pid = stack_pid(stack, "kube-apiserver")
    with frozen(pid), concurrent.futures.ThreadPoolExecutor(4) as pool:
        t_frozen = time.monotonic()
        lists = pool.submit(timed, lambda: call_as(kfdash, ALICE, "GET", NOTEBOOKS, timeout=60))
        proxied = pool.submit(timed, lambda: call_as(kfdash, ALICE, "GET", PODS, timeout=60))
        # What kfdash knows from memory goes on meanwhile: the dashboard's frame still loads.
        during = summary(timed_gets(kfdash.url + "/api/workgroup/env-info", 30,
                                    headers={"kubeflow-userid": ALICE}))
        # The grant ends while nobody can ask the API server.
        assert etcd_delete(stack, f"/registry/rolebindings/alice/{binding}")
        for name, (r, took) in (("notebooks list", lists.result()), ("/api/k8s", proxied.result())):
            say(f"API server frozen: {name} answered {r.status_code} after {took:.1f} s: {r.text[:200]}")
            assert r.status_code in (503, 504), (name, r.status_code, r.text)
            assert took <= CALL_TIMEOUT_S + 3, (name, took)
            assert r.json()["error"], r.text
            no_internal_address(r.text)
        ready, check = kubernetes_check(kfdash)
        say(f"/readyz {time.monotonic() - t_frozen:.1f} s into the outage: {ready.status_code} {check}")
        assert ready.status_code == 200, check
        no_internal_address(check["detail"])
    t_resumed = time.monotonic()
    say(f"env-info (from memory) before: {before}; while frozen: {during}")
    assert during["ok"] == during["n"] and during["p99_ms"] < 1000, during

    # Resumed: the API server's answers come back, /readyz with them, by themselves.
    until(lambda: call_as(kfdash, ALICE, "GET", NOTEBOOKS).status_code == 200,
          "notebooks list again after SIGCONT", 20)
    until(lambda: kfdash.get("/readyz").status_code == 200, "ready again after SIGCONT", 30)
    # The grant removed during the outage stops working everywhere kfdash decides.
    until(lambda: "alice" not in namespaces_of(kfdash, email), "the removed grant gone from "
          "kfdash's cache", GRANT_GONE_S)
    gone_after = time.monotonic() - t_resumed
    assert call_as(kfdash, email, "GET", NOTEBOOKS).status_code == 403
    until(lambda: call_as(kfdash, email, "GET", PODS).status_code == 403,
          "/api/k8s refuses the removed grant", GRANT_GONE_S)
    say(f"after SIGCONT: the grant removed during the outage stopped working after "
        f"{gone_after:.1f} s")


def test_a_restarted_api_server_is_found_again_and_a_grant_removed_while_it_was_down_ends(
        stack, kfdash, admin, contributor):
    """The API server stopped (its connections refused) and started again, as after a crash or
    an upgrade: calls fail at once and clearly meanwhile, /readyz stays ready and says why the
    watches cannot go on; kfdash's watches find it again by themselves (their retries back off
    to at most 30 s, k8s/watch.c) and catch up."""
    email, binding = contributor
    until(lambda: namespaces_of(kfdash, email).get("alice") == "contributor",
          "kfdash sees the new contributor", 10)

    def apiserver_ready():
        try:
            return admin.get("/readyz", timeout=2).status_code == 200
        except Exception:  # noqa: BLE001 - not listening yet
            return False

    with stack_peer_down(stack, "kube-apiserver", apiserver_ready):
        t_down = time.monotonic()
        r, took = timed(lambda: call_as(kfdash, ALICE, "GET", NOTEBOOKS, timeout=30))
        say(f"API server down: notebooks list answered {r.status_code} after {took:.2f} s: {r.text[:200]}")
        # Cannot be reached: 502 (as README says of applications) or 503.
        assert r.status_code in (502, 503), r.text
        assert took < 5, took
        no_internal_address(r.text)
        r, took = timed(lambda: call_as(kfdash, ALICE, "GET", PODS, timeout=30))
        say(f"API server down: /api/k8s answered {r.status_code} after {took:.2f} s: {r.text[:200]}")
        assert r.status_code in (502, 503, 504) and took < 5, (r.status_code, took)
        no_internal_address(r.text)
        # The grant ends while the API server is down (in etcd, as another API server would).
        assert etcd_delete(stack, f"/registry/rolebindings/alice/{binding}")
        # The watches' next try is refused: the check says so (and still ready, as above).
        until(lambda: "refused" in kubernetes_check(kfdash)[1]["detail"].lower(),
              "/readyz saying the API server refuses connections", 35)
        ready, check = kubernetes_check(kfdash)
        say(f"/readyz {time.monotonic() - t_down:.1f} s after the API server went down: "
            f"{ready.status_code} {check}")
        assert ready.status_code == 200, check
        no_internal_address(check["detail"])
        # Down long enough for the watches' retries to back off a few times.
        while time.monotonic() - t_down < 6:
            time.sleep(0.2)
        t_restart = time.monotonic()
    t_up = time.monotonic()
    say(f"the API server answered {t_up - t_restart:.1f} s after its restart")
    until(lambda: call_as(kfdash, ALICE, "GET", NOTEBOOKS).status_code == 200,
          "notebooks list again after the restart", 20)
    # The watches come back (within their longest backoff, 30 s) with the grant gone.
    until(lambda: "alice" not in namespaces_of(kfdash, email),
          "the grant removed while the API server was down gone from kfdash's cache", 30 + 5)
    gone_after = time.monotonic() - t_up
    until(lambda: kfdash.get("/readyz").status_code == 200, "ready again after the restart", 35)
    assert call_as(kfdash, email, "GET", NOTEBOOKS).status_code == 403
    until(lambda: call_as(kfdash, email, "GET", PODS).status_code == 403,
          "/api/k8s refuses the removed grant", GRANT_GONE_S)
    check = [c for c in kfdash.get("/readyz").json()["checks"] if c["name"] == "kubernetes"][0]
    say(f"API server restarted: the grant removed while it was down stopped working "
        f"{gone_after:.1f} s after it answered again; /readyz: {check['detail']}")
