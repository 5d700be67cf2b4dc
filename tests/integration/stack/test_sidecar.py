"""kfdash as a sidecar (`--upstream`): it guards the stack's real Jupyter server the way
oauth2-proxy would, streaming HTTP answers and relaying the kernel's WebSocket.

One check needs to see the exact headers kfdash sends upstream, which no real peer here echoes:
for that alone a small header-echo server runs in the test (named `echo` below). Another plays a
hostile application (its answers are built to split or smuggle), which no real peer does on
demand: a socket server in the test (`hostile` below).
"""
import hashlib
import http.server
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import websocket

from conftest import execute_on_kernel, plain_session, start_kfdash

ALICE = "alice@example.com"
PREFIX = "/notebook/alice/nb1/"


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sidecar(stack, upstream):
    return start_kfdash(stack, "--upstream", upstream)


@pytest.fixture(scope="module")
def jupyter(stack):
    return stack["JUPYTER_ALICE_NB1_URL"].split(PREFIX)[0]


@pytest.fixture(scope="module")
def kfdash(stack, jupyter):
    k = sidecar(stack, jupyter)
    yield k
    k.stop()


@pytest.fixture(scope="module")
def bearer(dex_login, demo_password):
    return {"Authorization": f"Bearer {dex_login(ALICE, demo_password('alice'))}"}


def test_strangers_are_refused_before_reaching_the_application(kfdash):
    r = plain_session().get(kfdash.url + PREFIX + "api/status", timeout=10)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    page = plain_session().get(kfdash.url + PREFIX + "lab", headers={"Accept": "text/html"},
                               allow_redirects=False, timeout=10)
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/auth/login?rd=%2Fnotebook%2Falice%2Fnb1%2Flab")


def test_a_signed_in_user_reaches_the_application(kfdash, bearer):
    r = plain_session().get(kfdash.url + PREFIX + "api/status", headers=bearer, timeout=10)
    assert r.status_code == 200, r.text
    assert "started" in r.json()
    # The application's own headers come through, not kfdash's page policy.
    assert "report-uri /notebook/alice/nb1/" in r.headers["Content-Security-Policy"]


def test_a_large_file_streams_through_without_being_held(bearer, stack, jupyter):
    work = Path(stack["KFDASH_STACK_DIR"]) / "ml" / "notebooks" / "alice" / "nb1" / "work"
    blob = os.urandom(1 << 20) * 48  # 48 MiB
    (work / "big.bin").write_bytes(blob)
    # A kfdash of its own whose memory is kfdash's: AddressSanitizer's quarantine (freed memory
    # held back, up to 256 MiB, to catch a use after free) is capped at 1 MiB, or the
    # sanitized run would count every buffer libcurl freed on the way (no effect unsanitized).
    asan = os.environ.get("ASAN_OPTIONS", "")
    kfdash = start_kfdash(stack, "--upstream", jupyter,
                          env={"ASAN_OPTIONS": f"{asan}:quarantine_size_mb=1".lstrip(":")})
    try:
        before = rss_kb(kfdash.proc.pid)
        digest, size = hashlib.sha256(), 0
        with plain_session().get(kfdash.url + PREFIX + "files/big.bin", headers=bearer,
                                 stream=True, timeout=60) as r:
            assert r.status_code == 200
            for i, chunk in enumerate(r.iter_content(1 << 16)):
                digest.update(chunk)
                size += len(chunk)
                if i == 100:
                    time.sleep(1)  # a slow reader: kfdash must hold the upstream, not buffer it
        assert size == len(blob) and digest.digest() == hashlib.sha256(blob).digest()
        grew = rss_kb(kfdash.proc.pid) - before
        assert grew < 16 * 1024, f"kfdash grew by {grew} kB while passing 48 MiB on"
    finally:
        kfdash.stop()
        (work / "big.bin").unlink()


def test_the_kernel_websocket_computes_1_plus_1_through_kfdash(kfdash, bearer):
    s = plain_session()
    s.headers.update(bearer)
    base = kfdash.url + PREFIX
    s.get(base, timeout=30)  # any page of Jupyter's sets its _xsrf cookie
    xsrf = s.cookies.get("_xsrf")
    assert xsrf, s.cookies
    r = s.post(base + "api/kernels", json={"name": "python3"}, headers={"X-XSRFToken": xsrf},
               timeout=30)
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    try:
        ws = websocket.create_connection(
            base.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels",
            header=[f"Authorization: {bearer['Authorization']}"],
            cookie="; ".join(f"{c.name}={c.value}" for c in s.cookies), timeout=30)
        try:
            assert execute_on_kernel(ws, "1+1") == ["2"]
        finally:
            ws.close()
    finally:
        s.delete(base + f"api/kernels/{kernel}", headers={"X-XSRFToken": xsrf}, timeout=30)


def test_a_websocket_without_credentials_is_refused(kfdash):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(kfdash.url.replace("http", "ws", 1) + PREFIX +
                                    "api/kernels/x/channels", timeout=10)
    assert refused.value.status_code == 401


