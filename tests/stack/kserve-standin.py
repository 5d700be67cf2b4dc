"""Stands in for KServe's controller on the local stack: every InferenceService that asks for an
MLflow model gets a real MLServer serving it, and the status KServe would write.

    kserve-standin.py        # run by `ml-peers.py standin` (stack.sh), with the peers' venv python

The stack has no Kubernetes nodes, no Knative and no cluster DNS, so this script does what
KServe's controller and its model server pods would do, with local processes:

- It lists and watches InferenceServices in every namespace (the admin's client certificate:
  KFDASH_APISERVER, KFDASH_STACK_CA, KFDASH_STACK_ADMIN_CERT/_KEY, as seed.py).
- For one with spec.predictor.model.modelFormat.name `mlflow` and a storageUri the stack's
  MLflow can resolve (`mlflow-artifacts:/...`, what model-versions/get-download-uri answers, or
  `models:/<name>/<version>`), it downloads the model directory with the mlflow client (tracking
  URI: MLFLOW_URL of ml.env; workspace: the InferenceService's namespace) and starts MLServer
  with its MLflow runtime on a free port, the model named after the InferenceService (as KServe
  names it). Once MLServer says the model is ready it writes the status KServe writes: url
  http://<name>.<ns>.example.com (the external URL users hand out), conditions IngressReady,
  PredictorReady and Ready, components.predictor with its revision and traffic, modelStatus
  (UpToDate, Loaded).
- address.url, the cluster address, is http://127.0.0.1:<port>: with no cluster DNS, the honest
  address of the local model server (KServe would write
  http://<name>-predictor.<ns>.svc.cluster.local).
- A model it cannot serve (another format, a URI it cannot read, a download or load that fails,
  MLServer exiting) gets Ready False and modelStatus.lastFailureInfo {reason, message}, as KServe
  records a failed load.
- A changed spec (a new metadata.generation) restarts the model server; a deleted
  InferenceService stops it. The MLServer processes stay in this script's process group, so
  `ml-peers.py down` (which signals the group) stops them with it.
- An InferenceService that is already Ready at an address that is not this script's (the one
  seed.py records for the model server ml-peers.py starts) is left alone.
- Each model server's metrics port (MLServer's metrics_port, /metrics) is a Prometheus target
  while it serves: prom_targets.py's file $KFDASH_STACK_DIR/prometheus/targets/kserve-<ns>-<name>.json,
  labelled as the predictor pod KServe would run (namespace, pod, container, service,
  serving_kserve_io_inferenceservice), written once the model is ready, removed when the server
  stops.

State: $KFDASH_STACK_DIR/ml/kserve/<ns>/<name>/ (model and model-settings.json), logs in
$KFDASH_STACK_DIR/ml/logs/kserve-<ns>-<name>.log; $KFDASH_STACK_DIR/ml/kserve/ready appears
once the first list is done.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

import prom_targets  # tests/stack/prom_targets.py, next to this script

STATE = Path(os.environ.get("KFDASH_STACK_DIR") or Path.home() / ".cache/kfdash/stack")
ML = STATE / "ml"
WORK = ML / "kserve"
ISVCS = "/apis/serving.kserve.io/v1beta1"
READY_TIMEOUT_S = 300
VENV_BIN = Path(sys.executable).parent
T0 = time.monotonic()


def say(msg):
    print(f"[kserve {time.monotonic() - T0:7.1f}s] {msg}", flush=True)


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def ml_env():
    env = {}
    path = STATE / "ml.env"
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.removeprefix("export ").split("=", 1)
                env[k] = v.strip("'\"")
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_session():
    s = requests.Session()
    s.trust_env = False
    s.verify = os.environ["KFDASH_STACK_CA"]
    s.cert = (os.environ["KFDASH_STACK_ADMIN_CERT"], os.environ["KFDASH_STACK_ADMIN_KEY"])
    s.headers["User-Agent"] = "kfdash-stack-kserve-standin"
    return s


def loopback(url):
    return url.startswith(("http://127.0.0.1:", "http://localhost:"))


class Endpoint:
    """One InferenceService this script serves: its MLServer, while it runs."""

    def __init__(self, ns, name, generation):
        self.ns, self.name, self.generation = ns, name, generation
        self.proc = None
        self.port = None
        self.metrics_port = None

    @property
    def key(self):
        return f"{self.ns}/{self.name}"

    @property
    def target(self):
        return f"kserve-{self.ns}-{self.name}"

    def stop(self):
        prom_targets.remove(self.target)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            say(f"{self.key}: stopped its model server (port {self.port})")
        self.proc = None


class StandIn:
    def __init__(self):
        self.base = os.environ["KFDASH_APISERVER"].rstrip("/")
        self.api = api_session()
        self.mlflow_url = os.environ.get("MLFLOW_URL") or ml_env().get("MLFLOW_URL", "")
        self.endpoints = {}  # ns/name -> Endpoint (worker thread only)
        self.foreign = {}  # ns/name -> generation left alone (served by another peer)
        self.work = queue.Queue()
        self.http = requests.Session()
        self.http.trust_env = False

    # -- the API server ---------------------------------------------------------------------

    def write_status(self, ns, name, status):
        r = self.api.patch(f"{self.base}{ISVCS}/namespaces/{ns}/inferenceservices/{name}/status",
                           data=json.dumps({"status": status}), timeout=30,
                           headers={"Content-Type": "application/merge-patch+json"})
        if r.status_code == 404:
            return False  # deleted meanwhile
        if r.status_code >= 400:
            say(f"{ns}/{name}: status not written: HTTP {r.status_code} {r.text[:300]}")
        return r.status_code < 400

    def watch(self):
        """List, then watch from the list's resourceVersion; relist when the watch expires."""
        first = True
        while True:
            try:
                r = self.api.get(f"{self.base}{ISVCS}/inferenceservices", timeout=60)
                r.raise_for_status()
                listing = r.json()
                for item in listing.get("items", []):
                    self.work.put(("apply", item))
                if first:
                    self.work.put(("listed", None))
                    first = False
                version = listing["metadata"]["resourceVersion"]
                while version:
                    version = self.watch_from(version)
            except (requests.RequestException, ValueError, KeyError) as e:
                say(f"watch: {e}; listing again in 2s")
                time.sleep(2)

    def watch_from(self, version):
        """One watch request; the version to go on from, or None to list again."""
        with self.api.get(f"{self.base}{ISVCS}/inferenceservices", stream=True, timeout=(10, 330),
                          params={"watch": "1", "resourceVersion": version,
                                  "allowWatchBookmarks": "true", "timeoutSeconds": "300"}) as r:
            if r.status_code == 410:
                return None
            r.raise_for_status()
            for line in r.iter_lines():
                if not line:
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object", {})
                if kind == "ERROR":
                    return None  # 410 Gone inside the stream: list again
                version = obj.get("metadata", {}).get("resourceVersion", version)
                if kind in ("ADDED", "MODIFIED"):
                    self.work.put(("apply", obj))
                elif kind == "DELETED":
                    self.work.put(("delete", obj))
        return version

    # -- the worker: one InferenceService at a time --------------------------------------------

    def run(self):
        threading.Thread(target=self.watch, daemon=True).start()
        while True:
            what, obj = self.work.get()
            try:
                if what == "listed":
                    WORK.mkdir(parents=True, exist_ok=True)
                    (WORK / "ready").write_text(f"{os.getpid()}\n")
                    say("first list done; watching")
                elif what == "delete":
                    self.delete(obj)
                else:
                    self.apply(obj)
            except Exception as e:  # keep serving the others
                say(f"{what}: {type(e).__name__}: {e}")

    def delete(self, obj):
        meta = obj["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        self.foreign.pop(key, None)
        ep = self.endpoints.pop(key, None)
        if ep:
            ep.stop()
            shutil.rmtree(WORK / ep.ns / ep.name, ignore_errors=True)
            say(f"{key}: deleted")

    def apply(self, obj):
        meta, status = obj["metadata"], obj.get("status") or {}
        ns, name, generation = meta["namespace"], meta["name"], meta.get("generation", 1)
        key = f"{ns}/{name}"
        if meta.get("deletionTimestamp"):
            return self.delete(obj)
        ep = self.endpoints.get(key)
        if ep and ep.generation == generation:
            return  # our own status write, or nothing new
        if not ep:
            if self.foreign.get(key) == generation:
                return
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in status.get("conditions") or [])
            address = (status.get("address") or {}).get("url", "")
            if ready and address and not loopback(address):
                self.foreign[key] = generation
                say(f"{key}: Ready at {address}, served by another peer: left alone")
                return
        if ep:
            say(f"{key}: spec changed (generation {ep.generation} -> {generation}): restarting")
            ep.stop()
        ep = self.endpoints[key] = Endpoint(ns, name, generation)
        self.serve(ep, obj)

    # -- serving ------------------------------------------------------------------------------

    def fail(self, ep, reason, message, transition="BlockedByFailedLoad"):
        say(f"{ep.key}: {reason}: {message}")
        ep.stop()
        condition = {"status": "False", "reason": reason, "message": message,
                     "lastTransitionTime": now()}
        self.write_status(ep.ns, ep.name, {
            "observedGeneration": ep.generation, "url": None, "address": None, "components": None,
            "conditions": [{"type": "PredictorReady", **condition}, {"type": "Ready", **condition}],
            "modelStatus": {"transitionStatus": transition,
                            "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
                            "lastFailureInfo": {"location": "kserve-standin", "reason": reason,
                                                "message": message, "time": now(),
                                                "modelRevisionName": f"{ep.name}-predictor-00001"}},
        })

    def loading(self, ep):
        condition = {"status": "Unknown", "reason": "ModelLoading",
                     "message": "the model server is starting", "lastTransitionTime": now()}
        self.write_status(ep.ns, ep.name, {
            "observedGeneration": ep.generation, "url": None, "address": None, "components": None,
            "conditions": [{"type": "PredictorReady", **condition}, {"type": "Ready", **condition}],
            "modelStatus": {"transitionStatus": "InProgress", "lastFailureInfo": None,
                            "states": {"activeModelState": "", "targetModelState": "Loading"}},
        })

    def download(self, ep, uri, dest):
        import mlflow  # slow to import: only once there is something to serve

        mlflow.set_tracking_uri(self.mlflow_url)
        mlflow.set_workspace(ep.ns)
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        return mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(dest))

    def serve(self, ep, obj):
        model = ((obj.get("spec") or {}).get("predictor") or {}).get("model") or {}
        fmt = model.get("modelFormat")
        fmt = fmt.get("name", "") if isinstance(fmt, dict) else str(fmt or "")
        uri = model.get("storageUri") or ""
        if fmt != "mlflow":
            return self.fail(ep, "NoSupportingRuntime",
                             f"no serving runtime supports model format '{fmt}' here: the stack "
                             "serves only mlflow models", transition="InvalidSpec")
        if not uri.startswith(("mlflow-artifacts:/", "models:/")):
            return self.fail(ep, "ModelLoadFailed",
                             f"cannot fetch the model from '{uri}': the stack reads only "
                             "mlflow-artifacts:/ and models:/ URIs from its MLflow")
        self.loading(ep)
        home = WORK / ep.ns / ep.name
        t = time.monotonic()
        try:
            path = self.download(ep, uri, home / "model")
        except Exception as e:
            return self.fail(ep, "ModelLoadFailed", f"cannot download {uri}: {str(e)[:400]}")
        if not (Path(path) / "MLmodel").exists():
            return self.fail(ep, "ModelLoadFailed", f"{uri} holds no MLflow model (no MLmodel file)")
        say(f"{ep.key}: downloaded {uri} in {time.monotonic() - t:.1f}s")
        repo = home / "server"
        shutil.rmtree(repo, ignore_errors=True)
        (repo / ep.name).mkdir(parents=True)
        (repo / ep.name / "model-settings.json").write_text(json.dumps({
            "name": ep.name, "implementation": "mlserver_mlflow.MLflowRuntime",
            "parameters": {"uri": str(path)}}, indent=2))
        ep.port, ep.metrics_port = free_port(), free_port()
        log_path = ML / "logs" / f"kserve-{ep.ns}-{ep.name}.log"
        # Same process group as this script: stopping the group stops every model server.
        ep.proc = subprocess.Popen(
            [str(VENV_BIN / "mlserver"), "start", str(repo)], cwd=repo,
            stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                 "MLSERVER_HOST": "127.0.0.1", "MLSERVER_HTTP_PORT": str(ep.port),
                 "MLSERVER_GRPC_PORT": str(free_port()), "MLSERVER_METRICS_PORT": str(ep.metrics_port),
                 "MLSERVER_METRICS_ENDPOINT": "/metrics", "MLSERVER_PARALLEL_WORKERS": "0"})
        ready_url = f"http://127.0.0.1:{ep.port}/v2/models/{ep.name}/ready"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if ep.proc.poll() is not None:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                return self.fail(ep, "ModelLoadFailed",
                                 f"the model server exited with {ep.proc.returncode}: "
                                 + " | ".join(tail)[-400:])
            if time.monotonic() > deadline:
                return self.fail(ep, "ModelLoadFailed",
                                 f"the model was not ready after {READY_TIMEOUT_S}s")
            try:
                if self.http.get(ready_url, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        say(f"{ep.key}: serving on 127.0.0.1:{ep.port} "
            f"(ready {time.monotonic() - t:.1f}s after the download started)")
        revision = f"{ep.name}-predictor-00001"
        address = f"http://127.0.0.1:{ep.port}"
        ok = [{"type": c, "status": "True", "lastTransitionTime": now()}
              for c in ("IngressReady", "PredictorReady", "Ready")]
        written = self.write_status(ep.ns, ep.name, {
            "observedGeneration": ep.generation,
            "url": f"http://{ep.name}.{ep.ns}.example.com",
            "address": {"url": address},
            "conditions": ok,
            "components": {"predictor": {
                "url": f"http://{ep.name}-predictor.{ep.ns}.example.com",
                "address": {"url": address},
                "latestCreatedRevision": revision, "latestReadyRevision": revision,
                "traffic": [{"revisionName": revision, "percent": 100, "latestRevision": True}]}},
            "modelStatus": {"transitionStatus": "UpToDate", "lastFailureInfo": None,
                            "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
                            "copies": {"failedCopies": 0, "totalCopies": 1}},
        })
        if not written:
            ep.stop()
            return
        prom_targets.write(ep.target, prom_targets.model_server(
            ep.ns, ep.name, f"127.0.0.1:{ep.metrics_port}"))


def main():
    standin = StandIn()

    def stop(signum, frame):
        for ep in list(standin.endpoints.values()):
            ep.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    shutil.rmtree(WORK, ignore_errors=True)
    prom_targets.clear("kserve-")  # a previous run's servers are gone
    say(f"apiserver {standin.base}, MLflow {standin.mlflow_url or '(none)'}")
    standin.run()


if __name__ == "__main__":
    main()
