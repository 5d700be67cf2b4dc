"""The stack's Prometheus targets: file_sd files whose labels are what Kubernetes service
discovery and the usual relabelling would give the pods these local processes stand in for.

    prom_targets.py kfdash HOST:PORT   # (re)write the target of kfdash on HOST:PORT (stack.sh)
    prom_targets.py clear              # remove every target file (stack.sh down)

ml-peers.py and kserve-standin.py import it: each peer that serves metrics gets one file,
$KFDASH_STACK_DIR/prometheus/targets/<name>.json, written when the peer is ready and removed
when it stops; Prometheus (scrape config `kubernetes-pods`, file_sd on targets/*.json) picks the
change up within seconds.

The label scheme (also in tests/stack/README.md): every target carries
  namespace, pod, container, service   as a pod role + the usual relabelling give them
                                       (__meta_kubernetes_namespace, _pod_name,
                                       _pod_container_name, and the Service in front of the pod)
  endpoint                             the scraped port's name (Prometheus Operator style)
and the pod labels its controller sets, through `labelmap: __meta_kubernetes_pod_label_(.+)`:
  InferenceService  serving_kserve_io_inferenceservice=<isvc>, component=predictor
  Notebook          notebook_name=<notebook>
  SparkApplication  sparkoperator_k8s_io_app_name=<app>, spark_role=driver
  kfdash            app_kubernetes_io_name=kfdash, app_kubernetes_io_component=dashboard
`job` is the scrape config's (`kubernetes-pods`), `instance` the local address. Standard library
only: kserve-standin.py runs it from the peers' venv, stack.sh from the system python.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

STATE = Path(os.environ.get("KFDASH_STACK_DIR") or Path.home() / ".cache/kfdash/stack")
TARGETS = STATE / "prometheus" / "targets"
# Scrape interval of the stack's Prometheus (stack.sh writes it into prometheus.yml).
SCRAPE_INTERVAL_S = 5


def _suffix(*parts, n=10):
    """A stable stand-in for the hash Kubernetes puts in generated names (ReplicaSet, pod)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def _group(address, metrics_path, labels):
    return {"targets": [address], "labels": {"__metrics_path__": metrics_path, **labels}}


def model_server(ns, isvc, address, metrics_path="/metrics"):
    """An InferenceService's predictor pod (KServe raw deployment: Deployment
    <isvc>-predictor, Service <isvc>-predictor, container kserve-container), MLServer's
    metrics port."""
    pod = f"{isvc}-predictor-{_suffix(ns, isvc)}-{_suffix(ns, isvc, 'pod', n=5)}"
    return [_group(address, metrics_path, {
        "namespace": ns, "pod": pod, "container": "kserve-container",
        "service": f"{isvc}-predictor", "endpoint": "metrics",
        "serving_kserve_io_inferenceservice": isvc, "component": "predictor"})]


def notebook(ns, name, address, prefix):
    """A Notebook's pod (StatefulSet <name>, pod <name>-0, container and Service <name>):
    jupyter_server's /metrics under the notebook's URL prefix."""
    return [_group(address, prefix.rstrip("/") + "/metrics", {
        "namespace": ns, "pod": f"{name}-0", "container": name, "service": name,
        "endpoint": "notebook-port", "notebook_name": name})]


def spark_driver(ns, app, address):
    """A SparkApplication's driver pod (<app>-driver, container spark-kubernetes-driver, UI
    Service <app>-ui-svc): the PrometheusServlet sink and the executors' summary, both on the
    UI port, told apart by `endpoint`."""
    labels = {"namespace": ns, "pod": f"{app}-driver", "container": "spark-kubernetes-driver",
              "service": f"{app}-ui-svc", "sparkoperator_k8s_io_app_name": app,
              "spark_role": "driver"}
    # The servlet answers /metrics/prometheus with a redirect to the same path with a slash.
    return [_group(address, "/metrics/prometheus/", {**labels, "endpoint": "spark-ui"}),
            _group(address, "/metrics/executors/prometheus",
                   {**labels, "endpoint": "spark-ui-executors"})]


def kfdash(address, ns="kubeflow"):
    """kfdash's own pod (Deployment and Service kfdash, packaging/kustomize/base)."""
    pod = f"kfdash-{_suffix(ns, 'kfdash')}-{_suffix(ns, 'kfdash', 'pod', n=5)}"
    return [_group(address, "/metrics", {
        "namespace": ns, "pod": pod, "container": "kfdash", "service": "kfdash",
        "endpoint": "http", "app_kubernetes_io_name": "kfdash",
        "app_kubernetes_io_component": "dashboard"})]


def write(name, groups):
    """targets/NAME.json, replaced atomically (Prometheus never reads half a file)."""
    TARGETS.mkdir(parents=True, exist_ok=True)
    tmp = TARGETS / f".{name}.json.tmp"
    tmp.write_text(json.dumps(groups, indent=1) + "\n")
    os.replace(tmp, TARGETS / f"{name}.json")


def remove(name):
    (TARGETS / f"{name}.json").unlink(missing_ok=True)


def clear(prefix=""):
    """Removes targets/<prefix>*.json."""
    if TARGETS.is_dir():
        for f in TARGETS.glob(f"{prefix}*.json"):
            f.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "kfdash":
        write("kfdash", kfdash(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "clear":
        clear()
    else:
        sys.exit(__doc__)
