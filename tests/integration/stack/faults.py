"""Helpers of the fault tests (test_fault_*.py): peers a test starts and kills itself, a peer of
the stack frozen for a while, latency figures, what the kernel says about a process.

A fault that stops a peer other tests use (the API server, Dex) always undoes itself (SIGCONT,
or a restart exactly as the stack's scripts started it) before the test ends. Peers a fault kills
outright (MLflow, a jupyter_server, the model server) are private copies started here from the
stack's own venv and programs, so the shared ones never go down.
"""
import base64
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

from conftest import ROOT, plain_session, until  # noqa: F401 - until: the fault tests' own
import kfdash_process
from kfdash_process import free_port

PEERS_REQUIREMENTS = ROOT / "tests" / "stack" / "requirements-peers.txt"
# An internal address in an answer: the API server's, a peer's, a cluster Service's.
INTERNAL = re.compile(r"127\.0\.0\.1|localhost|\[::1\]|svc\.cluster\.local|https?://", re.I)


def say(text):
    """A figure for the report: shown with -s, and in the captured output of a failure."""
    print(f"[faults] {text}", flush=True)


# ---------------------------------------------------------------- figures


def percentile(values, p):
    """The p-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(p / 100 * len(ordered))) - 1)]


def timed_gets(url, n, headers=None, timeout=10):
    """n sequential GETs of url on one keep-alive connection: [(status, seconds)]."""
    s = plain_session()
    out = []
    try:
        for _ in range(n):
            t0 = time.monotonic()
            try:
                status = s.get(url, headers=headers, timeout=timeout).status_code
            except requests.RequestException:
                status = 0
            out.append((status, time.monotonic() - t0))
    finally:
        s.close()
    return out


def summary(samples):
    """{'n', 'ok', 'p50_ms', 'p99_ms', 'max_ms'} of [(status, seconds)]."""
    took = [t for _, t in samples]
    return {"n": len(samples), "ok": sum(1 for s, _ in samples if s == 200),
            "p50_ms": round(percentile(took, 50) * 1000, 1),
            "p99_ms": round(percentile(took, 99) * 1000, 1),
            "max_ms": round(max(took, default=0) * 1000, 1)}


def rss_kib(pid):
    """Resident set size of a process, in KiB."""
    m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(m[1])


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def raise_fd_limit(want):
    """Raises this process's soft RLIMIT_NOFILE towards want (children inherit it); the limit
    in force after."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def no_internal_address(text):
    """The text of an answer users see names no internal address."""
    assert not INTERNAL.search(text), f"an internal address in the answer: {text[:300]!r}"


def sanitized():
    """Whether the kfdash under test is built with AddressSanitizer (make test runs both)."""
    ldd = subprocess.run(["ldd", kfdash_process.BIN], capture_output=True, text=True)
    return "libasan" in ldd.stdout


def fail_if_wrong(what, wrong):
    """Fails listing everything in `wrong` (what a test found wrong while it went on checking
    the rest), if anything is."""
    if wrong:
        raise AssertionError(f"{what}:\n  " + "\n  ".join(wrong))


# ---------------------------------------------------------------- peers of the stack


def stack_pid(stack, name):
    """The pid of a peer k8s-up.sh started (run/<name>.pid), checked to be that program."""
    pid = int((Path(stack["KFDASH_STACK_DIR"]) / "run" / f"{name}.pid").read_text())
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert name.encode() in cmdline, f"pid {pid} of {name} is {cmdline[:120]!r}"
    return pid


