"""Charts, Kubeflow's /api/metrics and quotas against the stack's real Prometheus and API server
(issue 18; server/api/monitoring.c, charts.c, quota.c).

kfdash writes every query itself, with the namespace matcher of a namespace where the caller
holds a role: predictions sent through kfdash show in the endpoint's chart within a scrape
interval; a user sees only their namespaces' series, and crafted names, ranges, steps, chart
names and parameters find no way out; quota bars match the ResourceQuota's status and
`kubectl describe quota`; Diagnostics explains a pod the quota refused.

Profile `alice`: owner alice, bob edits, carol views; `bob` and `carol` are their own owners'.
Prometheus's label scheme is the stack's (tests/stack/README.md)."""
import json
import subprocess
import time
import uuid
from decimal import Decimal

import pytest

from conftest import call_as, gateway_kfdash, plain_session
from test_quota import QUOTA, delete_pod, pod, poll, quantity, quota_path

ALICE, BOB, CAROL, ADMIN, STRANGER = (f"{u}@example.com" for u in
                                      ("alice", "bob", "carol", "admin", "stranger"))
SEEDED = "iris-classifier"
INFER = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64",
                     "data": [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]}]}


def interval(stack):
    return int(float(stack["PROMETHEUS_SCRAPE_INTERVAL"].rstrip("s")))


def connect_to(stack):
    mapping = stack["KFDASH_CONNECT_TO"]
    if f"{SEEDED}-predictor.alice.svc.cluster.local:80:" not in mapping:
        mapping += f",{SEEDED}-predictor.alice.svc.cluster.local:80:127.0.0.1:{stack['MODEL_SERVER_PORT']}"
    return mapping


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack, "--prometheus-url", stack["PROMETHEUS_URL"],
                       "--prometheus-scrape-interval", str(interval(stack)),
                       "--metrics-dashboard", "https://grafana.example.com/d/kf",
                       "--connect-to", connect_to(stack))
    yield k
    k.stop()


@pytest.fixture(scope="module")
def prom(stack):
    s = plain_session()

    def query(q):
        r = s.get(stack["PROMETHEUS_URL"] + "/api/v1/query", params={"query": q}, timeout=10)
        assert r.status_code == 200, r.text
        return [(x["metric"], float(x["value"][1])) for x in r.json()["data"]["result"]]
    yield query
    s.close()


def chart(k, user, ns, which, **params):
    r = call_as(k, user, "GET", f"/api/namespaces/{ns}/charts/{which}", params=params)
    assert r.status_code == 200, (which, params, r.status_code, r.text)
    return r.json()


def last(series):
    values = [v for _, v in series["points"] if v is not None]
    return values[-1] if values else None


# ---------------------------------------------------------------- what there is


def test_the_listing_offers_the_named_charts_and_cluster_ones_to_admins_only(kfdash, stack):
    r = call_as(kfdash, CAROL, "GET", "/api/charts")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["configured"] is True and body["scrapeInterval"] == interval(stack)
    names = {c["name"] for c in body["charts"]}
    assert {"endpoint-requests", "endpoint-errors", "endpoint-latency", "notebook-cpu",
            "notebook-memory", "spark-cpu", "spark-memory", "gpu-utilization"} <= names
    assert {c["scope"] for c in body["charts"]} == {"namespace"}
    admin = call_as(kfdash, ADMIN, "GET", "/api/charts").json()
    assert {"requests", "process-cpu", "node-cpu"} <= {c["name"] for c in admin["charts"]
                                                      if c["scope"] == "cluster"}


# ---------------------------------------------------------------- an endpoint's traffic


