"""The Spark applications API against the stack's real kube-apiserver (with RBAC): profile `alice`
has owner alice, bob edits, carol views; admin is a kfdash cluster admin with no role in the
cluster; a stranger has nothing. The stack seeds SparkApplication alice/app1 as the Spark
operator records a running application (tests/stack/seed.py objects).

Every call goes to the API server as the user, so what a user may do is the cluster's decision;
these tests show kfdash passes that decision on, and refuses on its own only what it must:
strangers, bad forms, and a recorded driver pod name that is not a pod name.
"""
import json
import time
import uuid

import pytest

from conftest import UNBOUND_ADMIN, call_as, gateway_kfdash

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
BASE = "/api/namespaces/{ns}/sparkapplications"
APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications"
PODS = "/api/v1/namespaces/{ns}/pods"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack)
    yield k
    k.stop()


@pytest.fixture(scope="module")
def templates(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/spark/templates")
    assert r.status_code == 200, r.text
    return {t["id"]: t for t in r.json()["templates"]}


@pytest.fixture
def cleanup(admin):
    """Names of SparkApplications and Pods in alice to delete at the end, whatever happened."""
    made = {"apps": [], "pods": []}
    yield made
    for name in made["apps"]:
        admin.delete(APPS.format(ns="alice") + f"/{name}")
    for name in made["pods"]:
        admin.delete(PODS.format(ns="alice") + f"/{name}", params={"gracePeriodSeconds": 0})


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def seed_app(admin, name, status=None):
    """A SparkApplication in alice as a controller would record it (status set by the admin)."""
    body = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": name},
            "spec": {"type": "Python", "mode": "cluster", "image": "spark:4.1.0",
                     "mainApplicationFile": "local:///opt/app/job.py", "sparkVersion": "4.1.0"}}
    r = admin.post(APPS.format(ns="alice"), json=body)
    assert r.status_code == 201, r.text
    if status:
        r = admin.patch(APPS.format(ns="alice") + f"/{name}/status", json={"status": status},
                        headers={"Content-Type": "application/merge-patch+json"})
        assert r.status_code == 200, r.text


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("user", [ALICE, STRANGER])
def test_templates_offer_pyspark_and_scala_pi_to_anyone_signed_in(kfdash, user):
    r = call_as(kfdash, user, "GET", "/api/spark/templates")
    assert r.status_code == 200, r.text
    by_id = {t["id"]: t for t in r.json()["templates"]}
    py = by_id["spark-pi-python"]["form"]
    assert py["type"] == "Python" and py["image"].startswith("spark:4.1.0")
    assert py["mainApplicationFile"].endswith(".py")
    scala = next(t["form"] for t in by_id.values()
                 if t["form"]["type"] == "Scala"
                 and t["form"].get("mainClass") == "org.apache.spark.examples.SparkPi")
    assert scala["mainApplicationFile"] == "local:///opt/spark/examples/jars/spark-examples.jar"
    for t in by_id.values():
        assert t["title"] and "service account" in t["description"]
        assert t["form"]["driver"]["serviceAccount"] == "spark"
        assert t["form"]["executor"]["instances"] >= 1


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("user", [ALICE, BOB, CAROL])
def test_every_member_sees_app1_running_with_its_ui_and_executors(kfdash, user):
    r = call_as(kfdash, user, "GET", BASE.format(ns="alice"))
    assert r.status_code == 200, r.text
    assert r.json()["truncated"] is False
    apps = {a["name"]: a for a in r.json()["applications"]}
    app1 = apps["app1"]
    assert app1["namespace"] == "alice" and app1["state"] == "RUNNING"
    assert app1["uiUrl"] == "/spark/alice/app1/"
    assert app1["executorStates"] == {"app1-exec-1": "RUNNING", "app1-exec-2": "RUNNING"}
    assert app1["executorCounts"] == {"RUNNING": 2}
    assert app1["driver"]["pod"] == "app1-driver"
    assert app1["driver"]["uiService"] == "app1-ui-svc" and app1["driver"]["uiPort"] == 4040
    assert app1["driver"]["serviceAccount"] == "default-editor"
    assert app1["executor"] == {"instances": 2, "cores": 1, "memory": "1g"}
    assert app1["type"] == "Python" and app1["sparkApplicationId"] == "spark-stack-0001"
    assert app1["submissionAttempts"] == 1 and app1["submittedAt"] and app1["createdAt"]


