"""The stack's Prometheus (tests/stack/stack.sh, issue 18) scrapes the peers kfdash will chart,
with the labels Kubernetes service discovery and the usual relabelling would give their pods
(tests/stack/prom_targets.py, tests/stack/README.md): the model servers (MLServer's own metrics
port), both jupyter_servers, the Spark driver's PrometheusServlet and executors' summary, and
kfdash.

Every wait polls Prometheus with a deadline counted in scrape intervals; no test sleeps for a
fixed time."""
import json
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import ROOT, plain_session
from kfdash_process import Kfdash

sys.path.insert(0, str(ROOT / "tests" / "stack"))
import prom_targets  # noqa: E402  (the label scheme: the same groups the stack writes)

ISVCS = "/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices"
IRIS = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64",
                    "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}
STANDIN_READY_S = 300  # a model download and an MLServer start, on 2 busy cores


def interval(stack):
    return float(stack["PROMETHEUS_SCRAPE_INTERVAL"].rstrip("s"))


def within(stack, scrapes):
    """Seconds for `scrapes` scrape intervals (a first scrape waits for the target's offset,
    a new file waits for file_sd's notice)."""
    return scrapes * interval(stack)


def poll(check, what, seconds, every=0.5):
    """check() until it returns something truthy (returned); fails with the last value after
    `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s (last: {value!r})"
        time.sleep(every)


@pytest.fixture(scope="module")
def prom(stack):
    s = plain_session()
    base = stack["PROMETHEUS_URL"]

    class Prom:
        url = base

        def get(self, path, **params):
            r = s.get(base + path, params=params, timeout=10)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            body = r.json()
            assert body["status"] == "success", body
            return body["data"]

        def query(self, q):
            """Instant vector: [(labels, float value)]."""
            data = self.get("/api/v1/query", query=q)
            assert data["resultType"] == "vector", data
            return [(x["metric"], float(x["value"][1])) for x in data["result"]]

        def targets(self):
            return self.get("/api/v1/targets", state="active")["activeTargets"]

    yield Prom()
    s.close()


def matching(targets, **labels):
    return [t for t in targets if all(t["labels"].get(k) == v for k, v in labels.items())]


def up_target(prom, stack, **labels):
    """The one active target with these labels, once it is up."""
    def check():
        found = matching(prom.targets(), **labels)
        return found[0] if len(found) == 1 and found[0]["health"] == "up" else None
    return poll(check, f"one target {labels} up", within(stack, 6))


# ---------------------------------------------------------------- targets and their labels


def test_prometheus_is_ready_and_scrapes_every_five_seconds(prom, stack):
    r = plain_session().get(prom.url + "/-/ready", timeout=10)
    assert r.status_code == 200, r.text
    config = prom.get("/api/v1/status/config")["yaml"]
    assert f"scrape_interval: {stack['PROMETHEUS_SCRAPE_INTERVAL']}" in config
    assert stack["PROMETHEUS_SCRAPE_INTERVAL"] == "5s"


def test_the_seeded_model_server_is_up_labelled_as_its_predictor_pod(prom, stack):
    t = up_target(prom, stack, namespace="alice", serving_kserve_io_inferenceservice="iris-classifier")
    labels = t["labels"]
    assert labels["container"] == "kserve-container"
    assert labels["service"] == "iris-classifier-predictor"
    assert labels["pod"].startswith("iris-classifier-predictor-")
    assert labels["component"] == "predictor" and labels["job"] == "kubernetes-pods"
    # MLServer's own metrics port, not its inference port.
    metrics_port = stack["MODEL_SERVER_METRICS_PORT"]
    assert t["scrapeUrl"] == f"http://127.0.0.1:{metrics_port}/metrics", t


@pytest.mark.parametrize("ns,nb", [("alice", "nb1"), ("bob", "nb2")])
def test_each_jupyter_server_is_up_labelled_as_its_notebook_pod(prom, stack, ns, nb):
    t = up_target(prom, stack, namespace=ns, notebook_name=nb)
    assert {k: t["labels"][k] for k in ("pod", "container", "service")} == {
        "pod": f"{nb}-0", "container": nb, "service": nb}
    port = stack[f"JUPYTER_{ns.upper()}_{nb.upper()}_PORT"]
    # jupyter_server's /metrics under the notebook's prefix, read without a login.
    assert t["scrapeUrl"] == f"http://127.0.0.1:{port}/notebook/{ns}/{nb}/metrics", t


@pytest.mark.parametrize("endpoint,path", [("spark-ui", "/metrics/prometheus/"),
                                           ("spark-ui-executors", "/metrics/executors/prometheus")])
def test_the_spark_driver_is_up_on_both_prometheus_paths(prom, stack, endpoint, path):
    t = up_target(prom, stack, namespace="alice", sparkoperator_k8s_io_app_name="app1",
                  endpoint=endpoint)
    assert {k: t["labels"][k] for k in ("pod", "container", "service", "spark_role")} == {
        "pod": "app1-driver", "container": "spark-kubernetes-driver", "service": "app1-ui-svc",
        "spark_role": "driver"}
    assert t["scrapeUrl"] == stack["SPARK_UI_URL"] + path, t


def test_spark_driver_and_executor_series_carry_the_application(prom, stack):
    sel = '{namespace="alice", sparkoperator_k8s_io_app_name="app1"}'
    # The metrics system (spark.metrics.namespace "spark"): JVM heap in use, CPU time.
    for metric in ("metrics_spark_driver_jvm_heap_used_Value", "metrics_spark_driver_JVMCPU_jvmCpuTime_Value"):
        found = poll(lambda: prom.query(metric + sel), f"{metric} in Prometheus", within(stack, 6))
        assert len(found) == 1 and found[0][1] > 0 and found[0][0]["pod"] == "app1-driver", found
    # The executors' summary (tasks done, memory of the process tree).
    done = poll(lambda: prom.query(f"metrics_executor_completedTasks_total{sel}"),
                "the executors' completed tasks in Prometheus", within(stack, 6))
    assert done[0][0]["executor_id"] == "driver" and done[0][1] > 0, done


def test_kfdash_on_the_demo_port_is_a_target_of_its_own_namespace(prom):
    found = matching(prom.targets(), namespace="kubeflow", service="kfdash")
    assert len(found) == 1, found
    t = found[0]
    assert t["scrapeUrl"] == "http://127.0.0.1:8080/metrics"
    assert t["labels"]["container"] == "kfdash" and t["labels"]["app_kubernetes_io_name"] == "kfdash"
    # Up while make demo's kfdash runs, down otherwise: either way it is scraped.
    assert t["health"] in ("up", "down"), t


def test_a_kfdash_target_labelled_as_its_pod_is_scraped_for_real(prom, stack):
    """The same labels as the demo port's target (prom_targets.kfdash), for a kfdash started
    here on a free port: its own metrics arrive with namespace and pod."""
    k = Kfdash()
    target = Path(stack["PROMETHEUS_TARGETS_DIR"]) / f"test-kfdash-{uuid.uuid4().hex[:8]}.json"
    groups = prom_targets.kfdash(f"127.0.0.1:{k.port}", ns="kfdash-test")
    try:
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(groups))
        os.replace(tmp, target)
        t = up_target(prom, stack, namespace="kfdash-test", service="kfdash")
        assert t["labels"]["pod"] == groups[0]["labels"]["pod"]
        info = poll(lambda: prom.query('kfdash_build_info{namespace="kfdash-test"}'),
                    "kfdash_build_info in Prometheus", within(stack, 4))
        assert info[0][0]["pod"] == t["labels"]["pod"] and info[0][1] == 1, info
    finally:
        target.unlink(missing_ok=True)
        k.stop()
    poll(lambda: not matching(prom.targets(), namespace="kfdash-test"),
         "the removed target gone", within(stack, 4))


# ---------------------------------------------------------------- what kfdash will chart


def counter(prom, query):
    found = prom.query(query)
    return sum(v for _, v in found)


def test_a_prediction_reaches_mlservers_request_counter_within_a_few_scrapes(prom, stack, http):
    sel = '{namespace="alice", serving_kserve_io_inferenceservice="iris-classifier"}'
    up_target(prom, stack, namespace="alice", serving_kserve_io_inferenceservice="iris-classifier")
    query = f"sum(model_infer_request_success_total{sel})"
    before = counter(prom, query)
    url, model = stack["MODEL_SERVER_URL"], stack["MODEL_SERVER_MODEL"]
    for _ in range(3):
        r = http.post(f"{url}/v2/models/{model}/infer", json=IRIS, timeout=30)
        assert r.status_code == 200, r.text
    after = poll(lambda: (v := counter(prom, query)) >= before + 3 and v,
                 "3 more successful inferences in model_infer_request_success_total",
                 within(stack, 4))
    assert after >= before + 3
    # The REST layer's counter has them too, by route and status (an error ratio's parts).
    rest = prom.query(f'rest_server_requests_total{{namespace="alice", '
                      f'serving_kserve_io_inferenceservice="iris-classifier", '
                      f'path="/v2/models/{{model_name}}/infer", status_code="200"}}')
    assert rest and rest[0][1] >= 3, rest
    # Latency per model: a histogram's _count and _sum.
    latency = prom.query(f"model_infer_request_duration_count{sel}")
    assert latency and latency[0][1] >= 3 and latency[0][0]["model"] == model, latency


@pytest.mark.parametrize("metric", ["process_cpu_seconds_total", "process_resident_memory_bytes"])
def test_notebook_process_cpu_and_memory_carry_namespace_and_pod(prom, stack, metric):
    """No cAdvisor here (container_cpu_usage_seconds_total and container_memory_working_set_bytes
    need a kubelet): a notebook's CPU and memory are jupyter_server's own process metrics, from
    prometheus_client's process collector."""
    found = poll(lambda: (f := prom.query(f'{metric}{{notebook_name!=""}}')) and len(f) == 2 and f,
                 f"{metric} of both notebooks", within(stack, 6))
    by_ns = {m["namespace"]: (m, v) for m, v in found}
    assert sorted(by_ns) == ["alice", "bob"], found
    for ns, nb in (("alice", "nb1"), ("bob", "nb2")):
        m, v = by_ns[ns]
        assert (m["pod"], m["container"], m["notebook_name"]) == (f"{nb}-0", nb, nb), m
        assert v > 0, (metric, m, v)