def test_predictions_through_kfdash_show_in_the_endpoints_chart_within_a_scrape_interval(kfdash, stack):
    every = interval(stack)

    def infer():
        r = call_as(kfdash, ALICE, "POST", f"/serving/alice/{SEEDED}/v2/models/{SEEDED}/infer",
                    json=INFER, timeout=30)
        assert r.status_code == 200, r.text

    def rate():
        body = chart(kfdash, CAROL, "alice", "endpoint-requests", name=SEEDED, range="120",
                     step=str(every))
        assert all(s["labels"] == {"serving_kserve_io_inferenceservice": SEEDED}
                   for s in body["series"]), body["series"]
        return last(body["series"][0]) if body["series"] else None

    # MLServer makes its counters at the first inference: once the series exists in Prometheus
    # and has gone quiet (no earlier test's predictions left in the window), the rate is 0.
    infer()
    poll(lambda: rate() is not None, "the endpoint's series in Prometheus", seconds=6 * every)
    poll(lambda: rate() == 0, "a quiet endpoint", seconds=8 * every + 30)
    sent = time.monotonic()
    for _ in range(5):
        infer()
    seen = poll(lambda: (rate() or 0) > 0, "the predictions in the chart", seconds=4 * every,
                every=0.25)
    took = time.monotonic() - sent
    # A scrape interval, and the little a query and a scrape take on a busy machine.
    assert took <= every + 3, f"the chart showed the predictions after {took:.1f} s"
    assert seen > 0
    # The query kfdash sent is its own, with alice's matcher and the endpoint's in each selector.
    body = chart(kfdash, ALICE, "alice", "endpoint-requests", name=SEEDED, range="300")
    assert body["query"].count('namespace="alice",serving_kserve_io_inferenceservice="iris-classifier"') == 2
    # errors: a ratio of failures (none) to all; latency: percentiles from MLServer's histogram
    errors = chart(kfdash, ALICE, "alice", "endpoint-errors", name=SEEDED, range="120", step=str(every))
    assert errors["unit"] == "ratio" and last(errors["series"][0]) == 0, errors["series"]
    latency = chart(kfdash, ALICE, "alice", "endpoint-latency", name=SEEDED, range="120", step=str(every))
    assert {s["labels"]["quantile"] for s in latency["series"]} == {"p50", "p90", "p99"}
    assert all(0 < last(s) < 10 for s in latency["series"]), latency["series"]


# ---------------------------------------------------------------- only one's own namespaces


def labels_of(body, key):
    return {s["labels"].get(key) for s in body["series"]}


def test_each_member_sees_only_their_namespaces_series(kfdash, prom):
    # Prometheus holds both notebooks' servers; kfdash gives each namespace its own.
    both = {m["notebook_name"] for m, _ in prom('process_resident_memory_bytes{notebook_name!=""}')}
    assert {"nb1", "nb2"} <= both
    assert labels_of(chart(kfdash, CAROL, "alice", "notebook-memory"), "notebook_name") == {"nb1"}
    assert labels_of(chart(kfdash, BOB, "bob", "notebook-memory"), "notebook_name") == {"nb2"}
    assert labels_of(chart(kfdash, ALICE, "alice", "notebook-cpu"), "notebook_name") == {"nb1"}
    spark = chart(kfdash, ALICE, "alice", "spark-cpu")
    assert labels_of(spark, "sparkoperator_k8s_io_app_name") == {"app1"} and last(spark["series"][0]) > 0
    mem = chart(kfdash, ALICE, "alice", "spark-memory")
    assert last(mem["series"][0]) > 1 << 20, mem["series"]
    # bob's own namespace has no Spark application and no endpoint: nothing of alice's shows
    assert chart(kfdash, BOB, "bob", "spark-cpu")["series"] == []
    assert chart(kfdash, BOB, "bob", "endpoint-requests")["series"] == []
    # one notebook of a namespace: another namespace's notebook by its name is not there
    assert chart(kfdash, ALICE, "alice", "notebook-memory", name="nb2")["series"] == []
    # the cluster's charts, for an admin, by namespace
    r = call_as(kfdash, ADMIN, "GET", "/api/cluster/charts/process-memory", params={"range": "600"})
    assert r.status_code == 200, r.text
    assert {"alice", "bob"} <= labels_of(r.json(), "namespace")


ESCAPES = [
    # chart names that are not the table's
    ("/api/namespaces/alice/charts/up", {}, 404),
    ("/api/namespaces/alice/charts/process-memory", {}, 404),
    ("/api/namespaces/alice/charts/notebook-memory%7Bnamespace%3D%22bob%22%7D", {}, 404),
    ("/api/namespaces/alice/charts/sum(process_resident_memory_bytes)", {}, 404),
    # encoded slashes are refused before routing
    ("/api/namespaces/alice/charts/..%2F..%2Fcluster%2Fcharts%2Fprocess-memory", {}, 400),
    # other namespaces, by path tricks (what is not a namespace name is a 400)
    ("/api/namespaces/bob/charts/notebook-memory", {}, 403),
    ("/api/namespaces/alice%2Fbob/charts/notebook-memory", {}, 400),
    ("/api/namespaces/alice/../bob/charts/notebook-memory", {}, 403),
    ("/api/namespaces/bob%22%7D%20or%20up%7Bx%3D%22/charts/notebook-memory", {}, 400),
    ("/api/namespaces/.%2B/charts/notebook-memory", {}, 400),
    ("/api/cluster/charts/process-memory", {}, 403),
    ("/api/metrics/node", {}, 403),
    # PromQL in a parameter
    ("/api/namespaces/alice/charts/notebook-memory", {"query": "process_resident_memory_bytes"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"match[]": "{__name__=~\".+\"}"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"namespace": "bob"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": "nb1\"} or process_resident_memory_bytes{x=\""}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": "nb1\"}[5m:1m]) or label_replace(x, \"namespace\", \"alice\", \"\", \"\")"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": ".+"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": "nb1|nb2"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": "nb1\\"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": "NB2"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"name": "nb1 unless nb2"}, 400),
    # ranges and steps
    ("/api/namespaces/alice/charts/notebook-memory", {"step": "0"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"step": "0.001"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"range": "86400", "step": "1"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"range": "1e9"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"range": "NaN"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"range": "-600"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"start": "0", "end": "99999999999"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"end": "now"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"range": "60", "range ": "60"}, 400),
    ("/api/namespaces/alice/charts/notebook-memory", {"step": "5m"}, 400),
]


