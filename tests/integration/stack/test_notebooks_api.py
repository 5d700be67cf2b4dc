"""The Notebooks API (/api/namespaces/<ns>/notebooks..., /api/config, /api/gpus, pvcs,
poddefaults) against the stack's real kube-apiserver and its RBAC.

Profile alice: owner alice, bob edits, carol views; admin is a kfdash cluster admin with no
RBAC of its own in the cluster; a stranger has nothing. Seeded: Notebook alice/nb1 (ready) and
bob/nb2. No notebook controller runs: created Notebooks get no pod, and tests write status
through the status subresource as the controller would.

Users come in as a trusted gateway names them (the `kubeflow-userid` header, Origin on writes).
Everything these tests make is named nbapi-* and removed at the end.
"""
import datetime
import json
import uuid

import pytest

from conftest import UNBOUND_ADMIN, call_as, gateway_kfdash

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
MLFLOW_URI = "http://mlflow.kubeflow.svc.cluster.local:5000"
IMAGES = ["kubeflownotebookswg/jupyter-scipy:v1.10.0", "kubeflownotebookswg/codeserver:v1.10.0"]
API = "/api/namespaces/{ns}"
NBS = "/apis/kubeflow.org/v1/namespaces/{ns}/notebooks"
PVCS = "/api/v1/namespaces/{ns}/persistentvolumeclaims"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack, "--notebook-images", ",".join(IMAGES),
                       "--notebook-gpu-vendors", "nvidia.com/gpu,amd.com/gpu",
                       "--notebook-mlflow-tracking-uri", MLFLOW_URI)
    yield k
    k.stop()