def test_the_ui_url_opens_the_live_spark_ui(kfdash):
    apps = call_as(kfdash, BOB, "GET", BASE.format(ns="alice")).json()["applications"]
    url = next(a["uiUrl"] for a in apps if a["name"] == "app1")
    r = call_as(kfdash, BOB, "GET", url)
    assert r.status_code == 200, r.text[:300]
    assert r.url.endswith("/spark/alice/app1/jobs/") and "Spark Jobs" in r.text


def test_one_application_comes_with_its_raw_object(kfdash):
    r = call_as(kfdash, CAROL, "GET", BASE.format(ns="alice") + "/app1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["application"]["name"] == "app1" and body["application"]["state"] == "RUNNING"
    assert body["object"]["kind"] == "SparkApplication"
    assert body["object"]["spec"]["mainApplicationFile"] == "local:///opt/app/job.py"


def test_a_missing_application_is_the_api_servers_404(kfdash):
    r = call_as(kfdash, ALICE, "GET", BASE.format(ns="alice") + "/no-such-app")
    assert r.status_code == 404 and "not found" in r.json()["error"]
    r = call_as(kfdash, ALICE, "DELETE", BASE.format(ns="alice") + "/no-such-app")
    assert r.status_code == 404 and "not found" in r.json()["error"]


def test_a_kfdash_cluster_admin_still_needs_the_clusters_permission(kfdash):
    # kfdash lets its cluster admins into every namespace; the cluster gives admin@ cluster-admin
    # and ops@ nothing.
    assert call_as(kfdash, ADMIN, "GET", BASE.format(ns="alice")).status_code == 200
    r = call_as(kfdash, UNBOUND_ADMIN, "GET", BASE.format(ns="alice"))
    assert r.status_code == 403 and "forbidden" in r.json()["error"]


# ---------------------------------------------------------------- strangers


@pytest.mark.parametrize("method, path", [
    ("GET", BASE.format(ns="alice")),
    ("POST", BASE.format(ns="alice")),
    ("GET", BASE.format(ns="alice") + "/app1"),
    ("DELETE", BASE.format(ns="alice") + "/app1"),
    ("GET", BASE.format(ns="alice") + "/app1/logs"),
    ("GET", BASE.format(ns="alice") + "/app1/logs?follow=true&tailLines=5"),
])
def test_a_stranger_is_refused_on_every_route(kfdash, admin, templates, method, path):
    form = dict(templates["spark-pi-python"]["form"], name="stranger-pi")
    r = call_as(kfdash, STRANGER, method, path, json=form if method == "POST" else None)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "you have no role in this namespace"
    assert admin.get(APPS.format(ns="alice") + "/app1").status_code == 200
    assert admin.get(APPS.format(ns="alice") + "/stranger-pi").status_code == 404


# ---------------------------------------------------------------- submitting and deleting


@pytest.mark.parametrize("user, template", [(ALICE, "spark-pi-python"), (BOB, "spark-pi-scala")])
def test_members_who_edit_submit_from_a_template_and_delete(kfdash, admin, templates, cleanup,
                                                             user, template):
    form = dict(templates[template]["form"], name=unique("pi"))
    cleanup["apps"].append(form["name"])
    r = call_as(kfdash, user, "POST", BASE.format(ns="alice"), json=form)
    assert r.status_code == 201, r.text
    summary = r.json()["application"]
    assert summary["name"] == form["name"] and summary["namespace"] == "alice"
    assert summary["state"] == "" and summary["uiUrl"] == ""  # no operator has seen it yet

    made = admin.get(APPS.format(ns="alice") + f"/{form['name']}").json()
    spec = made["spec"]
    assert made["metadata"]["annotations"]["kfdash/creator"] == user
    assert made["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kfdash"
    assert spec["mode"] == "cluster" and spec["restartPolicy"] == {"type": "Never"}
    for key in ("type", "image", "mainApplicationFile", "arguments", "sparkVersion"):
        assert spec[key] == form[key], key
    assert spec.get("mainClass") == form.get("mainClass")
    # Spark pods run without Istio's sidecar (Kubeflow's Spark guide; packaging/kustomize/README.md).
    no_sidecar = {"labels": {"sidecar.istio.io/inject": "false"}}
    assert spec["driver"] == {"cores": 1, "memory": "512m", "serviceAccount": "spark", **no_sidecar}
    assert spec["executor"] == {"instances": 1, "cores": 1, "memory": "512m", **no_sidecar}
    assert spec["timeToLiveSeconds"] == form["timeToLiveSeconds"]
    # The API server recorded the write as the user's own (impersonated), not kfdash's.
    managers = [f["manager"] for f in made["metadata"]["managedFields"]]
    assert managers and all(m != "kfdash-stack" for m in managers)

    listed = call_as(kfdash, CAROL, "GET", BASE.format(ns="alice")).json()["applications"]
    assert form["name"] in {a["name"] for a in listed}

    d = call_as(kfdash, user, "DELETE", BASE.format(ns="alice") + f"/{form['name']}")
    assert d.status_code == 200 and d.json() == {}
    assert admin.get(APPS.format(ns="alice") + f"/{form['name']}").status_code == 404


def test_a_form_with_its_own_settings_is_kept_as_asked(kfdash, admin, cleanup):
    name = unique("custom")
    cleanup["apps"].append(name)
    form = {"name": name, "type": "Java", "image": "registry.example.com/jobs/etl:1.2",
            "mainApplicationFile": "local:///opt/jobs/etl.jar", "mainClass": "com.example.Etl",
            "arguments": ["--date", "2025-01-01", ""], "sparkVersion": "3.5.3",
            "sparkConf": {"spark.sql.shuffle.partitions": "8"},
            "driver": {"cores": 2, "memory": "1Gi", "serviceAccount": "default-editor"},
            "executor": {"instances": 4, "cores": 3, "memory": "3g"}}
    r = call_as(kfdash, BOB, "POST", BASE.format(ns="alice"), json=form)
    assert r.status_code == 201, r.text
    spec = admin.get(APPS.format(ns="alice") + f"/{name}").json()["spec"]
    assert spec["arguments"] == ["--date", "2025-01-01", ""]
    assert spec["sparkConf"] == {"spark.sql.shuffle.partitions": "8"}
    no_sidecar = {"labels": {"sidecar.istio.io/inject": "false"}}
    assert spec["driver"] == {"cores": 2, "memory": "1g", "serviceAccount": "default-editor", **no_sidecar}
    assert spec["executor"] == {"instances": 4, "cores": 3, "memory": "3g", **no_sidecar}
    assert "timeToLiveSeconds" not in spec


def test_submitting_a_taken_name_says_so(kfdash, templates):
    form = dict(templates["spark-pi-python"]["form"], name="app1")
    r = call_as(kfdash, BOB, "POST", BASE.format(ns="alice"), json=form)
    assert r.status_code == 409
    assert r.json()["error"] == ("a Spark application named app1 exists already in alice: "
                                 "pick another name")


def test_a_viewer_cannot_submit_nor_delete(kfdash, admin, templates):
    form = dict(templates["spark-pi-python"]["form"], name="carol-pi")
    # kfdash refuses a viewer's change itself (routes.c), before the API server would.
    r = call_as(kfdash, CAROL, "POST", BASE.format(ns="alice"), json=form)
    assert r.status_code == 403 and "viewers" in r.json()["error"]
    assert admin.get(APPS.format(ns="alice") + "/carol-pi").status_code == 404
    r = call_as(kfdash, CAROL, "DELETE", BASE.format(ns="alice") + "/app1")
    assert r.status_code == 403 and "viewers" in r.json()["error"]
    assert admin.get(APPS.format(ns="alice") + "/app1").status_code == 200


def test_members_submit_in_their_own_profile_only(kfdash, admin, templates, cleanup):
    name = unique("own")
    form = dict(templates["spark-pi-python"]["form"], name=name)
    r = call_as(kfdash, CAROL, "POST", BASE.format(ns="bob"), json=form)
    assert r.status_code == 403 and r.json()["error"] == "you have no role in this namespace"
    r = call_as(kfdash, BOB, "POST", BASE.format(ns="bob"), json=form)
    try:
        assert r.status_code == 201, r.text
        assert r.json()["application"]["namespace"] == "bob"
    finally:
        admin.delete(APPS.format(ns="bob") + f"/{name}")


def _form(templates, **changes):
    form = json.loads(json.dumps(templates["spark-pi-scala"]["form"]))
    form["name"] = "bad-form"
    for key, value in changes.items():
        where, _, leaf = key.rpartition("__")
        target = form[where] if where else form
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return form


BAD_FORMS = [
    ({"name": "Bad_Name"}, "name"),
    ({"name": "x" * 64}, "name"),
    ({"name": None}, "name: required"),
    ({"type": "Go"}, "type"),
    ({"mainClass": None}, "mainClass: required"),
    ({"mainClass": "not a class"}, "mainClass"),
    ({"image": ""}, "image: required"),
    ({"image": "i" * 513}, "image: at most"),
    ({"mainApplicationFile": None}, "mainApplicationFile: required"),
    ({"mainApplicationFile": "f" * 4097}, "mainApplicationFile: at most"),
    ({"arguments": ["1"] * 65}, "arguments: at most 64"),
    ({"arguments": ["a" * 4097]}, "arguments: each at most"),
    ({"arguments": [1, 2]}, "arguments"),
    ({"driver__cores": 0}, "driver.cores"),
    ({"driver__cores": 65}, "driver.cores"),
    ({"executor__cores": 2.5}, "executor.cores"),
    ({"executor__instances": 101}, "executor.instances"),
    ({"executor__instances": 0}, "executor.instances"),
    ({"driver__memory": "lots"}, "driver.memory"),
    ({"executor__memory": "512"}, "executor.memory"),
    ({"driver__serviceAccount": "Not/An/Account"}, "driver.serviceAccount"),
    ({"sparkConf": {f"spark.k{i}": "v" for i in range(65)}}, "sparkConf: at most 64"),
    ({"sparkConf": {"spark.executor.instances": 3}}, "sparkConf: values are strings"),
    ({"timeToLiveSeconds": 0}, "timeToLiveSeconds"),
]


@pytest.mark.parametrize("changes, reason", BAD_FORMS,
                         ids=[next(iter(c)) + "-" + str(i) for i, (c, _) in enumerate(BAD_FORMS)])
def test_bad_forms_are_refused_with_the_reason(kfdash, admin, templates, changes, reason):
    r = call_as(kfdash, ALICE, "POST", BASE.format(ns="alice"), json=_form(templates, **changes))
    assert r.status_code == 400, r.text
    assert r.json()["error"].startswith(reason), r.json()
    assert admin.get(APPS.format(ns="alice") + "/bad-form").status_code == 404


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "null", ""])
def test_a_body_that_is_not_a_form_is_refused(kfdash, body):
    r = call_as(kfdash, ALICE, "POST", BASE.format(ns="alice"), data=body,
                headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "send a JSON object"


def test_an_oversized_form_is_413(kfdash, templates):
    form = _form(templates, padding="p" * 300_000)
    r = call_as(kfdash, ALICE, "POST", BASE.format(ns="alice"), json=form)
    assert r.status_code == 413 and "too large" in r.json()["error"]


@pytest.mark.parametrize("path", [
    "/Bad_Name", "/bad_name/logs", "/app1/logs?tailLines=0", "/app1/logs?tailLines=10001",
    "/app1/logs?tailLines=abc", "/app1/logs?tailLines=-5", "/app1/logs?follow=maybe",
])
def test_bad_names_and_log_options_are_400(kfdash, path):
    r = call_as(kfdash, BOB, "GET", BASE.format(ns="alice") + path)
    assert r.status_code == 400, r.text
    assert r.json()["error"]


# ---------------------------------------------------------------- the driver's log


def test_logs_of_a_driver_pod_that_does_not_exist_are_the_api_servers_404(kfdash, admin, cleanup):
    # app1 names its driver pod; this one does not, so the operator's default name is used.
    name = unique("nolog")
    cleanup["apps"].append(name)
    seed_app(admin, name)
    for app, pod in (("app1", "app1-driver"), (name, f"{name}-driver")):
        r = call_as(kfdash, ALICE, "GET", BASE.format(ns="alice") + f"/{app}/logs")
        assert r.status_code == 404, r.text
        status = r.json()
        assert status["kind"] == "Status" and status["reason"] == "NotFound"
        assert status["message"] == f'pods "{pod}" not found'


def test_a_client_asking_for_text_only_still_gets_the_reason(kfdash):
    # curl -H 'Accept: text/plain': the API server cannot say "not found" in text and would
    # answer 406; kfdash asks for text or its Status JSON, so the reason comes back.
    r = call_as(kfdash, ALICE, "GET", BASE.format(ns="alice") + "/app1/logs",
                headers={"Accept": "text/plain"})
    assert r.status_code == 404, r.text
    assert r.json()["message"] == 'pods "app1-driver" not found'


def make_driver_pod(admin, cleanup, container):
    """Pod alice/app1-driver with one container. The stack has no scheduler nor kubelet: the pod
    is never placed on a node, so it exists but has no log yet."""
    pods = PODS.format(ns="alice")
    admin.delete(pods + "/app1-driver", params={"gracePeriodSeconds": 0})
    deadline = time.monotonic() + 10
    while admin.get(pods + "/app1-driver").status_code != 404 and time.monotonic() < deadline:
        time.sleep(0.1)
    cleanup["pods"].append("app1-driver")
    # alice has a quota of cpu and memory: every container must request both.
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app1-driver"},
           "spec": {"containers": [{"name": container, "image": "spark:4.1.0", "resources": {
               "requests": {"cpu": "1", "memory": "1Gi"}}}]}}
    r = admin.post(pods, json=pod)
    assert r.status_code == 201, r.text


