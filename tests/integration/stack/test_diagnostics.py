"""GET /api/diagnostics against the stack's real apiserver and Dex: the seed's troubleshooting as
checks. The stack has no StorageClass, no scheduler, no kubelet and no volume controller, so the
test makes the broken objects and writes the Warning events those controllers would have
written (as the admin), then reads what each user is told.

Profile `alice`: owner alice, bob edits, carol views; admin is a kfdash cluster admin only; a
stranger has no role anywhere and sees only the cluster-wide findings.
"""
import datetime
import json
import os
import tempfile
import uuid

import pytest

from conftest import gateway_kfdash, plain_session
from kfdash_process import Kfdash, free_port

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
NS = "alice"
CLAIM, POD, NOTEBOOK, STOPPED, FRESH = ("diag-claim", "diag-big", "diag-broken", "diag-stopped",
                                        "diag-fresh")
CLASS = "diag-standard"
PATCH_FIX = ("kubectl patch storageclass diag-standard -p '{\"metadata\": {\"annotations\":"
             "{\"storageclass.kubernetes.io/is-default-class\":\"true\"}}}'")
MERGE = {"Content-Type": "application/merge-patch+json"}
CLAIM_MESSAGE = "no persistent volumes available for this claim and no storage class is set"
CPU_MESSAGE = "0/1 nodes are available: 1 Insufficient cpu."


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack)
    yield k
    k.stop()


def diagnose(k, user):
    r = plain_session().get(k.url + "/api/diagnostics", headers={"kubeflow-userid": user}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    return r.json()


def checks(body):
    return {c["name"]: c for c in body["checks"]}


def findings_about(body, ns=NS, kind=None):
    return [f for f in body["findings"] if f.get("namespace") == ns
            and (kind is None or f.get("object", "").startswith(kind + "/"))]


def finding(body, object_):
    found = [f for f in body["findings"] if f.get("object") == object_]
    assert len(found) == 1, (object_, body["findings"])
    return found[0]


def now(delta_s=0, micro=False):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def core_event(kind, name, uid, reason, message, when, component):
    """A Warning event as a controller's (legacy) event recorder writes it."""
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.{uuid.uuid4().hex[:12]}", "namespace": NS},
            "involvedObject": {"apiVersion": "v1", "kind": kind, "namespace": NS, "name": name,
                               "uid": uid},
            "reason": reason, "message": message, "type": "Warning", "count": 1,
            "source": {"component": component}, "firstTimestamp": when, "lastTimestamp": when}


def remove(admin, path):
    """Deletes path and, for claims nobody's pvc-protection controller releases, its finalizers."""
    admin.delete(path)
    if "/persistentvolumeclaims/" in path:
        admin.patch(path, data=json.dumps({"metadata": {"finalizers": None}}), headers=MERGE)