def unique(prefix="nbapi"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def remove_pvc(admin, ns, name):
    """Deletes a claim and drops the pvc-protection finalizer nobody may release here."""
    path = PVCS.format(ns=ns) + f"/{name}"
    admin.delete(path)
    admin.patch(path, data=json.dumps({"metadata": {"finalizers": None}}), headers=MERGE)


def pvc_gone(admin, ns, name):
    r = admin.get(PVCS.format(ns=ns) + f"/{name}")
    return r.status_code == 404 or "deletionTimestamp" in r.json()["metadata"]


@pytest.fixture
def cleanup(admin):
    """cleanup(ns, notebook=None, pvcs=()) -> registers what a test makes, removed after it."""
    made = []
    yield lambda ns, notebook=None, pvcs=(): made.append((ns, notebook, list(pvcs)))
    for ns, notebook, pvcs in made:
        if notebook:
            admin.delete(NBS.format(ns=ns) + f"/{notebook}")
        for p in pvcs:
            remove_pvc(admin, ns, p)


def form(name, **extra):
    return {"name": name, "image": IMAGES[0], "cpu": "0.5", "memory": "1Gi",
            "gpus": {"count": 0, "vendor": ""}, "workspace": {"mode": "none"},
            "dataVolumes": [], "podDefaults": [], "serverType": "jupyter", **extra}


def set_status(admin, ns, name, status):
    r = admin.patch(NBS.format(ns=ns) + f"/{name}/status", headers=MERGE,
                    data=json.dumps({"status": status}))
    assert r.status_code == 200, r.text


def now(delta_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- the form's choices


def test_config_offers_the_catalog_and_the_defaults_to_any_signed_in_user(kfdash):
    r = call_as(kfdash, STRANGER, "GET", "/api/config")
    assert r.status_code == 200, r.text
    assert r.json() == {"images": IMAGES, "defaultImage": IMAGES[0],
                        "gpuVendors": ["nvidia.com/gpu", "amd.com/gpu"],
                        "defaults": {"cpu": "0.5", "memory": "1Gi", "workspaceSize": "5Gi",
                                     "imagePullPolicy": "IfNotPresent", "shm": True},
                        "allowCustomImage": True, "mlflowTrackingUri": MLFLOW_URI}
    g = call_as(kfdash, ALICE, "GET", "/api/gpus")
    assert g.json() == {"vendors": [{"limitsKey": "nvidia.com/gpu", "uiName": "NVIDIA"},
                                    {"limitsKey": "amd.com/gpu", "uiName": "AMD"}]}
    for path in ("/api/config", "/api/gpus"):
        assert call_as(kfdash, None, "GET", path).status_code == 401


# ---------------------------------------------------------------- list and read


@pytest.mark.parametrize("user", [ALICE, BOB, CAROL])
def test_members_list_alices_notebooks_with_nb1_ready(kfdash, user):
    r = call_as(kfdash, user, "GET", API.format(ns="alice") + "/notebooks")
    assert r.status_code == 200, r.text
    nb1 = {n["name"]: n for n in r.json()["notebooks"]}["nb1"]
    assert nb1["status"] == {"phase": "ready", "message": "Running"}
    assert nb1["namespace"] == "alice" and nb1["url"] == "/notebook/alice/nb1/"
    assert nb1["creator"] == ALICE and nb1["serverType"] == "jupyter"
    assert nb1["image"] == "kubeflownotebookswg/jupyter-scipy:v1.9.0"
    assert nb1["shortImage"] == "jupyter-scipy:v1.9.0"
    assert (nb1["cpu"], nb1["memory"]) == ("500m", "1Gi")
    assert nb1["gpus"] == {"count": 0, "vendor": ""} and nb1["stopped"] is False
    assert nb1["lastActivity"] and nb1["createdAt"]


def test_a_stranger_is_refused_and_a_cluster_admin_without_rbac_gets_the_api_servers_no(kfdash):
    r = call_as(kfdash, STRANGER, "GET", API.format(ns="alice") + "/notebooks")
    assert r.status_code == 403 and "no role" in r.json()["error"]
    # kfdash lets its cluster admins in; the API server, asked as them, still decides: it gives
    # admin@ cluster-admin and ops@ nothing.
    assert call_as(kfdash, ADMIN, "GET", API.format(ns="alice") + "/notebooks").status_code == 200
    r = call_as(kfdash, UNBOUND_ADMIN, "GET", API.format(ns="alice") + "/notebooks")
    assert r.status_code == 403 and "forbidden" in r.json()["error"]


def test_bob_sees_his_own_and_not_alices_in_his_list(kfdash):
    names = [n["name"] for n in call_as(kfdash, BOB, "GET", API.format(ns="bob") + "/notebooks")
             .json()["notebooks"]]
    assert "nb2" in names and "nb1" not in names


def test_reading_one_notebook_gives_its_summary_and_the_object(kfdash):
    r = call_as(kfdash, CAROL, "GET", API.format(ns="alice") + "/notebooks/nb1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["notebook"]["status"]["phase"] == "ready"
    assert body["object"]["kind"] == "Notebook"
    assert body["object"]["spec"]["template"]["spec"]["containers"][0]["name"] == "nb1"
    missing = call_as(kfdash, ALICE, "GET", API.format(ns="alice") + "/notebooks/nbapi-none")
    assert missing.status_code == 404 and "error" in missing.json()


# ---------------------------------------------------------------- create


@pytest.mark.parametrize("user", [ALICE, BOB])
def test_owner_and_contributor_create_a_notebook_as_kubeflow_would(kfdash, admin, cleanup, user):
    name = unique()
    data = f"{name}-data"
    cleanup("alice", name, [f"{name}-workspace", data])
    r = call_as(kfdash, user, "POST", API.format(ns="alice") + "/notebooks", json=form(
        name, image=IMAGES[1], cpu="1", memory="2Gi",
        gpus={"count": 1, "vendor": "nvidia.com/gpu"},
        workspace={"mode": "new", "size": "2Gi"},
        dataVolumes=[{"mode": "new", "name": data, "size": "3Gi",
                      "mountPath": "/home/jovyan/data"}],
        podDefaults=["mlflow-access"]))
    assert r.status_code == 201, r.text
    summary = r.json()["notebook"]
    assert summary["name"] == name and summary["creator"] == user
    assert summary["gpus"] == {"count": 1, "vendor": "nvidia.com/gpu"}
    assert summary["volumes"] == [f"{name}-workspace", data]
    assert summary["url"] == f"/notebook/alice/{name}/"

    nb = admin.get(NBS.format(ns="alice") + f"/{name}").json()
    meta, template = nb["metadata"], nb["spec"]["template"]
    assert meta["labels"]["app"] == name
    assert meta["annotations"]["notebooks.kubeflow.org/creator"] == user
    assert meta["annotations"]["notebooks.kubeflow.org/server-type"] == "jupyter"
    assert template["metadata"]["labels"] == {"mlflow-access": "true"}
    c = template["spec"]["containers"][0]
    assert c["name"] == name and c["image"] == IMAGES[1]
    assert c["resources"]["requests"]["cpu"] == "1"
    assert c["resources"]["requests"]["memory"] == "2Gi"
    assert c["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert {"name": "NB_PREFIX", "value": f"/notebook/alice/{name}"} in c["env"]
    assert {m["mountPath"]: m["name"] for m in c["volumeMounts"]} == {
        "/home/jovyan": f"{name}-workspace", "/home/jovyan/data": data, "/dev/shm": "dshm"}
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    assert volumes[f"{name}-workspace"]["persistentVolumeClaim"]["claimName"] == f"{name}-workspace"
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory"}

    for claim, size in ((f"{name}-workspace", "2Gi"), (data, "3Gi")):
        pvc = admin.get(PVCS.format(ns="alice") + f"/{claim}")
        assert pvc.status_code == 200, pvc.text
        spec = pvc.json()["spec"]
        assert spec["accessModes"] == ["ReadWriteOnce"]
        assert spec["resources"]["requests"]["storage"] == size
        assert "storageClassName" not in spec  # the cluster's default StorageClass

    listed = call_as(kfdash, CAROL, "GET", API.format(ns="alice") + "/pvcs").json()["pvcs"]
    mine = {p["name"]: p for p in listed}[data]
    assert mine["size"] == "3Gi" and mine["accessModes"] == ["ReadWriteOnce"]
    assert mine["storageClass"] == "" and mine["phase"] == "Pending"


def test_an_existing_workspace_is_mounted_and_not_made(kfdash, admin, cleanup):
    name, claim = unique(), unique("nbapi-home")
    cleanup("alice", name, [claim])
    made = admin.post(PVCS.format(ns="alice"), json={
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    assert made.status_code == 201, made.text
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                json=form(name, workspace={"mode": "existing", "pvc": claim}))
    assert r.status_code == 201, r.text
    assert r.json()["notebook"]["volumes"] == [claim]
    assert admin.get(PVCS.format(ns="alice") + f"/{name}-workspace").status_code == 404


def test_a_custom_image_is_accepted_only_when_asked_for(kfdash, admin, cleanup):
    name = unique()
    cleanup("alice", name)
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                json=form(name, image="quay.io/me/lab:1"))
    assert r.status_code == 400 and "customImage" in r.json()["error"]
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                json=form(name, image="quay.io/me/lab:1", customImage=True))
    assert r.status_code == 201, r.text
    assert r.json()["notebook"]["image"] == "quay.io/me/lab:1"


def test_a_taken_name_is_a_conflict_and_makes_no_volume(kfdash, admin):
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                json=form("nb1", workspace={"mode": "new", "size": "1Gi"}))
    assert r.status_code == 409 and "exists already" in r.json()["error"]
    assert admin.get(PVCS.format(ns="alice") + "/nb1-workspace").status_code == 404


def test_a_taken_volume_name_is_a_conflict_and_undoes_the_volumes_made(kfdash, admin, cleanup):
    name, taken = unique(), unique("nbapi-taken")
    cleanup("alice", name, [taken, f"{name}-workspace"])
    made = admin.post(PVCS.format(ns="alice"), json={
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": taken},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    assert made.status_code == 201, made.text
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks", json=form(
        name, workspace={"mode": "new", "size": "1Gi"},
        dataVolumes=[{"mode": "new", "name": taken, "size": "1Gi", "mountPath": "/data"}]))
    assert r.status_code == 409 and f"volume named {taken}" in r.json()["error"]
    assert admin.get(NBS.format(ns="alice") + f"/{name}").status_code == 404
    assert pvc_gone(admin, "alice", f"{name}-workspace")  # made first, then taken back
    assert not pvc_gone(admin, "alice", taken)            # someone else's: untouched


# ---------------------------------------------------------------- a viewer


def test_a_viewer_cannot_create_stop_or_delete(kfdash, admin):
    # kfdash refuses a viewer's change itself (routes.c), before the API server would.
    name = unique()
    r = call_as(kfdash, CAROL, "POST", API.format(ns="alice") + "/notebooks",
                json=form(name, workspace={"mode": "new", "size": "1Gi"}))
    assert r.status_code == 403 and "viewers" in r.json()["error"], r.text
    assert admin.get(NBS.format(ns="alice") + f"/{name}").status_code == 404
    assert admin.get(PVCS.format(ns="alice") + f"/{name}-workspace").status_code == 404
    r = call_as(kfdash, CAROL, "POST", API.format(ns="alice") + "/notebooks", json=form(name))
    assert r.status_code == 403, r.text
    r = call_as(kfdash, CAROL, "PATCH", API.format(ns="alice") + "/notebooks/nb1",
                json={"stopped": True})
    assert r.status_code == 403 and "viewers" in r.json()["error"], r.text
    r = call_as(kfdash, CAROL, "DELETE", API.format(ns="alice") + "/notebooks/nb1")
    assert r.status_code == 403 and "viewers" in r.json()["error"], r.text
    nb1 = admin.get(NBS.format(ns="alice") + "/nb1").json()
    assert "kubeflow-resource-stopped" not in nb1["metadata"].get("annotations", {})


# ---------------------------------------------------------------- stop, start, delete


def test_stopping_and_starting_toggle_the_annotation_and_the_phase(kfdash, admin, cleanup):
    name = unique()
    cleanup("alice", name)
    path = API.format(ns="alice") + f"/notebooks/{name}"
    assert call_as(kfdash, BOB, "POST", API.format(ns="alice") + "/notebooks",
                   json=form(name)).status_code == 201
    set_status(admin, "alice", name, {"readyReplicas": 1, "conditions": [],
                                      "containerState": {"running": {"startedAt": now()}}})
    assert call_as(kfdash, ALICE, "GET", path).json()["notebook"]["status"]["phase"] == "ready"

    r = call_as(kfdash, BOB, "PATCH", path, json={"stopped": True})
    assert r.status_code == 200, r.text
    assert r.json()["notebook"]["stopped"] is True
    stamp = admin.get(NBS.format(ns="alice") + f"/{name}").json()["metadata"]["annotations"][
        "kubeflow-resource-stopped"]
    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 60
    # The controller would scale the StatefulSet to 0: still one pod, stopping; none, stopped.
    assert call_as(kfdash, ALICE, "GET", path).json()["notebook"]["status"]["phase"] == "waiting"
    set_status(admin, "alice", name, {"readyReplicas": 0, "containerState": {}})
    status = call_as(kfdash, ALICE, "GET", path).json()["notebook"]["status"]
    assert status["phase"] == "stopped", status

    r = call_as(kfdash, ALICE, "PATCH", path, json={"stopped": False})
    assert r.status_code == 200, r.text
    assert r.json()["notebook"]["stopped"] is False
    annotations = admin.get(NBS.format(ns="alice") + f"/{name}").json()["metadata"]["annotations"]
    assert "kubeflow-resource-stopped" not in annotations
    listed = {n["name"]: n for n in call_as(kfdash, CAROL, "GET", API.format(ns="alice") +
                                            "/notebooks").json()["notebooks"]}
    assert listed[name]["stopped"] is False and listed[name]["status"]["phase"] != "stopped"


def test_deleting_removes_the_notebook_and_keeps_its_workspace(kfdash, admin, cleanup):
    name = unique()
    cleanup("alice", name, [f"{name}-workspace"])
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                json=form(name, workspace={"mode": "new", "size": "1Gi"}))
    assert r.status_code == 201, r.text
    r = call_as(kfdash, BOB, "DELETE", API.format(ns="alice") + f"/notebooks/{name}")
    assert r.status_code == 200 and r.json() == {}, r.text
    assert admin.get(NBS.format(ns="alice") + f"/{name}").status_code == 404
    assert admin.get(PVCS.format(ns="alice") + f"/{name}-workspace").status_code == 200
    again = call_as(kfdash, BOB, "DELETE", API.format(ns="alice") + f"/notebooks/{name}")
    assert again.status_code == 404


# ---------------------------------------------------------------- bad input


LONG = "a" * 10000


@pytest.mark.parametrize("change, field", [
    ({"name": "Bad_Name"}, "name"),
    ({"name": "9lives"}, "name"),
    ({"name": "a" * 53}, "name"),
    ({"name": LONG}, "name"),
    ({"image": "docker.io/someone/else:latest"}, "image"),
    ({"image": LONG, "customImage": True}, "image"),
    ({"gpus": {"count": 99, "vendor": "nvidia.com/gpu"}}, "gpus"),
    ({"gpus": {"count": 1, "vendor": "example.com/tpu"}}, "vendor"),
    ({"cpu": "a lot"}, "cpu"),
    ({"memory": "1" * 40}, "memory"),
    ({"serverType": "emacs"}, "serverType"),
    ({"dataVolumes": [{"mode": "existing", "pvc": "x", "mountPath": "data"}]}, "mountPath"),
    ({"dataVolumes": [{"mode": "existing", "pvc": "x", "mountPath": "/a/../../etc"}]},
     "mountPath"),
    ({"dataVolumes": [{"mode": "existing", "pvc": "x", "mountPath": "/" + LONG}]}, "mountPath"),
    ({"dataVolumes": [{"mode": "existing", "pvc": f"d{i}", "mountPath": f"/d{i}"}
                      for i in range(9)]}, "at most 8"),
    ({"podDefaults": ["ok"] * 3 + [LONG]}, "podDefaults"),
    ({"podDefaults": [f"l{i}" for i in range(33)]}, "at most 32"),
])
def test_bad_forms_are_400_and_make_nothing(kfdash, admin, change, field):
    body = {**form("nbapi-bad"), **change}
    r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]
    assert admin.get(NBS.format(ns="alice") + "/nbapi-bad").status_code == 404