def test_logs_ask_for_the_driver_container_of_the_driver_pod(kfdash, admin, cleanup):
    # A driver pod without the operator's driver container: the API server's own error names
    # that pod and the container kfdash asked for.
    make_driver_pod(admin, cleanup, "main")
    r = call_as(kfdash, BOB, "GET", BASE.format(ns="alice") + "/app1/logs?tailLines=20")
    assert r.status_code == 400, r.text
    status = r.json()
    assert status["kind"] == "Status" and status["reason"] == "BadRequest"
    assert status["message"] == "container spark-kubernetes-driver is not valid for pod app1-driver"


@pytest.mark.parametrize("user", [ALICE, BOB, CAROL])
def test_logs_reach_the_driver_pod_once_it_exists(kfdash, admin, cleanup, user):
    # The same request that was the API server's 404 before the pod existed now gets its answer
    # for a pod not yet placed on a node: no content, nothing logged yet.
    make_driver_pod(admin, cleanup, "spark-kubernetes-driver")
    for query in ("", "?tailLines=20", "?follow=true&tailLines=10000"):
        r = call_as(kfdash, user, "GET", BASE.format(ns="alice") + f"/app1/logs{query}")
        assert r.status_code == 204, r.text
        assert r.content == b""


def test_a_recorded_driver_pod_name_cannot_steer_the_log_request(kfdash, admin, cleanup):
    # Whoever writes the status could name a path instead of a pod; kfdash must not follow it.
    name = unique("steer")
    cleanup["apps"].append(name)
    seed_app(admin, name, status={"applicationState": {"state": "RUNNING"},
                                  "driverInfo": {"podName": "../../../api/v1/namespaces/alice/secrets"}})
    r = call_as(kfdash, ALICE, "GET", BASE.format(ns="alice") + f"/{name}/logs")
    assert r.status_code == 502
    assert r.json() == {"error": "the application's driver pod name is not a pod name"}