def test_an_unreachable_application_is_a_clear_502(stack, bearer):
    k = sidecar(stack, "http://127.0.0.1:9")
    try:
        r = plain_session().get(k.url + "/anything", headers=bearer, timeout=20)
        assert r.status_code == 502 and "cannot be reached" in r.json()["error"]
        page = plain_session().get(k.url + "/anything", timeout=20,
                                   headers={**bearer, "Accept": "text/html"})
        assert page.status_code == 502 and page.headers["Content-Type"].startswith("text/html")
    finally:
        k.stop()


class _Echo(http.server.BaseHTTPRequestHandler):
    """The header echo: answers every request with the headers it received, as JSON."""

    def do_GET(self):
        body = json.dumps([[k, v] for k, v in self.headers.items()]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_identity_headers_are_kfdashs_and_its_credentials_stay_home(stack, bearer):
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    k = sidecar(stack, f"http://127.0.0.1:{echo.server_address[1]}")
    try:
        r = plain_session().get(k.url + "/x", timeout=10, headers={
            **bearer, "kubeflow-userid": "mallory@example.com", "X-Forwarded-Email": "m@x",
            "Cookie": "app=1; kfdash_session=stolen; kfdash_csrf=c; other=2"})
        assert r.status_code == 200, r.text
        sent = {}
        for name, value in r.json():
            sent.setdefault(name.lower(), []).append(value)
        assert sent["kubeflow-userid"] == [ALICE]
        assert sent["x-forwarded-email"] == [ALICE] and sent["x-forwarded-user"] == [ALICE]
        assert sent["cookie"] == ["app=1; other=2"]
        assert "authorization" not in sent  # the bearer proved the user to kfdash only
        assert sent["x-forwarded-for"] == ["127.0.0.1"]
        assert "connection" not in sent or sent["connection"] != ["keep-alive, Upgrade"]
    finally:
        k.stop()
        echo.shutdown()


def test_sigterm_closes_open_websockets_and_exits_promptly(stack, jupyter, bearer):
    k = sidecar(stack, jupyter)
    s = plain_session()
    s.headers.update(bearer)
    base = k.url + PREFIX
    s.get(base, timeout=30)
    xsrf = s.cookies.get("_xsrf")
    r = s.post(base + "api/kernels", json={"name": "python3"}, headers={"X-XSRFToken": xsrf},
               timeout=30)
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    try:
        ws = websocket.create_connection(
            base.replace("http", "ws", 1) + f"api/kernels/{kernel}/channels",
            header=[f"Authorization: {bearer['Authorization']}"],
            cookie="; ".join(f"{c.name}={c.value}" for c in s.cookies), timeout=10)
        t0 = time.monotonic()
        k.stop()  # asserts exit status 0 and no sanitizer report
        assert time.monotonic() - t0 < 5
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError,
                            OSError)):
            while True:
                ws.recv()
    finally:
        plain_session().delete(stack["JUPYTER_ALICE_NB1_URL"] + f"api/kernels/{kernel}",
                               headers={"X-XSRFToken": xsrf}, cookies={"_xsrf": xsrf}, timeout=30)


# ---------------------------------------------------------------- a hostile application


HOSTILE_ANSWERS = {
    # a bare CR inside a header line: some readers end the line there
    "/bare-cr": b"HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: kfdash_session=x\r\nContent-Length: 2\r\n\r\nok",
    # a line without a name
    "/nameless": b"HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 2\r\n\r\nok",
    # framed twice: the length would not describe the body that comes
    "/twice": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"6\r\nlonger\r\n0\r\n\r\n",
    # bytes past the answer's end, shaped as the answer to the next request on the connection
    "/surplus": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged",
    "/next": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal",
}


@pytest.fixture
def hostile():
    """A server that answers each request with HOSTILE_ANSWERS[path], keeping the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn):
        with conn:
            data = b""
            while not stop.is_set():
                while b"\r\n\r\n" not in data:
                    more = conn.recv(65536)
                    if not more:
                        return
                    data += more
                head, data = data.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                conn.sendall(HOSTILE_ANSWERS.get(path, HOSTILE_ANSWERS["/next"]))

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


def test_an_application_cannot_split_or_smuggle_its_answers(stack, bearer, hostile):
    k = sidecar(stack, hostile)
    try:
        s = plain_session()
        for path in ("/bare-cr", "/nameless"):
            r = s.get(k.url + path, headers=bearer, timeout=20)
            assert r.status_code == 502, (path, r.status_code, r.text[:200])
            assert r.json()["error"] == "the application's answer was cut short or is not valid HTTP"
            assert "kfdash_session" not in r.headers.get("Set-Cookie", "")
        r = s.get(k.url + "/twice", headers=bearer, timeout=20)
        assert r.status_code == 200 and r.content == b"longer"
        assert r.headers.get("Content-Length") in (None, "6")
        # the surplus never becomes the answer to the next request, on any connection
        for _ in range(5):
            first = s.get(k.url + "/surplus", headers=bearer, timeout=20)
            assert first.status_code == 200 and first.content == b"first"
            after = s.get(k.url + "/next", headers=bearer, timeout=20)
            assert after.status_code == 200 and after.content == b"real", after.content
    finally:
        k.stop()
