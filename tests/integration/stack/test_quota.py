"""Profile quotas in the stack (issue 18): the profile-controller stand-in (tests/stack/seed.py)
turns a Profile's spec.resourceQuotaSpec into ResourceQuota `kf-resource-quota` in the profile's
namespace, as Kubeflow's profile controller does (made, updated, deleted with the spec), and the
stack's real kube-controller-manager (resourcequota controller) computes its status, which the
API server's quota admission enforces.

The stack has no scheduler nor kubelet, but a Pod object counts toward the quota as soon as it is
created: that is all the quota system looks at."""
import json
import time
import uuid
from decimal import Decimal

import pytest

QUOTA = "kf-resource-quota"
PROFILES = "/apis/kubeflow.org/v1/profiles"
MERGE = {"Content-Type": "application/merge-patch+json"}
# alice's resourceQuotaSpec, as seed.py's ALICE_QUOTA seeds it.
ALICE_HARD = {"cpu": "16", "memory": "64Gi", "requests.nvidia.com/gpu": "4",
              "requests.storage": "200Gi", "persistentvolumeclaims": "20", "pods": "50",
              "services": "20"}
SUFFIX = {"m": Decimal("0.001"), "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9),
          "T": Decimal(10**12), "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30),
          "Ti": Decimal(2**40)}


def quantity(q):
    """A Kubernetes quantity ("250m", "1Gi", "4") as a number."""
    for s in sorted(SUFFIX, key=len, reverse=True):
        if q.endswith(s):
            return Decimal(q[:-len(s)]) * SUFFIX[s]
    return Decimal(q)


def poll(check, what, seconds=30, every=0.2):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {seconds} s (last: {value!r})"
        time.sleep(every)


def quota_path(ns):
    return f"/api/v1/namespaces/{ns}/resourcequotas/{QUOTA}"


def used(admin, ns="alice"):
    r = admin.get(quota_path(ns))
    assert r.status_code == 200, r.text
    return {k: quantity(v) for k, v in (r.json().get("status", {}).get("used") or {}).items()}


def pod(name, cpu="250m", memory="256Mi", gpus=None):
    resources = {"requests": {"cpu": cpu, "memory": memory}}
    if gpus:  # extended resources: requests equal limits
        resources["requests"]["nvidia.com/gpu"] = str(gpus)
        resources["limits"] = {"nvidia.com/gpu": str(gpus)}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"automountServiceAccountToken": False,
                     "containers": [{"name": "main", "image": "busybox", "resources": resources}]}}


def delete_pod(admin, ns, name):
    admin.delete(f"/api/v1/namespaces/{ns}/pods/{name}", params={"gracePeriodSeconds": 0})


def test_alices_profile_quota_is_kf_resource_quota_owned_by_the_profile(admin):
    profile = admin.get(f"{PROFILES}/alice").json()
    assert profile["spec"]["resourceQuotaSpec"] == {"hard": ALICE_HARD}, profile["spec"]
    r = admin.get(quota_path("alice"))
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["spec"] == {"hard": ALICE_HARD}, q["spec"]
    owner = q["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"], o["uid"], o.get("controller")) for o in owner] == [
        ("Profile", "alice", profile["metadata"]["uid"], True)], owner


def test_the_controller_manager_writes_hard_and_used_into_the_status(admin):
    def status():
        st = admin.get(quota_path("alice")).json().get("status") or {}
        return st if st.get("hard") and st.get("used") else None
    st = poll(status, "status.hard and status.used of alice's quota")
    assert st["hard"] == ALICE_HARD, st
    assert set(st["used"]) == set(ALICE_HARD), st
    # Profiles bob and carol have no resourceQuotaSpec: no quota either.
    for ns in ("bob", "carol"):
        assert admin.get(quota_path(ns)).status_code == 404


