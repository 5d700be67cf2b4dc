"""The real kfdash binary as a process on loopback, for every pytest suite."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import requests

BIN = os.environ.get("KFDASH_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "kfdash")


def free_port():
    """A TCP port free on both 127.0.0.1 and ::1 at the time of asking."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4:
            s4.bind(("127.0.0.1", 0))
            port = s4.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.bind(("::1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class Kfdash:
    """A running kfdash process; stop() checks it exits cleanly with no sanitizer report."""

    def __init__(self, args=(), config=None, env=None, listen=None, port=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="kfdash-it-")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        cmd = [BIN]
        if config is not None:
            path = os.path.join(self.dir, "config.json")
            with open(path, "w") as f:
                json.dump(config, f)
            cmd += ["--config", path]
        for addr in listen or [f"127.0.0.1:{self.port}"]:
            cmd += ["--listen", addr.replace("PORT", str(self.port))]
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     env=full_env)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"kfdash exited {self.proc.returncode}: {self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise AssertionError("kfdash did not become healthy: " + self.log())

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def log_lines(self):
        return [json.loads(line) for line in self.log().splitlines() if line.startswith("{")]

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.url + path, **kw)

    def raw(self, data, timeout=5):
        """Sends bytes as they are and returns everything the server answers before closing."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except (socket.timeout, ConnectionResetError):
                pass
            return b"".join(chunks)

    def stop(self, expect_code=0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("kfdash did not stop within 30 s of SIGTERM")
        self.stderr.close()
        log = self.log()
        assert "AddressSanitizer" not in log and "runtime error:" not in log and \
            "LeakSanitizer" not in log, log
        assert self.proc.returncode == expect_code, f"exit {self.proc.returncode}: {log[-2000:]}"


def status_of(raw_response: bytes) -> int:
    """Status code of the first response in raw bytes, 0 if the server sent nothing."""
    if not raw_response:
        return 0
    return int(raw_response.split(b" ", 2)[1])
