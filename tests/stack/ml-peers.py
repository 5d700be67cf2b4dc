"""Real ML peers as local processes on loopback: MLflow (workspaces on), MLServer
serving a registered MLflow model, one jupyter_server per demo notebook and a
live PySpark application with its UI.

    ml-peers.py up      # (re)start everything, seed MLflow, write $STATE/ml.env
    ml-peers.py standin # then start kserve-standin.py (KServe's stand-in), once the seeded
                        # InferenceService has its status (stack.sh runs it after seed.py objects)
    ml-peers.py down    # stop everything started by `up` and `standin`

Run `up` with the python of the venv built from requirements-peers.txt (ml-up.sh
does that); `down` needs only the standard library. State lives in
${KFDASH_STACK_DIR:-~/.cache/kfdash/stack}/ml (wiped by `up`), URLs/ports/pids in
$STATE/ml.env. Every peer with metrics also gets a Prometheus target file
(prom_targets.py: $STATE/prometheus/targets/ml-*.json, removed by `down`). Knobs:
KFDASH_SPARK_MINUTES (how long the Spark app keeps running, default 60),
KFDASH_MLFLOW_ALLOWED_HOSTS (default 127.0.0.1:*,localhost:*).
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import prom_targets  # tests/stack/prom_targets.py, next to this script

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("KFDASH_STACK_DIR") or Path.home() / ".cache/kfdash/stack")
ML = STATE / "ml"
ENV_FILE = STATE / "ml.env"
NOTEBOOKS = [("alice", "nb1"), ("bob", "nb2")]
MODEL = "iris-classifier"
T0 = time.monotonic()


def say(msg):
    print(f"[ml {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_time(pid):
    """The kernel's start time of a process, so a recycled pid is never signalled."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def spawn(name, argv, env=None, cwd=None):
    """Start a peer in its own session (process group), logging to ml/logs/NAME.log."""
    log = open(ML / "logs" / f"{name}.log", "wb")
    proc = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, cwd=cwd or ML, start_new_session=True,
    )
    (ML / "pids" / f"{name}.pid").write_text(f"{proc.pid} {start_time(proc.pid)}\n")
    return proc


def wait_ready(peers, timeout=300):
    """Poll every peer's readiness URL at once until each answers 200; fail early
    if one exits. peers: list of (name, proc, url or callable giving it, start time)."""
    pending = list(peers)
    while pending:
        for peer in list(pending):
            name, proc, url, started = peer
            if proc.poll() is not None:
                sys.exit(f"{name} exited with {proc.returncode}; see {ML}/logs/{name}.log")
            if time.monotonic() - started > timeout:
                sys.exit(f"{name} not ready after {timeout}s; see {ML}/logs/{name}.log")
            url = url() if callable(url) else url
            if url is None:
                continue
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    ready = r.status == 200
            except OSError:  # not listening yet
                ready = False
            if ready:
                say(f"{name} ready: {url} (cold start {time.monotonic() - started:.1f}s)")
                pending.remove(peer)
        time.sleep(0.5)