def test_used_follows_a_pod_with_requests_cpu_memory_and_gpus(admin):
    name = f"quota-{uuid.uuid4().hex[:6]}"
    before = poll(lambda: used(admin), "alice's quota status")
    r = admin.post("/api/v1/namespaces/alice/pods", json=pod(name, "1500m", "3Gi", gpus=2))
    assert r.status_code == 201, r.text
    try:
        want = {"pods": 1, "cpu": Decimal("1.5"), "memory": 3 * 2**30,
                "requests.nvidia.com/gpu": 2}
        grown = poll(lambda: (u := used(admin)) and all(u[k] == before[k] + v for k, v in want.items()) and u,
                     "used grown by the pod's requests")
        assert grown["persistentvolumeclaims"] == before["persistentvolumeclaims"]
    finally:
        delete_pod(admin, "alice", name)
    poll(lambda: used(admin) == before, "used back to what it was once the pod is gone")


def test_the_api_server_refuses_a_pod_over_the_quota(admin):
    name = f"quota-{uuid.uuid4().hex[:6]}"
    r = admin.post("/api/v1/namespaces/alice/pods", json=pod(name, cpu="17"))
    if r.status_code == 201:
        delete_pod(admin, "alice", name)
    assert r.status_code == 403, r.text
    assert f"exceeded quota: {QUOTA}" in r.json()["message"] and "requested: cpu=17" in r.json()["message"]
    r = admin.post("/api/v1/namespaces/alice/pods", json=pod(name, gpus=5))
    if r.status_code == 201:
        delete_pod(admin, "alice", name)
    assert r.status_code == 403, r.text
    assert "requests.nvidia.com/gpu" in r.json()["message"], r.text


def test_a_pod_without_cpu_and_memory_requests_is_refused_in_a_quota_namespace(admin):
    """As in Kubeflow: with cpu and memory in the quota every container must request them."""
    body = pod(f"quota-{uuid.uuid4().hex[:6]}")
    del body["spec"]["containers"][0]["resources"]
    r = admin.post("/api/v1/namespaces/alice/pods", json=body)
    if r.status_code == 201:
        delete_pod(admin, "alice", body["metadata"]["name"])
    assert r.status_code == 403, r.text
    assert f"failed quota: {QUOTA}: must specify" in r.json()["message"], r.text


@pytest.fixture
def profile(admin):
    """A Profile of its own (owner dora@example.com), deleted at the end."""
    name = f"quota-{uuid.uuid4().hex[:6]}"
    yield name
    admin.delete(f"{PROFILES}/{name}")


def test_the_profile_controller_makes_updates_and_deletes_the_quota_with_the_profile(admin, profile):
    hard = {"cpu": "2", "memory": "4Gi", "requests.nvidia.com/gpu": "1"}
    r = admin.post(PROFILES, json={
        "apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": profile},
        "spec": {"owner": {"kind": "User", "name": "dora@example.com"},
                 "resourceQuotaSpec": {"hard": hard}}})
    assert r.status_code == 201, r.text

    def spec():
        q = admin.get(quota_path(profile))
        return q.status_code == 200 and q.json()["spec"]
    assert poll(spec, f"{QUOTA} in namespace {profile}") == {"hard": hard}
    st = poll(lambda: admin.get(quota_path(profile)).json().get("status", {}).get("used"),
              "its status from the controller-manager")
    assert {k: quantity(v) for k, v in st.items()} == {k: 0 for k in hard}, st

    # A new spec: the quota follows, and a limit the Profile no longer names is dropped.
    hard = {"cpu": "8", "memory": "4Gi"}
    r = admin.patch(f"{PROFILES}/{profile}", headers=MERGE, data=json.dumps(
        {"spec": {"resourceQuotaSpec": {"hard": {"cpu": "8", "requests.nvidia.com/gpu": None}}}}))
    assert r.status_code == 200, r.text
    assert poll(lambda: (s := spec()) == {"hard": hard} and s, "the quota updated") == {"hard": hard}

    # No resourceQuotaSpec: no quota.
    r = admin.patch(f"{PROFILES}/{profile}", headers=MERGE,
                    data=json.dumps({"spec": {"resourceQuotaSpec": None}}))
    assert r.status_code == 200, r.text
    poll(lambda: admin.get(quota_path(profile)).status_code == 404, "the quota deleted")
