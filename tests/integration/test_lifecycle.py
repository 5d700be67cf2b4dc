"""Start, dual-stack listening, configuration errors and graceful shutdown."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, Kfdash


def test_answers_on_both_ipv4_and_ipv6_loopback(start):
    k = start(listen=["127.0.0.1:PORT", "[::1]:PORT"])
    assert requests.get(f"http://127.0.0.1:{k.port}/healthz", timeout=5).status_code == 200
    assert requests.get(f"http://[::1]:{k.port}/healthz", timeout=5).status_code == 200


def test_default_addresses_are_ipv4_and_ipv6_loopback_on_8080():
    out = subprocess.run([BIN, "--check-config"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["listen"] == ["127.0.0.1:8080", "[::1]:8080"]


@pytest.mark.parametrize("args,env,fragment", [
    (["--max-body-bytes", "lots"], {}, '--max-body-bytes = "lots": expected an integer'),
    ([], {"REGISTRATION_FLOW": "perhaps"}, 'REGISTRATION_FLOW = "perhaps": expected true or false'),
    ([], {"KFDASH_DASHBOARD_LINKS": '{"menuLinks":[{"text":"x"}]}'},
     "menuLinks[0]: expected strings \"text\" and \"link\""),
    (["--bogus"], {}, "unknown option --bogus"),
])
def test_bad_config_exits_2_with_one_line_naming_it(args, env, fragment):
    full = dict(os.environ, **env)
    out = subprocess.run([BIN, "--check-config", *args], capture_output=True, text=True, env=full)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.stderr
    assert out.stdout == ""


def test_address_in_use_is_reported_and_exits_1():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run([BIN, "--listen", f"127.0.0.1:{port}"], capture_output=True,
                             text=True, timeout=10)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr


def test_version_and_help():
    v = subprocess.run([BIN, "--version"], capture_output=True, text=True, check=True)
    assert v.stdout.startswith("kfdash ")
    h = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True)
    assert "--listen" in h.stdout and "USERID_HEADER" in h.stdout


def test_check_config_shows_the_effective_values(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"threads": 3, "kubeflow": {"userid_prefix": "accounts.google.com:"}}))
    out = subprocess.run([BIN, "--config", str(cfg), "--check-config", "--threads", "5"],
                         capture_output=True, text=True, check=True)
    eff = json.loads(out.stdout)
    assert eff["threads"] == 5
    assert eff["kubeflow"]["userid_prefix"] == "accounts.google.com:"


def test_sigterm_lets_a_slow_download_finish_and_refuses_new_connections(start, tmp_path):
    big = os.urandom(24 << 20)
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("i")
    (tmp_path / "assets" / "big-1.bin").write_bytes(big)
    k = Kfdash(args=["--web-dir", str(tmp_path), "--shutdown-grace", "20"])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", k.port))
    s.sendall(b"GET /assets/big-1.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    got = bytearray(s.recv(4096))
    k.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert k.proc.poll() is None, "kfdash exited with a download in flight"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", k.port), timeout=2).close()
    s.settimeout(10)
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        got += chunk
    s.close()
    head, _, body = bytes(got).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == big
    k.proc.wait(timeout=10)
    k.stop(expect_code=0)
    assert any(l.get("msg") == "stopped" and l["requests_cut_short"] == 0 for l in k.log_lines())


def test_sigterm_with_nothing_in_flight_exits_at_once(start):
    k = Kfdash()
    t0 = time.monotonic()
    k.stop(expect_code=0)
    assert time.monotonic() - t0 < 2


def test_ready_quickly_after_start():
    k = Kfdash()
    ready = [l for l in k.log_lines() if l.get("msg") == "ready"]
    k.stop()
    assert ready and ready[0]["startup_us"] < 100_000