def group_members(pgid):
    """Pids whose process group is pgid (a pgid is not reused while members live)."""
    members = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and int((d / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                members.append(int(d.name))
        except (OSError, IndexError, ValueError):
            pass
    return members


def kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:  # the group ended meanwhile
        pass


def down():
    """SIGTERM every recorded process group, wait up to 15s, then SIGKILL leftovers."""
    groups = {}
    for pidfile in sorted((ML / "pids").glob("*.pid")):
        pid, stamp = pidfile.read_text().split()
        leader = start_time(int(pid))
        # Each peer leads its own process group; skip it if the leader's pid now
        # belongs to some other process.
        if (leader is None or leader == stamp) and group_members(int(pid)):
            groups[pidfile.stem] = int(pid)
            kill_group(int(pid), signal.SIGTERM)
        pidfile.unlink()
    # Their Prometheus targets go with them (kserve-standin's too, should it be killed).
    prom_targets.clear("ml-")
    prom_targets.clear("kserve-")
    deadline = time.monotonic() + 15
    while groups:
        for name, pgid in list(groups.items()):
            if not group_members(pgid):
                say(f"stopped {name} (process group {pgid})")
                del groups[name]
            elif time.monotonic() > deadline:
                kill_group(pgid, signal.SIGKILL)
                say(f"killed {name} (process group {pgid}) after 15s")
        time.sleep(0.2)
    ENV_FILE.unlink(missing_ok=True)


def up():
    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "mlflow").exists():
        sys.exit("run `up` with the peers' venv python (see ml-up.sh)")
    if (ML / "pids").is_dir():
        down()
    shutil.rmtree(ML, ignore_errors=True)
    for d in ("logs", "pids", "artifacts", "models", "modelserver", "notebooks"):
        (ML / d).mkdir(parents=True)
    quiet = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    env = {}

    # a. MLflow tracking server + registry, workspaces on, artifacts proxied.
    port = free_port()
    mlflow_url = f"http://127.0.0.1:{port}"
    t_mlflow = time.monotonic()
    mlflow = spawn("mlflow", [
        str(venv_bin / "mlflow"), "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{ML}/mlflow.db",
        "--serve-artifacts", "--artifacts-destination", str(ML / "artifacts"),
        "--enable-workspaces",
        "--allowed-hosts", os.environ.get("KFDASH_MLFLOW_ALLOWED_HOSTS", "127.0.0.1:*,localhost:*"),
    ], env={**quiet, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})  # no huey job workers
    env.update(MLFLOW_URL=mlflow_url, MLFLOW_PORT=port, MLFLOW_PID=mlflow.pid)

    # d. One jupyter_server per notebook, under the Kubeflow URL prefix.
    jupyters, targets = [], []
    for ns, nb in NOTEBOOKS:
        home = ML / "notebooks" / ns / nb
        for d in ("work", "runtime", "data", "config", "ipython"):
            (home / d).mkdir(parents=True)
        jport, prefix = free_port(), f"/notebook/{ns}/{nb}/"
        name = f"jupyter-{ns}-{nb}"
        proc = spawn(name, [
            str(venv_bin / "jupyter-server"), "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={jport}", "--ServerApp.port_retries=0",
            f"--ServerApp.base_url={prefix}", f"--ServerApp.root_dir={home / 'work'}",
            "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.open_browser=False",
            # As Kubeflow's notebook images: any Origin/Host (it sits behind a proxy).
            # XSRF stays on: POSTs need the _xsrf cookie echoed as X-XSRFToken.
            "--ServerApp.allow_origin=*", "--ServerApp.allow_remote_access=True",
            "--ServerApp.default_url=/lab",  # the root opens JupyterLab, as in Kubeflow's images
            # <prefix>/metrics for Prometheus without a login. (With this stack's empty token
            # every request is logged in anyway; a notebook image with a token needs it.)
            "--ServerApp.authenticate_prometheus=False",
        ], env={
            "NB_PREFIX": prefix.rstrip("/"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_CONFIG_DIR": str(home / "config"),
            "IPYTHONDIR": str(home / "ipython"),
        }, cwd=home / "work")
        url = f"http://127.0.0.1:{jport}{prefix}"
        key = f"JUPYTER_{ns.upper()}_{nb.upper()}"
        env.update({f"{key}_URL": url, f"{key}_PORT": jport, f"{key}_PID": proc.pid})
        jupyters.append((name, proc, url + "api/status", time.monotonic()))
        targets.append((f"ml-{name}", prom_targets.notebook(ns, nb, f"127.0.0.1:{jport}", prefix)))

    # e. A PySpark app that keeps its live UI up.
    url_file = ML / "spark-app1.url"
    t_spark = time.monotonic()
    spark = spawn("spark-app1", [
        sys.executable, str(HERE / "ml-spark-job.py"), "app1", str(free_port()), str(url_file),
        os.environ.get("KFDASH_SPARK_MINUTES", "60"),
    ], env={"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable})

    def spark_jobs_url():
        return url_file.read_text().strip() + "/jobs/" if url_file.exists() else None

    wait_ready([("mlflow", mlflow, f"{mlflow_url}/health", t_mlflow), *jupyters,
                ("spark-app1", spark, spark_jobs_url, t_spark)])
    spark_url = url_file.read_text().strip()
    targets.append(("ml-spark-alice-app1",
                    prom_targets.spark_driver("alice", "app1", spark_url.removeprefix("http://"))))
    for name, groups in targets:  # every one of them answers by now
        prom_targets.write(name, groups)
    env.update(SPARK_UI_URL=spark_url, SPARK_UI_PORT=spark_url.rsplit(":", 1)[1],
               SPARK_PID=spark.pid, SPARK_APP_NAME="app1", SPARK_NAMESPACE="alice")

    # b. Seed MLflow.
    t = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(HERE / "ml-train.py"), mlflow_url, str(ML / "models" / MODEL / "1")],
        env={**os.environ, **quiet}, check=True, stdout=subprocess.PIPE,
        stderr=open(ML / "logs" / "train.log", "wb"),
    )
    seed = json.loads(out.stdout.decode().strip().splitlines()[-1])
    say(f"seeded MLflow: workspaces alice, bob; experiment iris in alice; "
        f"{MODEL} v1 ({time.monotonic() - t:.1f}s)")
    env.update(
        MLFLOW_WORKSPACES="alice bob", MLFLOW_MODEL_WORKSPACE="alice", MLFLOW_EXPERIMENT="iris",
        MLFLOW_RUN_IDS=" ".join(seed["run_ids"]), MLFLOW_MODEL_NAME=MODEL, MLFLOW_MODEL_VERSION=1,
        MLFLOW_MODEL_SOURCE=seed["model_source"], MLFLOW_MODEL_ARTIFACT_URI=seed["artifact_uri"],
        MODEL_DIR=seed["model_dir"],
    )

    # c. MLServer + MLflow runtime serving the downloaded model version (V2 protocol).
    mdir = ML / "modelserver" / MODEL
    mdir.mkdir()
    (mdir / "model-settings.json").write_text(json.dumps({
        "name": MODEL, "implementation": "mlserver_mlflow.MLflowRuntime",
        "parameters": {"uri": seed["model_dir"], "version": "1"},
    }, indent=2))
    hport, gport, mport = free_port(), free_port(), free_port()
    t_ms = time.monotonic()
    ms = spawn("modelserver", [str(venv_bin / "mlserver"), "start", str(ML / "modelserver")], env={
        **quiet, "MLSERVER_HOST": "127.0.0.1", "MLSERVER_HTTP_PORT": str(hport),
        "MLSERVER_GRPC_PORT": str(gport),
        # MLServer's own Prometheus metrics (settings metrics_port, metrics_endpoint): per-model
        # model_infer_request_{success,failure}_total and _duration, rest_server_requests_total,
        # and, with no worker pool, the server process's process_* metrics.
        "MLSERVER_METRICS_PORT": str(mport), "MLSERVER_METRICS_ENDPOINT": "/metrics",
        "MLSERVER_PARALLEL_WORKERS": "0",  # infer in the server process: no worker pool
    }, cwd=ML / "modelserver")
    ms_url = f"http://127.0.0.1:{hport}"
    env.update(MODEL_SERVER_URL=ms_url, MODEL_SERVER_PORT=hport, MODEL_SERVER_GRPC_PORT=gport,
               MODEL_SERVER_METRICS_PORT=mport, MODEL_SERVER_PID=ms.pid, MODEL_SERVER_MODEL=MODEL)

    wait_ready([("modelserver", ms, f"{ms_url}/v2/models/{MODEL}/ready", t_ms)])
    env["MODEL_SERVER_METRICS_URL"] = f"http://127.0.0.1:{mport}/metrics"
    prom_targets.write(f"ml-modelserver-alice-{MODEL}",
                       prom_targets.model_server("alice", MODEL, f"127.0.0.1:{mport}"))

    # What cluster DNS would resolve: kfdash --connect-to sends each in-cluster address it
    # builds from its URL templates to the local peer standing in for that Service.
    env["KFDASH_CONNECT_TO"] = ",".join(
        [f"{nb}.{ns}.svc.cluster.local:80:127.0.0.1:{env[f'JUPYTER_{ns.upper()}_{nb.upper()}_PORT']}"
         for ns, nb in NOTEBOOKS]
        + [f"app1-ui-svc.alice.svc.cluster.local:4040:127.0.0.1:{env['SPARK_UI_PORT']}",
           # The cluster address seed.py records for the InferenceService of this model server.
           f"{MODEL}-predictor.alice.svc.cluster.local:80:127.0.0.1:{hport}"])
    env["ML_STATE_DIR"] = ML
    ENV_FILE.write_text("".join(f"{k}={shlex.quote(str(v))}\n" for k, v in sorted(env.items())))
    say(f"all ML peers up; wrote {ENV_FILE}")


def standin():
    """Starts kserve-standin.py as one more peer (its pid recorded, stopped by `down` with the
    model servers it started) and waits for its first list of InferenceServices."""
    if not ENV_FILE.exists():
        sys.exit(f"no {ENV_FILE}: run `up` first")
    ready = ML / "kserve" / "ready"
    ready.unlink(missing_ok=True)
    old = ML / "pids" / "kserve-standin.pid"
    if old.exists():  # started before: stop that one first
        pid, stamp = old.read_text().split()
        if start_time(int(pid)) == stamp:
            kill_group(int(pid), signal.SIGTERM)
            deadline = time.monotonic() + 15
            while group_members(int(pid)) and time.monotonic() < deadline:
                time.sleep(0.2)
            kill_group(int(pid), signal.SIGKILL)
        old.unlink()
    t = time.monotonic()
    proc = spawn("kserve-standin", [sys.executable, str(HERE / "kserve-standin.py")],
                 env={"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"})
    while not ready.exists():
        if proc.poll() is not None:
            sys.exit(f"kserve-standin exited with {proc.returncode}; see {ML}/logs/kserve-standin.log")
        if time.monotonic() - t > 120:
            sys.exit(f"kserve-standin did not list InferenceServices in 120s; see {ML}/logs/kserve-standin.log")
        time.sleep(0.2)
    lines = [line for line in ENV_FILE.read_text().splitlines() if not line.startswith("KSERVE_STANDIN_")]
    ENV_FILE.write_text("".join(f"{line}\n" for line in lines) + f"KSERVE_STANDIN_PID={proc.pid}\n")
    say(f"kserve-standin up ({time.monotonic() - t:.1f}s): InferenceServices with an MLflow model "
        f"get a model server; log {ML}/logs/kserve-standin.log")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "up":
        try:
            up()
        except BaseException:
            say(f"up failed; stopping what started (logs in {ML}/logs)")
            down()
            raise
    elif cmd == "standin":
        standin()
    elif cmd == "down":
        down()
    else:
        sys.exit(__doc__)