@pytest.fixture(scope="module")
def broken(admin):
    """alice's broken things: a claim asking for no class (with the volume controller's event), a
    pod asking for 12 CPUs, within alice's quota of 16 but more than a node has (with the
    scheduler's event), a notebook whose image cannot be pulled,
    the same stopped, and one just made. Removed at the end."""
    base = f"/api/v1/namespaces/{NS}"
    nbs = f"/apis/kubeflow.org/v1/namespaces/{NS}/notebooks"
    made = [f"{base}/persistentvolumeclaims/{CLAIM}", f"{base}/pods/{POD}",
            *(f"{nbs}/{n}" for n in (NOTEBOOK, STOPPED, FRESH))]
    for path in made:
        remove(admin, path)
    try:
        claim = admin.post(f"{base}/persistentvolumeclaims", json={
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": CLAIM},
            "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}})
        assert claim.status_code == 201, claim.text
        pod = admin.post(f"{base}/pods", json={
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": POD, "labels": {"notebook-name": "diag"}},
            "spec": {"containers": [{"name": "diag", "image": "jupyter",
                                     # alice's quota (kf-resource-quota) counts cpu and
                                     # memory: a pod there must request both.
                                     "resources": {"requests": {"cpu": "12", "memory": "1Gi"}}}]}})
        assert pod.status_code == 201, pod.text
        for name, annotations in ((NOTEBOOK, {}), (STOPPED, {"kubeflow-resource-stopped": now()}),
                                  (FRESH, {})):
            r = admin.post(nbs, json={
                "apiVersion": "kubeflow.org/v1", "kind": "Notebook",
                "metadata": {"name": name, "annotations": annotations},
                "spec": {"template": {"spec": {"containers": [{"name": name, "image": "jupyter:nope"}]}}}})
            assert r.status_code == 201, r.text
        for name in (NOTEBOOK, STOPPED):
            r = admin.patch(f"{nbs}/{name}/status", headers=MERGE, data=json.dumps({"status": {
                "readyReplicas": 0,
                "containerState": {"waiting": {"reason": "ImagePullBackOff",
                                               "message": 'Back-off pulling image "jupyter:nope"'}},
                "conditions": []}}))
            assert r.status_code == 200, r.text
        yield {"claim": claim.json(), "pod": pod.json(), "events": []}
    finally:
        for path in made:
            remove(admin, path)


@pytest.fixture(scope="module")
def events(admin, broken):
    """The events the missing controllers would write: an old and a newer one for the claim (the
    newer through events.k8s.io/v1, as eventTime only), FailedScheduling for the pod."""
    claim_uid, pod_uid = broken["claim"]["metadata"]["uid"], broken["pod"]["metadata"]["uid"]
    made = []
    old = admin.post(f"/api/v1/namespaces/{NS}/events", json=core_event(
        "PersistentVolumeClaim", CLAIM, claim_uid, "FailedBinding", "an older complaint",
        now(-3600), "persistentvolume-controller"))
    assert old.status_code == 201, old.text
    made.append(f"/api/v1/namespaces/{NS}/events/{old.json()['metadata']['name']}")
    new = admin.post(f"/apis/events.k8s.io/v1/namespaces/{NS}/events", json={
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": f"{CLAIM}.{uuid.uuid4().hex[:12]}"},
        "eventTime": now(micro=True), "type": "Warning", "reason": "FailedBinding",
        "action": "Binding", "note": CLAIM_MESSAGE,
        "reportingController": "persistentvolume-controller", "reportingInstance": "stack",
        "regarding": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": NS,
                      "name": CLAIM, "uid": claim_uid}})
    assert new.status_code == 201, new.text
    made.append(f"/api/v1/namespaces/{NS}/events/{new.json()['metadata']['name']}")
    sched = admin.post(f"/api/v1/namespaces/{NS}/events", json=core_event(
        "Pod", POD, pod_uid, "FailedScheduling", CPU_MESSAGE, now(), "default-scheduler"))
    assert sched.status_code == 201, sched.text
    made.append(f"/api/v1/namespaces/{NS}/events/{sched.json()['metadata']['name']}")
    yield made
    for path in made:
        admin.delete(path)


# ---------------------------------------------------------------- checks everyone gets


@pytest.mark.parametrize("user", [ADMIN, STRANGER])
def test_checks_say_the_apiserver_and_dex_answer_and_the_clocks_agree(kfdash, user):
    body = diagnose(kfdash, user)
    datetime.datetime.strptime(body["checked_at"], "%Y-%m-%dT%H:%M:%SZ")
    c = checks(body)
    assert c["apiserver"]["ok"] and "calls in" in c["apiserver"]["detail"], c["apiserver"]
    assert c["dex"]["ok"] and "signing keys" in c["dex"]["detail"], c["dex"]
    assert c["clock"]["ok"] and "Dex" in c["clock"]["detail"], c["clock"]
    assert c["mlflow"]["ok"] and "workspaces enabled" in c["mlflow"]["detail"], c["mlflow"]
    for name in ("events", "persistentvolumeclaims", "pods", "notebooks"):
        assert name in c, c
    assert not [f for f in body["findings"] if f["title"].startswith(("Clock", "Dex"))]


def test_applications_sharing_kfdashs_origin_are_a_warning_with_its_fix(stack, kfdash):
    body = diagnose(kfdash, ALICE)
    assert checks(body)["applications"]["ok"] is False
    (f,) = [f for f in body["findings"] if f["title"] == "Applications share kfdash's origin"]
    assert f["severity"] == "warning" and "apps.domain" in f["fix"]
    k = gateway_kfdash(stack, "--apps-domain", "apps.example.com", "--public-url", "https://kf.example.com")
    try:
        body = diagnose(k, ALICE)
        assert checks(body)["applications"] == {
            "name": "applications", "ok": True, "detail": "each on a host of its own under *.apps.example.com"}
        assert not [f for f in body["findings"] if "origin" in f["title"]]
    finally:
        k.stop()


@pytest.mark.parametrize("user", [ALICE, STRANGER, ADMIN])
def test_no_storage_class_is_an_error_everyone_sees_with_its_fix(kfdash, user):
    body = diagnose(kfdash, user)
    f = [f for f in body["findings"] if f["title"] == "No StorageClass"]
    assert len(f) == 1 and f[0]["severity"] == "error", body["findings"]
    assert "Create a StorageClass" in f[0]["fix"] and "is-default-class" in f[0]["fix"]
    assert "namespace" not in f[0]
    assert checks(body)["storageclasses"]["ok"] is False


def test_a_class_that_is_not_the_default_gets_the_exact_patch_command(kfdash, admin):
    path = "/apis/storage.k8s.io/v1/storageclasses"
    admin.delete(f"{path}/{CLASS}")
    r = admin.post(path, json={"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                               "metadata": {"name": CLASS},
                               "provisioner": "kubernetes.io/no-provisioner"})
    assert r.status_code == 201, r.text
    try:
        f = [f for f in diagnose(kfdash, ALICE)["findings"] if f["title"] == "No default StorageClass"]
        assert len(f) == 1 and f[0]["severity"] == "error", f
        assert f[0]["fix"].endswith(PATCH_FIX), f[0]["fix"]
        # The fix works: run its patch, and the finding is gone.
        r = admin.patch(f"{path}/{CLASS}", headers=MERGE, data=json.dumps(
            {"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}}))
        assert r.status_code == 200, r.text
        body = diagnose(kfdash, ALICE)
        assert not [f for f in body["findings"] if "StorageClass" in f["title"]], body["findings"]
        assert checks(body)["storageclasses"] == {
            "name": "storageclasses", "ok": True, "detail": f"{CLASS}; default: {CLASS}"}
    finally:
        admin.delete(f"{path}/{CLASS}")


# ---------------------------------------------------------------- alice's broken things


def test_a_claim_asking_for_no_class_is_an_error_at_once(kfdash, broken):
    # No event yet: the claim's storageClassName "" says enough.
    f = finding(diagnose(kfdash, ALICE), f"PersistentVolumeClaim/{CLAIM}")
    assert f["severity"] == "error" and f["namespace"] == NS
    assert f["title"] == f"Volume claim {CLAIM} is Pending"
    assert "no event says why" in f["detail"]
    assert 'storageClassName: ""' in f["fix"] and "PersistentVolume" in f["fix"]


def test_a_pod_just_made_without_events_is_not_reported_yet(kfdash, broken):
    assert not findings_about(diagnose(kfdash, ALICE), kind="Pod")


def test_the_claim_finding_quotes_the_latest_event(kfdash, broken, events):
    f = finding(diagnose(kfdash, ALICE), f"PersistentVolumeClaim/{CLAIM}")
    assert f["detail"].startswith(f"FailedBinding: {CLAIM_MESSAGE} (Pending for "), f
    assert "an older complaint" not in f["detail"]


def test_a_pod_short_of_cpu_names_the_resource_its_request_and_the_fix(kfdash, broken, events):
    f = finding(diagnose(kfdash, ALICE), f"Pod/{POD}")
    assert f["severity"] == "error" and f["namespace"] == NS
    assert f["title"] == f"Pod {POD} cannot be scheduled: not enough CPU"
    assert CPU_MESSAGE in f["detail"] and "requests cpu 12" in f["detail"], f["detail"]
    assert f["fix"].startswith("Lower the notebook's CPU request below what a node has free"), f
    assert "add nodes" in f["fix"]


def test_a_notebook_whose_image_cannot_be_pulled_is_an_error(kfdash, broken):
    body = diagnose(kfdash, ALICE)
    f = finding(body, f"Notebook/{NOTEBOOK}")
    assert f["severity"] == "error" and f["title"] == f"Notebook {NOTEBOOK} is not ready"
    assert f["detail"] == 'ImagePullBackOff: Back-off pulling image "jupyter:nope"'
    assert "image name" in f["fix"]
    # Stopped on purpose, or just made and still starting: nothing to report. nb1 is ready.
    objects = {x.get("object") for x in body["findings"]}
    assert not objects & {f"Notebook/{STOPPED}", f"Notebook/{FRESH}", "Notebook/nb1"}
    assert checks(body)["notebooks"]["ok"] is False


def test_errors_come_before_warnings(kfdash, broken, events):
    severities = [f["severity"] for f in diagnose(kfdash, ADMIN)["findings"]]
    assert severities == sorted(severities, key=lambda s: s != "error")


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("user, sees", [(ALICE, True), (BOB, True), (CAROL, True), (ADMIN, True),
                                        (STRANGER, False)])
def test_namespaced_findings_only_for_those_with_a_role_there(kfdash, broken, events, user, sees):
    body = diagnose(kfdash, user)
    mine = {f["object"] for f in findings_about(body)}
    expected = {f"PersistentVolumeClaim/{CLAIM}", f"Pod/{POD}", f"Notebook/{NOTEBOOK}"}
    assert (mine >= expected) if sees else not mine, (user, mine)
    if user == STRANGER:
        assert all("namespace" not in f for f in body["findings"]), body["findings"]
        assert checks(body)["pods"]["detail"].startswith("0 Pending pods in your namespaces")
    if user == ADMIN:
        assert "in your namespaces" not in checks(body)["pods"]["detail"]


# ---------------------------------------------------------------- failures are checks


def test_refused_calls_and_an_unreachable_dex_are_failed_checks_not_errors(stack, admin, as_user):
    # A token of a ServiceAccount with no rights at all: every list is refused (403).
    r = admin.post(f"/api/v1/namespaces/{NS}/serviceaccounts/default/token",
                   json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                         "spec": {"expirationSeconds": 600}})
    assert r.status_code == 201, r.text
    with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as f:
        f.write(r.json()["status"]["token"])
    dead = f"http://127.0.0.1:{free_port()}/dex"
    k = Kfdash(args=["--oidc-issuer", dead, "--oidc-client-id", "kfdash",
                     "--trusted-header-peers", "127.0.0.1/32", "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", f.name, "--kube-ca-file", stack["KFDASH_STACK_CA"],
                     "--cluster-admins", ADMIN])
    try:
        body = diagnose(k, ADMIN)
        c = checks(body)
        for name in ("storageclasses", "events", "persistentvolumeclaims", "pods", "notebooks"):
            assert c[name]["ok"] is False and "HTTP 403" in c[name]["detail"], c[name]
            assert "forbidden" in c[name]["detail"], c[name]
        assert c["apiserver"]["ok"] is True  # it answered, if only to refuse
        assert c["dex"]["ok"] is False and dead in c["dex"]["detail"], c["dex"]
        assert c["clock"] == {"name": "clock", "ok": False, "detail": "not checked: Dex did not answer"}
        assert [f["title"] for f in body["findings"]] == ["Dex does not answer",
                                                         "Applications share kfdash's origin"]
    finally:
        k.stop()
        os.unlink(f.name)