@contextlib.contextmanager
def frozen(pid):
    """The process stopped (SIGSTOP) for the duration: its sockets stay open and the kernel
    keeps accepting connections for it, but nothing answers. Always resumed after."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def process_spec(pid):
    """(argv, environment, cwd) of a running process, to start it again the same way."""
    proc = Path(f"/proc/{pid}")
    argv = [a.decode() for a in proc.joinpath("cmdline").read_bytes().rstrip(b"\0").split(b"\0")]
    env = dict(item.decode().split("=", 1) for item in
               proc.joinpath("environ").read_bytes().rstrip(b"\0").split(b"\0") if b"=" in item)
    return argv, env, os.readlink(proc / "cwd")


@contextlib.contextmanager
def stack_peer_down(stack, name, ready):
    """The stack's peer `name` (run/<name>.pid) stopped with SIGTERM for the duration, then
    started again exactly as k8s-up.sh started it (argv, environment, working directory, its
    log appended, its pid file rewritten) and waited for with ready() (up to 60 s)."""
    state = Path(stack["KFDASH_STACK_DIR"])
    pid = stack_pid(stack, name)
    argv, env, cwd = process_spec(pid)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)
    try:
        yield
    finally:
        with open(state / "logs" / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    env=env, cwd=cwd, start_new_session=True)
        (state / "run" / f"{name}.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + 60
        while not ready():
            assert proc.poll() is None, f"{name} exited {proc.returncode} on restart"
            assert time.monotonic() < deadline, f"{name} not ready 60 s after its restart"
            time.sleep(0.2)


def etcd_delete(stack, key):
    """Deletes one key in the stack's etcd through its JSON gateway (v3 API): an object removed
    behind the API server's back, as another API server of the cluster would. True if it was
    there."""
    b64 = base64.b64encode(key.encode()).decode()
    r = plain_session().post(stack["KFDASH_ETCD"] + "/v3/kv/deleterange", json={"key": b64},
                             timeout=10)
    r.raise_for_status()
    return int(r.json().get("deleted", "0")) == 1


# ---------------------------------------------------------------- private peers


def peers_python():
    """The python of the stack's peers venv (built by the stack; cached)."""
    out = subprocess.run([str(ROOT / "tools" / "venv.sh"), str(PEERS_REQUIREMENTS)],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def tree_pids(root_pid):
    """root_pid and every descendant (by parent pid), deepest last."""
    children = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int(d.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


class Peer:
    """A peer program this test owns: started in a session of its own, logging to a file,
    killed (with every descendant: a kernel, a worker) and started again with the same argv,
    environment and port."""

    def __init__(self, name, argv, ready_url, env=None, cwd=None, ready_timeout=120):
        self.name, self.argv, self.ready_url = name, [str(a) for a in argv], ready_url
        self.env = {**os.environ, **(env or {})}
        self.cwd = str(cwd) if cwd else None
        self.ready_timeout = ready_timeout
        self.log_path = Path(tempfile.mkdtemp(prefix=f"kfdash-fault-{name}-")) / f"{name}.log"
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                                     start_new_session=True)
        log.close()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while True:
            assert self.proc.poll() is None, f"{self.name} exited {self.proc.returncode}: {self.log()}"
            try:
                if plain_session().get(self.ready_url, timeout=3).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"{self.name} not ready: {self.log()}"
            time.sleep(0.2)

    def log(self):
        return self.log_path.read_text(errors="replace")[-3000:]

    def signal(self, sig):
        """Sends sig to the peer and every process below it."""
        for pid in tree_pids(self.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def kill(self):
        """SIGKILL, as a crash or the OOM killer would: no goodbye on any socket."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pids = tree_pids(self.proc.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        for pid in pids[1:]:  # children re-parented elsewhere: gone once /proc says so
            deadline = time.monotonic() + 10
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    def restart(self):
        self.kill()
        return self.start().wait_ready()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.kill()


def private_mlflow(python, state):
    """An MLflow tracking server with workspaces, as ml-peers.py starts the stack's."""
    port = free_port()
    state = Path(state)
    (state / "artifacts").mkdir(parents=True, exist_ok=True)
    return Peer("mlflow", [
        python.parent / "mlflow", "server", "--host", "127.0.0.1", "--port", port, "--workers", "1",
        "--backend-store-uri", f"sqlite:///{state}/mlflow.db",
        "--serve-artifacts", "--artifacts-destination", state / "artifacts",
        "--enable-workspaces", "--allowed-hosts", "127.0.0.1:*,localhost:*",
    ], f"http://127.0.0.1:{port}/health", env={
        "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}, cwd=state), port


def private_jupyter(python, state, ns, name):
    """A jupyter_server for notebook ns/name under Kubeflow's prefix, as ml-peers.py starts
    the stack's."""
    home = Path(state) / ns / name
    for d in ("work", "runtime", "data", "config", "ipython"):
        (home / d).mkdir(parents=True, exist_ok=True)
    port, prefix = free_port(), f"/notebook/{ns}/{name}/"
    return Peer(f"jupyter-{ns}-{name}", [
        python.parent / "jupyter-server", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.base_url={prefix}", f"--ServerApp.root_dir={home / 'work'}",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.open_browser=False",
        "--ServerApp.allow_origin=*", "--ServerApp.allow_remote_access=True",
    ], f"http://127.0.0.1:{port}{prefix}api/status", env={
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"), "IPYTHONDIR": str(home / "ipython")},
        cwd=home / "work"), port


def private_model_server(python, state, stack):
    """MLServer serving the stack's iris-classifier model (V2), as ml-peers.py starts the
    stack's."""
    model = stack["MODEL_SERVER_MODEL"]
    mdir = Path(state) / "modelserver" / model
    mdir.mkdir(parents=True, exist_ok=True)
    (mdir / "model-settings.json").write_text(json.dumps({
        "name": model, "implementation": "mlserver_mlflow.MLflowRuntime",
        "parameters": {"uri": stack["MODEL_DIR"], "version": "1"}}))
    hport, gport, mport = free_port(), free_port(), free_port()
    return Peer("modelserver", [python.parent / "mlserver", "start", mdir.parent], (
        f"http://127.0.0.1:{hport}/v2/models/{model}/ready"), env={
        "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLSERVER_HOST": "127.0.0.1",
        "MLSERVER_HTTP_PORT": str(hport), "MLSERVER_GRPC_PORT": str(gport),
        "MLSERVER_METRICS_PORT": str(mport), "MLSERVER_PARALLEL_WORKERS": "0"},
        cwd=mdir.parent), hport


def replace_mapping(connect_to, host_port, target_port):
    """The --connect-to list with host_port (name:port) sent to 127.0.0.1:target_port."""
    kept = [m for m in connect_to.split(",") if m and not m.startswith(host_port + ":")]
    return ",".join(kept + [f"{host_port}:127.0.0.1:{target_port}"])


def remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)


class Loop(threading.Thread):
    """Calls fn() over and over on a thread until stopped; keeps (status, seconds) of each."""

    def __init__(self, fn, pause=0.0):
        super().__init__(daemon=True)
        self.fn, self.pause, self.samples, self.halt = fn, pause, [], threading.Event()

    def run(self):
        while not self.halt.wait(self.pause):
            t0 = time.monotonic()
            try:
                status = self.fn()
            except Exception:  # noqa: BLE001 - any failure is a failed request here
                status = 0
            self.samples.append((status, time.monotonic() - t0))

    def stop(self):
        self.halt.set()
        self.join(timeout=30)
        return self.samples