@pytest.mark.parametrize("path,params,status", ESCAPES)
def test_crafted_inputs_find_no_way_out(kfdash, path, params, status):
    """carol views alice and owns carol: whatever she sends, she gets a refusal, never a series
    of bob's (or the cluster's)."""
    url = kfdash.url + path
    r = plain_session().get(url, params=params, headers={"kubeflow-userid": CAROL}, timeout=15)
    assert r.status_code == status, (path, params, r.status_code, r.text)
    assert set(r.json()) == {"error"} and "nb2" not in r.text, r.text


def test_what_is_accepted_still_holds_to_the_namespace(kfdash, prom):
    # the widest asks carol may make, every chart of alice's
    charts = [c["name"] for c in call_as(kfdash, CAROL, "GET", "/api/charts").json()["charts"]]
    alices = {v for m, _ in prom('{namespace="alice"}') for v in m.values()}
    bobs_only = {v for m, _ in prom('{namespace="bob"}') for v in m.values()} - alices
    assert "nb2" in bobs_only
    for name in charts:
        body = chart(kfdash, CAROL, "alice", name, range="3600")
        assert 'namespace="alice"' in body["query"] and "bob" not in body["query"]
        for s in body["series"]:
            assert not set(s["labels"].values()) & bobs_only, (name, s["labels"])


# ---------------------------------------------------------------- Kubeflow's routes