@pytest.mark.parametrize("method, path, body, status", [
    ("POST", "/notebooks", "not json", 400),
    ("POST", "/notebooks", "[1, 2]", 400),
    ("POST", "/notebooks", "x" * (2 << 20), 413),
    ("PATCH", "/notebooks/nb1", '{"stopped": "yes"}', 400),
    ("PATCH", "/notebooks/nb1", '{"stopped": true, "image": "x"}', 400),
    ("PATCH", "/notebooks/nb1", "", 400),
    ("GET", "/notebooks/NB1", None, 400),
    ("GET", "/notebooks/nb1/pod/Bad_Pod/logs", None, 400),
    ("GET", "/notebooks/nb1/pod/nb1-0/logs?tailLines=0", None, 400),
    ("GET", "/notebooks/nb1/pod/nb1-0/logs?tailLines=20000", None, 400),
    ("GET", "/notebooks/nb1/pod/nb1-0/logs?tailLines=1e3", None, 400),
    ("GET", "/notebooks/nb1/pod/nb1-0/logs?follow=maybe", None, 400),
])
def test_bad_requests_get_clear_errors(kfdash, admin, method, path, body, status):
    r = call_as(kfdash, ALICE, method, API.format(ns="alice") + path, data=body,
                headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["error"]
    nb1 = admin.get(NBS.format(ns="alice") + "/nb1").json()
    assert "kubeflow-resource-stopped" not in nb1["metadata"].get("annotations", {})


def test_a_bad_namespace_name_is_400(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/namespaces/Alice_/notebooks")
    assert r.status_code == 400


# ---------------------------------------------------------------- events, pod, logs


@pytest.fixture
def warned_notebook(admin, kfdash, cleanup):
    """A notebook with no pod, a Warning event of its pod, and events of other objects."""
    name = unique()
    cleanup("alice", name)
    assert call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                   json=form(name)).status_code == 201
    set_status(admin, "alice", name, {"readyReplicas": 0, "containerState": {}, "conditions": []})
    made = []

    def event(kind, obj, reason, message, when, type_="Warning"):
        r = admin.post("/api/v1/namespaces/alice/events", json={
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{obj}.{uuid.uuid4().hex[:12]}"},
            "involvedObject": {"apiVersion": "v1", "kind": kind, "namespace": "alice",
                               "name": obj},
            "reason": reason, "message": message, "type": type_, "count": 2,
            "source": {"component": "default-scheduler"},
            "firstTimestamp": when, "lastTimestamp": when})
        assert r.status_code == 201, r.text
        made.append(r.json()["metadata"]["name"])

    event("Pod", f"{name}-0", "FailedScheduling", "0/1 nodes are available: Insufficient cpu",
          now(5))
    event("StatefulSet", name, "SuccessfulCreate", f"create Pod {name}-0", now(2), "Normal")
    event("Pod", f"{name}x-0", "Other", "not this notebook's", now(10))
    yield name
    for e in made:
        admin.delete(f"/api/v1/namespaces/alice/events/{e}")


def test_events_of_the_notebook_newest_first(kfdash, warned_notebook):
    name = warned_notebook
    r = call_as(kfdash, CAROL, "GET", API.format(ns="alice") + f"/notebooks/{name}/events")
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    assert [(e["object"], e["reason"]) for e in events] == [
        (f"Pod/{name}-0", "FailedScheduling"), (f"StatefulSet/{name}", "SuccessfulCreate")]
    first = events[0]
    assert first["type"] == "Warning" and first["count"] == 2
    assert first["message"] == "0/1 nodes are available: Insufficient cpu"
    assert first["lastTimestamp"]


def test_a_warning_event_explains_the_phase_in_the_list(kfdash, warned_notebook):
    listed = {n["name"]: n for n in call_as(kfdash, ALICE, "GET", API.format(ns="alice") +
                                            "/notebooks").json()["notebooks"]}
    assert listed[warned_notebook]["status"] == {
        "phase": "warning",
        "message": "FailedScheduling: 0/1 nodes are available: Insufficient cpu"}


def test_the_pod_is_found_by_its_label_or_is_a_clear_404(kfdash, admin, as_user):
    r = call_as(kfdash, ALICE, "GET", API.format(ns="alice") + "/notebooks/nb1/pod")
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "no pod (the notebook is stopped or not started)"
    pod = unique()
    made = admin.post("/api/v1/namespaces/alice/pods", json={
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod, "labels": {"notebook-name": "nb1"}},
        "spec": {"automountServiceAccountToken": False,
                 # alice has a quota of cpu and memory: every container must request both.
                 "containers": [{"name": "nb1", "image": "jupyter", "resources": {
                     "requests": {"cpu": "100m", "memory": "128Mi"}}}]}})
    assert made.status_code == 201, made.text
    try:
        r = call_as(kfdash, CAROL, "GET", API.format(ns="alice") + "/notebooks/nb1/pod")
        assert r.status_code == 200, r.text
        assert r.json()["pod"]["metadata"]["name"] == pod
        # No kubelet runs the pod: what the API server answers carol comes through as it is.
        logs = call_as(kfdash, CAROL, "GET",
                       API.format(ns="alice") + f"/notebooks/nb1/pod/{pod}/logs?tailLines=5")
        direct = as_user(CAROL).get(f"/api/v1/namespaces/alice/pods/{pod}/log?container=nb1"
                                    "&tailLines=5")
        assert (logs.status_code, logs.content) == (direct.status_code, direct.content)
    finally:
        admin.delete(f"/api/v1/namespaces/alice/pods/{pod}?gracePeriodSeconds=0")
    logs = call_as(kfdash, ALICE, "GET", API.format(ns="alice") + "/notebooks/nb1/pod/nb1-0/logs")
    assert logs.status_code == 404, logs.text