def test_notebook_cpu_rate_is_a_chartable_series(prom, stack):
    q = 'sum by (namespace, pod) (rate(process_cpu_seconds_total{namespace="alice", notebook_name="nb1"}[30s]))'
    found = poll(lambda: prom.query(q), "a CPU rate for alice/nb1 (two samples)", within(stack, 6))
    assert found[0][0] == {"namespace": "alice", "pod": "nb1-0"} and found[0][1] >= 0, found
    r = prom.get("/api/v1/query_range", query=q, start=time.time() - 60, end=time.time(), step=10)
    assert r["resultType"] == "matrix" and r["result"][0]["metric"]["pod"] == "nb1-0", r


def test_the_model_server_process_is_charted_by_its_predictor_pod(prom, stack):
    found = poll(lambda: prom.query('process_resident_memory_bytes{namespace="alice", '
                                    'serving_kserve_io_inferenceservice="iris-classifier"}'),
                 "the model server's memory", within(stack, 6))
    assert found[0][1] > 10 << 20 and found[0][0]["container"] == "kserve-container", found


# ---------------------------------------------------------------- the stand-in's targets come and go


def test_an_inference_service_served_by_the_standin_is_a_target_while_it_runs(prom, stack, admin, http):
    name = f"mon-{uuid.uuid4().hex[:6]}"
    path = ISVCS.format(ns="alice")
    r = admin.post(path, json={
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "alice"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                                         "storageUri": stack["MLFLOW_MODEL_ARTIFACT_URI"]}}}})
    assert r.status_code == 201, r.text
    try:
        def ready():
            st = admin.get(f"{path}/{name}").json().get("status") or {}
            conds = {c["type"]: c for c in st.get("conditions") or []}
            assert conds.get("Ready", {}).get("status") != "False", st
            return conds.get("Ready", {}).get("status") == "True" and st
        status = poll(ready, f"alice/{name} Ready from the stand-in", STANDIN_READY_S, every=1)
        t = up_target(prom, stack, namespace="alice", serving_kserve_io_inferenceservice=name)
        assert t["labels"]["service"] == f"{name}-predictor"
        assert t["labels"]["container"] == "kserve-container"
        # A prediction at its address is counted under its own name.
        r = http.post(f"{status['address']['url']}/v2/models/{name}/infer", json=IRIS, timeout=30)
        assert r.status_code == 200, r.text
        poll(lambda: counter(prom, f'model_infer_request_success_total{{namespace="alice", '
                                   f'serving_kserve_io_inferenceservice="{name}"}}') >= 1,
             f"the prediction counted for {name}", within(stack, 4))
    finally:
        admin.delete(f"{path}/{name}")
    poll(lambda: not matching(prom.targets(), serving_kserve_io_inferenceservice=name),
         f"{name}'s target gone once it is deleted", 30 + within(stack, 2))
