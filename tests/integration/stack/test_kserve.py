"""KServe endpoints through kfdash against the stack: the real kube-apiserver (with RBAC), the
real MLflow (model `iris-classifier` v1 registered in workspace alice), the real MLServer serving
it (the seeded InferenceService alice/iris-classifier, reached at its cluster address through
--connect-to), and tests/stack/kserve-standin.py standing in for KServe's controller: it starts
a real MLServer for every InferenceService of an MLflow model and writes its status.

Profiles: alice (owner alice, bob edits, carol views); a stranger has no role anywhere. Users
come in as a trusted gateway names them (kubeflow-userid), or with a personal access token as a
curl user would.

The InferenceServices API goes to the API server as the user: what a user may do is the
cluster's decision. /serving/<ns>/<name>/ needs a role in <ns> and carries only the V1/V2
inference calls.
"""
import functools
import json
import os
import time
import uuid
from pathlib import Path

import pytest

from conftest import UNBOUND_ADMIN, call_as, gateway_kfdash, personal_token, plain_session

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
API = "/api/namespaces/{ns}/inferenceservices"
ISVCS = "/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices"
SEEDED = "iris-classifier"
SERVICE_ACCOUNT = "kserve-models"
REQUEST_LIMIT = 256 << 10
READY_TIMEOUT_S = 300
# Iris rows: two of each species (setosa, versicolor, virginica).
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4],
             [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5], [5.8, 2.7, 5.1, 1.9]]
INFER = {"inputs": [{"name": "input-0", "shape": [len(IRIS_ROWS), 4], "datatype": "FP64",
                     "data": [x for row in IRIS_ROWS for x in row]}]}


def connect_to(stack):
    """The stack's --connect-to, with the seeded InferenceService's cluster address (a stack
    started before ml-peers.py mapped it lacks it)."""
    mapping = stack["KFDASH_CONNECT_TO"]
    if f"{SEEDED}-predictor.alice.svc.cluster.local:80:" not in mapping:
        mapping += f",{SEEDED}-predictor.alice.svc.cluster.local:80:127.0.0.1:{stack['MODEL_SERVER_PORT']}"
    return mapping


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack, "--mlflow-url", stack["MLFLOW_URL"],
                       "--kserve-service-account", SERVICE_ACCOUNT,
                       "--kserve-max-request-bytes", str(REQUEST_LIMIT),
                       "--connect-to", connect_to(stack))
    yield k
    k.stop()


# KServe's answers (MLflow asked first, a model server loading) take longer than the API server's.
call = functools.partial(call_as, timeout=30)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def summaries(k, user, ns="alice"):
    r = call(k, user, "GET", API.format(ns=ns))
    assert r.status_code == 200, r.text
    return {s["name"]: s for s in r.json()["inferenceServices"]}


def wait_for(k, name, state, timeout=READY_TIMEOUT_S):
    """The summary of alice/name once its state is `state` (the stand-in loads the model)."""
    deadline = time.monotonic() + timeout
    while True:
        r = call(k, ALICE, "GET", API.format(ns="alice") + f"/{name}")
        assert r.status_code == 200, r.text
        s = r.json()["inferenceService"]
        if s["state"] == state:
            return s
        assert time.monotonic() < deadline, f"{name} not {state} after {timeout}s: {s}"
        time.sleep(1)