# ---------------------------------------------------------------- PodDefaults and MLflow


def test_the_mlflow_poddefault_is_made_updated_and_listed(kfdash, admin, cleanup):
    path = "/apis/kubeflow.org/v1alpha1/namespaces/alice/poddefaults/mlflow"
    admin.delete(path)
    try:
        r = call_as(kfdash, CAROL, "POST", API.format(ns="alice") + "/poddefaults/mlflow")
        assert r.status_code == 403, r.text
        r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/poddefaults/mlflow")
        assert r.status_code == 201, r.text
        expected = {"name": "mlflow", "label": "mlflow-access",
                    "desc": "Log to this profile's MLflow workspace"}
        assert r.json() == {"poddefault": expected}
        made = admin.get(path).json()
        assert made["spec"]["selector"] == {"matchLabels": {"mlflow-access": "true"}}
        # MLflow through kfdash, with the namespace's own token (a default-editor token Secret).
        assert made["spec"]["env"] == [
            {"name": "MLFLOW_TRACKING_URI", "value": MLFLOW_URI},
            {"name": "MLFLOW_WORKSPACE", "value": "alice"},
            {"name": "MLFLOW_TRACKING_TOKEN",
             "valueFrom": {"secretKeyRef": {"name": "mlflow-token", "key": "token"}}}]
        secret = admin.get("/api/v1/namespaces/alice/secrets/mlflow-token").json()
        assert secret["type"] == "kubernetes.io/service-account-token"
        assert secret["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "default-editor"
        # Someone changed it: asking again puts kfdash's settings back.
        admin.patch(path, headers=MERGE, data=json.dumps({"spec": {"env": [], "desc": "x"}}))
        r = call_as(kfdash, BOB, "POST", API.format(ns="alice") + "/poddefaults/mlflow")
        assert r.status_code == 200, r.text
        assert admin.get(path).json()["spec"]["env"][1] == {"name": "MLFLOW_WORKSPACE",
                                                            "value": "alice"}
        listed = call_as(kfdash, CAROL, "GET", API.format(ns="alice") + "/poddefaults").json()
        assert expected in listed["poddefaults"]
        # A notebook that opts in carries the label the PodDefault selects.
        name = unique()
        cleanup("alice", name)
        r = call_as(kfdash, ALICE, "POST", API.format(ns="alice") + "/notebooks",
                    json=form(name, podDefaults=[listed["poddefaults"][0]["label"]]))
        assert r.status_code == 201, r.text
        labels = admin.get(NBS.format(ns="alice") + f"/{name}").json()["spec"]["template"][
            "metadata"]["labels"]
        assert labels == {"mlflow-access": "true"}
    finally:
        admin.delete(path)


# ---------------------------------------------------------------- strangers


@pytest.mark.parametrize("method, path", [
    ("GET", "/notebooks"), ("POST", "/notebooks"), ("GET", "/notebooks/nb1"),
    ("PATCH", "/notebooks/nb1"), ("DELETE", "/notebooks/nb1"), ("GET", "/notebooks/nb1/pod"),
    ("GET", "/notebooks/nb1/pod/nb1-0/logs"), ("GET", "/notebooks/nb1/events"),
    ("GET", "/pvcs"), ("GET", "/poddefaults"), ("POST", "/poddefaults/mlflow"),
])
def test_a_stranger_can_use_none_of_the_routes_in_alice(kfdash, admin, method, path):
    body = {"stopped": True} if method == "PATCH" else form("nbapi-stranger")
    r = call_as(kfdash, STRANGER, method, API.format(ns="alice") + path, json=body)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "you have no role in this namespace"
    assert admin.get(NBS.format(ns="alice") + "/nb1").status_code == 200
    assert admin.get(NBS.format(ns="alice") + "/nbapi-stranger").status_code == 404