def test_kubeflows_metrics_routes_answer_in_kubeflows_shapes(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/metrics")
    assert r.status_code == 200 and r.json() == {
        "resourceChartsLink": "https://grafana.example.com/d/kf",
        "resourceChartsLinkText": "View in dashboard"}
    for kind in ("podcpu", "podmem"):
        for user in (ALICE, ADMIN, STRANGER):
            r = call_as(kfdash, user, "GET", f"/api/metrics/{kind}", params={"interval": "Last5m"})
            assert r.status_code == 200 and isinstance(r.json(), list), (kind, user, r.text)
            for p in r.json():
                assert set(p) == {"timestamp", "label", "value"}
    r = call_as(kfdash, ADMIN, "GET", "/api/metrics/node")
    assert r.status_code == 200 and isinstance(r.json(), list), r.text
    r = call_as(kfdash, ALICE, "GET", "/api/metrics/other")
    assert r.status_code == 404 and r.json() == {"error": "no such API route"}


def test_without_prometheus_charts_say_so_and_kubeflow_gets_its_405(stack):
    k = gateway_kfdash(stack)
    try:
        assert call_as(k, ALICE, "GET", "/api/charts").json()["configured"] is False
        r = call_as(k, ALICE, "GET", "/api/namespaces/alice/charts/notebook-cpu")
        assert r.status_code == 503 and r.json() == {"error": "no Prometheus is configured (prometheus.url)"}
        r = call_as(k, ALICE, "GET", "/api/metrics")
        assert r.status_code == 405 and r.json() == {"error": "Operation not supported"}
    finally:
        k.stop()


# ---------------------------------------------------------------- quota


def kubectl_quota(stack, ns):
    """`kubectl describe quota` of ns: {resource: (used, hard)}."""
    r = subprocess.run([stack["KUBECTL"], "--kubeconfig", stack["KUBECONFIG"], "describe", "quota",
                        QUOTA, "-n", ns], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows, table = {}, False
    for line in r.stdout.splitlines():
        words = line.split()
        if words[:3] == ["Resource", "Used", "Hard"]:
            table = True
        elif table and len(words) == 3 and not set(words[0]) <= {"-"}:
            rows[words[0]] = (words[1], words[2])
    return rows


@pytest.fixture
def gpu_pod(admin):
    name = f"charts-{uuid.uuid4().hex[:6]}"
    r = admin.post("/api/v1/namespaces/alice/pods", json=pod(name, cpu="1500m", memory="3Gi", gpus=2))
    assert r.status_code == 201, r.text
    yield name
    delete_pod(admin, "alice", name)


def test_quota_bars_match_the_resourcequota_and_kubectl_describe(kfdash, admin, stack, gpu_pod):
    def status():
        q = admin.get(quota_path("alice")).json()["status"]
        return q if quantity(q["used"].get("requests.nvidia.com/gpu", "0")) >= 2 else None
    want = poll(status, "the quota controller counting the pod")
    r = call_as(kfdash, CAROL, "GET", "/api/namespaces/alice/quota")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["namespace"] == "alice"
    assert body["profile"] == {"hard": want["hard"]}  # the Profile's resourceQuotaSpec
    (q,) = body["quotas"]
    assert q["name"] == QUOTA
    got = {x["resource"]: x for x in q["resources"]}
    assert set(got) == set(want["hard"])
    described = kubectl_quota(stack, "alice")
    for resource, x in got.items():
        assert x["hard"] == want["hard"][resource] and x["used"] == want["used"].get(resource, "0")
        assert Decimal(str(x["hardValue"])) == quantity(x["hard"])
        assert abs(Decimal(str(x["usedValue"])) - quantity(x["used"])) < Decimal("0.0001")
        assert described[resource] == (x["used"], x["hard"]), (resource, described)
    assert got["requests.nvidia.com/gpu"]["usedValue"] >= 2 and got["cpu"]["usedValue"] >= 1.5


def test_the_quota_is_for_members_only(kfdash):
    assert call_as(kfdash, STRANGER, "GET", "/api/namespaces/alice/quota").status_code == 403
    assert call_as(kfdash, BOB, "GET", "/api/namespaces/carol/quota").status_code == 403
    r = call_as(kfdash, BOB, "GET", "/api/namespaces/bob/quota")  # no quota in bob
    assert r.status_code == 200 and r.json()["quotas"] == [] and r.json()["profile"] is None


def test_diagnostics_explains_a_pod_the_quota_refused(kfdash, admin):
    # What the API server says when a controller asks for a pod past the quota (5 GPUs of 4)...
    name = f"charts-big-{uuid.uuid4().hex[:6]}"
    r = admin.post("/api/v1/namespaces/alice/pods", json=pod(name, gpus=5))
    assert r.status_code == 403 and "exceeded quota: kf-resource-quota" in r.json()["message"], r.text
    refusal = r.json()["message"]
    # ...and the Warning event the StatefulSet controller writes about it (no controller runs here).
    sts = f"nbq-{uuid.uuid4().hex[:6]}"
    event = {"metadata": {"name": f"{sts}.{uuid.uuid4().hex[:8]}", "namespace": "alice"},
             "involvedObject": {"kind": "StatefulSet", "namespace": "alice", "name": sts,
                                "apiVersion": "apps/v1"},
             "reason": "FailedCreate", "type": "Warning", "count": 1,
             "message": f"create Pod {sts}-0 in StatefulSet {sts} failed error: {refusal}",
             "source": {"component": "statefulset-controller"},
             "firstTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    made = admin.post("/api/v1/namespaces/alice/events", json=event)
    assert made.status_code == 201, made.text
    try:
        body = call_as(kfdash, ALICE, "GET", "/api/diagnostics", timeout=60).json()
        found = [f for f in body["findings"] if f.get("object") == f"StatefulSet/{sts}"]
        assert len(found) == 1, body["findings"]
        f = found[0]
        assert f["severity"] == "error" and f["namespace"] == "alice"
        assert f["title"] == f"StatefulSet {sts}: a pod was refused by quota kf-resource-quota"
        assert "requests.nvidia.com/gpu" in f["detail"]
        assert "kubectl describe quota -n alice" in f["fix"] and "resourceQuotaSpec" in f["fix"]
        quota = [c for c in body["checks"] if c["name"] == "quota"]
        assert quota and quota[0]["ok"] is False, body["checks"]
        # someone without a role in alice is not told about alice's objects
        other = call_as(kfdash, STRANGER, "GET", "/api/diagnostics", timeout=60).json()
        assert not [f for f in other["findings"] if f.get("object") == f"StatefulSet/{sts}"]
    finally:
        admin.delete(f"/api/v1/namespaces/alice/events/{event['metadata']['name']}")