def mlflow_download_uri(http, stack, model, version, ns="alice"):
    r = http.get(f"{stack['MLFLOW_URL']}/api/2.0/mlflow/model-versions/get-download-uri",
                 params={"name": model, "version": version},
                 headers={"X-MLFLOW-WORKSPACE": ns}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["artifact_uri"]


def direct_predictions(http, stack):
    """The seeded MLServer's own answer for IRIS_ROWS, asked directly."""
    r = http.post(f"{stack['MODEL_SERVER_URL']}/v2/models/{SEEDED}/infer", json=INFER, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["outputs"][0]["data"]


@pytest.fixture(scope="module")
def standin(stack):
    """KServe's stand-in runs (stack.sh starts it; a stack older than it does not have one)."""
    pid_file = Path(stack["KFDASH_STACK_DIR"]) / "ml" / "pids" / "kserve-standin.pid"
    pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else 0
    try:
        alive = pid > 0 and os.kill(pid, 0) is None
    except OSError:
        alive = False
    assert alive, (f"no tests/stack/kserve-standin.py running for {stack['KFDASH_STACK_DIR']}: start it with "
                   f"KFDASH_STACK_DIR={stack['KFDASH_STACK_DIR']} tests/stack/ml-up.sh standin "
                   "(with the stack's env sourced), or start the stack anew")


@pytest.fixture(scope="module")
def cleanup(admin):
    """InferenceServices in alice to delete at the end, whatever happened."""
    made = set()
    yield made
    for name in made:
        admin.delete(ISVCS.format(ns="alice") + f"/{name}")


@pytest.fixture(scope="module")
def deployed(kfdash, cleanup, standin):
    """iris-classifier v1 deployed from MLflow through kfdash by alice, and ready: (its name,
    kfdash's answer to the create, the ready summary)."""
    name = unique("iris")
    cleanup.add(name)
    r = call(kfdash, ALICE, "POST", API.format(ns="alice"),
             json={"name": name, "fromMlflow": {"model": SEEDED, "version": "1"}})
    assert r.status_code == 201, r.text
    return name, r.json()["inferenceService"], wait_for(kfdash, name, "ready")


# ---------------------------------------------------------------- listing


@pytest.mark.parametrize("user", [ALICE, BOB, CAROL])
def test_every_member_sees_the_seeded_endpoint_ready_with_its_urls_and_traffic(kfdash, user):
    s = summaries(kfdash, user)[SEEDED]
    assert s["ready"] is True and s["state"] == "ready" and s["reasons"] == []
    assert s["url"] == f"http://{SEEDED}.alice.example.com"
    assert s["address"] == f"http://{SEEDED}-predictor.alice.svc.cluster.local"
    assert s["traffic"] == [{"revisionName": f"{SEEDED}-predictor-00001", "tag": "",
                             "percent": 100, "latestRevision": True}]
    assert s["model"]["format"] == "mlflow" and s["model"]["protocolVersion"] == "v2"
    assert s["model"]["storageUri"].startswith("mlflow-artifacts:/")
    assert s["modelStatus"] == {"transitionStatus": "UpToDate", "activeModelState": "Loaded",
                                "targetModelState": "Loaded"}
    assert s["lastFailure"] is None
    assert s["predictUrl"] == f"/serving/alice/{SEEDED}/"
    assert s["createdAt"]


def test_one_endpoint_comes_with_its_raw_object(kfdash):
    r = call(kfdash, CAROL, "GET", API.format(ns="alice") + f"/{SEEDED}")
    assert r.status_code == 200, r.text
    assert r.json()["inferenceService"]["name"] == SEEDED
    assert r.json()["object"]["kind"] == "InferenceService"
    r = call(kfdash, CAROL, "GET", API.format(ns="alice") + "/no-such-endpoint")
    assert r.status_code == 404 and "not found" in r.json()["error"]


def test_a_namespace_without_endpoints_lists_none(kfdash):
    assert summaries(kfdash, BOB, ns="bob") == {}


@pytest.mark.parametrize("method, path, body", [
    ("GET", API.format(ns="alice"), None),
    ("GET", API.format(ns="alice") + f"/{SEEDED}", None),
    ("POST", API.format(ns="alice"), {"name": "stolen", "fromMlflow": {"model": SEEDED, "version": "1"}}),
    ("DELETE", API.format(ns="alice") + f"/{SEEDED}", None),
    ("GET", f"/serving/alice/{SEEDED}/v2/models/{SEEDED}", None),
    ("POST", f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer", INFER),
])
def test_a_stranger_is_refused_everywhere(kfdash, admin, method, path, body):
    r = call(kfdash, STRANGER, method, path, json=body)
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "you have no role in this namespace"
    assert admin.get(ISVCS.format(ns="alice") + "/stolen").status_code == 404
    assert admin.get(ISVCS.format(ns="alice") + f"/{SEEDED}").status_code == 200


def test_a_kfdash_cluster_admin_still_needs_the_clusters_permission(kfdash):
    # kfdash lets both its cluster admins in; the API server, asked as them, decides: it gives
    # admin@ cluster-admin, ops@ nothing.
    assert call(kfdash, ADMIN, "GET", API.format(ns="alice")).status_code == 200
    r = call(kfdash, UNBOUND_ADMIN, "GET", API.format(ns="alice"))
    assert r.status_code == 403 and "forbidden" in r.json()["error"]


# ---------------------------------------------------------------- predicting on the seeded endpoint


def test_the_seeded_endpoint_predicts_through_kfdash_as_the_model_server_does(kfdash, stack, http):
    r = call(kfdash, CAROL, "POST", f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer", json=INFER)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_name"] == SEEDED
    predictions = out["outputs"][0]["data"]
    assert predictions == direct_predictions(http, stack)
    assert len(predictions) == len(IRIS_ROWS) and set(predictions) <= {0, 1, 2}
    assert predictions[:2] == [0, 0]  # setosa is never confused


def test_v2_health_and_metadata_pass_through(kfdash, stack, http):
    base = f"/serving/alice/{SEEDED}"
    assert call(kfdash, BOB, "GET", base + "/v2/health/ready").status_code == 200
    assert call(kfdash, BOB, "GET", base + f"/v2/models/{SEEDED}/ready").status_code == 200
    meta = call(kfdash, BOB, "GET", base + f"/v2/models/{SEEDED}")
    assert meta.status_code == 200, meta.text
    direct = http.get(f"{stack['MODEL_SERVER_URL']}/v2/models/{SEEDED}", timeout=30).json()
    assert meta.json() == direct
    assert meta.json()["inputs"][0]["shape"] == [-1, 4]


def test_v1_is_mlservers_own_answer_it_does_not_speak_v1(kfdash, stack, http):
    # MLServer offers V2 only: its own 404 passes through, unchanged.
    path = f"/v1/models/{SEEDED}:predict"
    r = call(kfdash, ALICE, "POST", f"/serving/alice/{SEEDED}" + path, json={"instances": IRIS_ROWS})
    direct = http.post(stack["MODEL_SERVER_URL"] + path, json={"instances": IRIS_ROWS}, timeout=30)
    assert direct.status_code == 404
    assert r.status_code == 404 and r.json() == direct.json() == {"detail": "Not Found"}


def test_a_personal_access_token_predicts_as_the_curl_example_does(kfdash, dex_login, demo_password):
    token = personal_token(kfdash, dex_login, CAROL, demo_password("carol"), name="predict")
    # What the page's curl example sends: the token, a JSON body, nothing else.
    r = plain_session().post(kfdash.url + f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer",
                             headers={"Authorization": f"Bearer {token}"}, json=INFER, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["outputs"][0]["data"][:2] == [0, 0]
    r = plain_session().post(kfdash.url + f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer",
                             headers={"Authorization": "Bearer kfp_not-a-token"}, json=INFER,
                             timeout=30)
    assert r.status_code == 401


def test_the_model_repository_api_is_not_carried(kfdash, stack, http):
    # MLServer would unload the model for anyone who asks: kfdash carries inference calls only.
    for path in (f"/v2/repository/models/{SEEDED}/unload", "/v2/repository/index",
                 f"/v2/models/../repository/models/{SEEDED}/unload", "/metrics", "/"):
        r = call(kfdash, CAROL, "POST", f"/serving/alice/{SEEDED}" + path, json={})
        assert r.status_code == 404, (path, r.text)
        assert "not an inference call" in r.json()["error"]
    ready = http.get(f"{stack['MODEL_SERVER_URL']}/v2/models/{SEEDED}/ready", timeout=30)
    assert ready.status_code == 200, "the model is still loaded"


def test_a_call_with_the_wrong_method_is_405(kfdash):
    r = call(kfdash, ALICE, "GET", f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer")
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
    r = call(kfdash, ALICE, "DELETE", f"/serving/alice/{SEEDED}/v2/models/{SEEDED}")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"


def test_a_body_over_the_limit_is_413_with_or_without_a_length(kfdash):
    rows = REQUEST_LIMIT // 20 + 1000  # about 20 bytes a row
    big = json.dumps({"inputs": [{"name": "input-0", "shape": [rows, 4], "datatype": "FP64",
                                  "data": [5.1, 3.5, 1.4, 0.2] * rows}]}).encode()
    assert len(big) > REQUEST_LIMIT
    path = f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer"
    r = call(kfdash, ALICE, "POST", path, data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:200]
    assert "too large" in r.json()["error"]
    # Chunked: no length announced, counted as it streams.
    chunks = (big[i:i + 65536] for i in range(0, len(big), 65536))
    r = call(kfdash, ALICE, "POST", path, data=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text[:200]
    # Under the limit, a larger batch still goes through.
    rows = REQUEST_LIMIT // 40
    ok = {"inputs": [{"name": "input-0", "shape": [rows, 4], "datatype": "FP64",
                      "data": [5.1, 3.5, 1.4, 0.2] * rows}]}
    r = call(kfdash, ALICE, "POST", path, json=ok)
    assert r.status_code == 200, r.text[:200]
    assert r.json()["outputs"][0]["shape"][0] == rows


def test_an_endpoint_that_does_not_exist_is_a_clear_404(kfdash):
    r = call(kfdash, ALICE, "GET", "/serving/alice/no-such-endpoint/v2/models/x/ready")
    assert r.status_code == 404
    assert r.json()["error"] == "there is no InferenceService named no-such-endpoint in alice"


# ---------------------------------------------------------------- creating and deleting


def test_the_deploy_form_offers_the_model_versions_of_the_namespaces_workspace(kfdash, stack):
    r = call(kfdash, CAROL, "GET", "/api/namespaces/alice/mlflow-model-versions")
    assert r.status_code == 200, r.text
    assert r.json()["truncated"] is False
    v1 = next(v for v in r.json()["modelVersions"] if v["model"] == SEEDED and v["version"] == "1")
    assert v1["status"] == "READY" and v1["source"] == stack["MLFLOW_MODEL_SOURCE"]
    assert v1["runId"] in stack["MLFLOW_RUN_IDS"].split() and v1["createdAt"] > 0
    # MLflow workspaces are namespaces: bob's has no model.
    r = call(kfdash, BOB, "GET", "/api/namespaces/bob/mlflow-model-versions")
    assert r.status_code == 200 and r.json()["modelVersions"] == [], r.text
    r = call(kfdash, STRANGER, "GET", "/api/namespaces/alice/mlflow-model-versions")
    assert r.status_code == 403


def test_deploying_from_mlflow_writes_exactly_kserves_mlflow_spec(kfdash, admin, deployed, stack, http):
    name, created, _ = deployed
    assert created["name"] == name and created["creator"] == ALICE
    assert created["mlflow"] == {"model": SEEDED, "version": "1"}
    obj = admin.get(ISVCS.format(ns="alice") + f"/{name}").json()
    assert obj["spec"] == {"predictor": {
        "serviceAccountName": SERVICE_ACCOUNT,
        "model": {"modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                  "storageUri": mlflow_download_uri(http, stack, SEEDED, "1")}}}
    assert obj["metadata"]["annotations"]["kfdash/creator"] == ALICE
    assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kfdash"


def test_the_deployed_endpoint_becomes_ready_and_predicts_the_models_real_output(kfdash, deployed, stack, http):
    name, _, ready = deployed
    assert ready["url"] == f"http://{name}.alice.example.com"
    assert ready["address"].startswith("http://127.0.0.1:")  # the stand-in's model server
    assert ready["traffic"][0]["percent"] == 100
    assert ready["modelStatus"]["activeModelState"] == "Loaded"
    r = call(kfdash, ALICE, "POST", f"/serving/alice/{name}/v2/models/{name}/infer", json=INFER)
    assert r.status_code == 200, r.text
    assert r.json()["model_name"] == name
    assert r.json()["outputs"][0]["data"] == direct_predictions(http, stack)
    meta = call(kfdash, ALICE, "GET", f"/serving/alice/{name}/v2/models/{name}")
    assert meta.status_code == 200 and meta.json()["inputs"][0]["datatype"] == "FP64"
    # V1: MLServer's own refusal, as on the seeded endpoint.
    r = call(kfdash, ALICE, "POST", f"/serving/alice/{name}/v1/models/{name}:predict",
             json={"instances": IRIS_ROWS})
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_carol_views_so_she_cannot_deploy_or_delete_but_predicts(kfdash, admin, deployed):
    name, _, _ = deployed
    taken = unique("carol")
    # kfdash refuses a viewer's change itself (routes.c), before the API server would.
    r = call(kfdash, CAROL, "POST", API.format(ns="alice"),
             json={"name": taken, "fromMlflow": {"model": SEEDED, "version": "1"}})
    assert r.status_code == 403 and "viewers" in r.json()["error"], r.text
    assert admin.get(ISVCS.format(ns="alice") + f"/{taken}").status_code == 404
    r = call(kfdash, CAROL, "DELETE", API.format(ns="alice") + f"/{name}")
    assert r.status_code == 403 and "viewers" in r.json()["error"], r.text
    assert admin.get(ISVCS.format(ns="alice") + f"/{name}").status_code == 200
    r = call(kfdash, CAROL, "POST", f"/serving/alice/{name}/v2/models/{name}/infer", json=INFER)
    assert r.status_code == 200, r.text


def test_the_same_name_twice_is_a_409_that_says_so(kfdash, deployed):
    name, _, _ = deployed
    r = call(kfdash, ALICE, "POST", API.format(ns="alice"),
             json={"name": name, "fromMlflow": {"model": SEEDED, "version": "1"}})
    assert r.status_code == 409
    assert r.json()["error"] == f"an InferenceService named {name} exists already in alice: pick another name"


@pytest.mark.parametrize("from_mlflow, ns, status, message", [
    ({"model": SEEDED, "version": "99"}, "alice", 404, "MLflow has no version 99 of model iris-classifier in workspace alice"),
    ({"model": "no-such-model", "version": "1"}, "alice", 404, "MLflow has no version 1 of model no-such-model"),
    # The model is alice's: bob's workspace has none by that name.
    ({"model": SEEDED, "version": "1"}, "bob", 404, "in workspace bob"),
])
def test_a_version_mlflow_does_not_have_is_refused_and_nothing_is_created(kfdash, admin, from_mlflow, ns, status, message):
    name = unique("ghost")
    r = call(kfdash, BOB, "POST", API.format(ns=ns), json={"name": name, "fromMlflow": from_mlflow})
    assert r.status_code == status, r.text
    assert message in r.json()["error"]
    assert admin.get(ISVCS.format(ns=ns) + f"/{name}").status_code == 404


@pytest.mark.parametrize("form, message", [
    ({"name": "Bad_Name", "fromMlflow": {"model": SEEDED, "version": "1"}}, "name:"),
    ({"name": "x", "fromMlflow": {"model": SEEDED, "version": "latest"}}, "fromMlflow.version:"),
    ({"name": "x", "modelFormat": "sklearn"}, "storageUri: required"),
    ({"name": "x", "fromMlflow": {"model": SEEDED, "version": "1"}, "storageUri": "s3://x"},
     "storageUri: not with fromMlflow"),
])
def test_a_bad_form_is_a_400_naming_the_field(kfdash, form, message):
    r = call(kfdash, ALICE, "POST", API.format(ns="alice"), json=form)
    assert r.status_code == 400 and r.json()["error"].startswith(message), r.text


def test_a_form_too_large_is_413(kfdash):
    r = call(kfdash, ALICE, "POST", API.format(ns="alice"),
             json={"name": "x", "modelFormat": "sklearn", "storageUri": "s3://b/" + "m" * 70000})
    assert r.status_code == 413


def test_a_model_the_runtime_cannot_serve_shows_its_failure_and_is_a_503_to_predict(kfdash, admin, cleanup, standin):
    name = unique("onnx")
    cleanup.add(name)
    r = call(kfdash, BOB, "POST", API.format(ns="alice"),
             json={"name": name, "modelFormat": "onnx", "storageUri": "s3://models/flowers/1",
                   "runtime": "kserve-tritonserver",
                   "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}})
    assert r.status_code == 201, r.text
    spec = admin.get(ISVCS.format(ns="alice") + f"/{name}").json()["spec"]["predictor"]
    assert spec == {"serviceAccountName": SERVICE_ACCOUNT, "model": {
        "modelFormat": {"name": "onnx"}, "storageUri": "s3://models/flowers/1",
        "runtime": "kserve-tritonserver", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}}
    s = wait_for(kfdash, name, "failed", timeout=120)
    assert s["ready"] is False
    assert s["lastFailure"]["reason"] == "NoSupportingRuntime"
    assert "onnx" in s["lastFailure"]["message"]
    assert {c["type"] for c in s["reasons"]} == {"PredictorReady", "Ready"}
    assert s["url"] == "" and s["address"] == ""
    r = call(kfdash, ALICE, "POST", f"/serving/alice/{name}/v2/models/{name}/infer", json=INFER)
    assert r.status_code == 503
    assert r.json()["error"].startswith(f"{name} is not ready to predict: no serving runtime supports")
    r = call(kfdash, BOB, "DELETE", API.format(ns="alice") + f"/{name}")
    assert r.status_code == 200, r.text


def test_a_deleted_endpoint_stops_predicting_with_a_clear_404(kfdash, admin, deployed, cleanup):
    name, _, _ = deployed
    infer = f"/serving/alice/{name}/v2/models/{name}/infer"
    metadata = f"/serving/alice/{name}/v2/models/{name}"
    assert call(kfdash, ALICE, "POST", infer, json=INFER).status_code == 200
    r = call(kfdash, ALICE, "DELETE", API.format(ns="alice") + f"/{name}")
    assert r.status_code == 200 and r.json() == {}, r.text
    cleanup.discard(name)
    assert admin.get(ISVCS.format(ns="alice") + f"/{name}").status_code == 404
    assert name not in summaries(kfdash, ALICE)
    # kfdash remembers an address for 5 s: meanwhile the model server is stopped (its own answer,
    # then 502 "cannot be reached"); then the endpoint is gone for good.
    deadline = time.monotonic() + 15
    while True:
        r = call(kfdash, ALICE, "GET", metadata)
        if r.status_code == 404:
            break
        assert r.status_code in (200, 502), r.text
        if r.status_code == 502:
            assert r.json()["error"] == "the application cannot be reached"
        assert time.monotonic() < deadline, r.text
        time.sleep(0.5)
    assert r.json()["error"] == f"there is no InferenceService named {name} in alice"
    r = call(kfdash, ALICE, "POST", infer, json=INFER)
    assert r.status_code == 404, r.text
    assert r.json()["error"] == f"there is no InferenceService named {name} in alice"
