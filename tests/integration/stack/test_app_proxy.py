"""Notebooks and Spark UIs through kfdash (/notebook/<ns>/<name>/, /spark/<ns>/<app>/) against
the stack's real jupyter_servers and PySpark UI, reached the way a cluster would: kfdash fills its
URL templates (http://{name}.{namespace}.svc.cluster.local, http://{name}-ui-svc...:4040) and
--connect-to stands in for cluster DNS.

Users come in as a trusted gateway names them (kubeflow-userid). Profiles: alice (owner alice,
bob edits, carol views); a stranger has no role anywhere.
"""
import hashlib
import os
import re
import signal
import socket
import threading
import time

import pytest
import websocket

from conftest import execute_on_kernel, plain_session, start_kfdash

ALICE, BOB, CAROL, STRANGER = (f"{u}@example.com" for u in ("alice", "bob", "carol", "stranger"))
NB1 = "/notebook/alice/nb1/"
UPLOAD_LIMIT = 4 << 20


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def kfdash(stack):
    # One extra mapping: notebook alice/ghost "runs" on a port nobody listens on.
    ghost = f"ghost.alice.svc.cluster.local:80:127.0.0.1:{closed_port()}"
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                     "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"],
                     "--notebook-max-upload-bytes", str(UPLOAD_LIMIT),
                     "--connect-to", stack["KFDASH_CONNECT_TO"] + "," + ghost)
    yield k
    k.stop()


def session(k, user):
    """A client of kfdash as user, with Jupyter's _xsrf cookie (set by any of its pages)."""
    s = plain_session()
    s.headers.update({"kubeflow-userid": user, "Origin": k.url})
    r = s.get(k.url + NB1 + "lab", timeout=30)
    assert r.status_code == 200, r.text
    assert s.cookies.get("_xsrf"), s.cookies
    s.headers["X-XSRFToken"] = s.cookies.get("_xsrf")
    return s


def work_dir(stack):
    return os.path.join(stack["ML_STATE_DIR"], "notebooks", "alice", "nb1", "work")


# ---------------------------------------------------------------- who gets through


@pytest.mark.parametrize("user, status", [(ALICE, 200), (BOB, 200), (CAROL, 403), (STRANGER, 403)])
def test_only_owners_and_contributors_reach_its_notebook(kfdash, user, status):
    """A notebook runs code as its namespace: a viewer (carol) stays out."""
    r = plain_session().get(kfdash.url + NB1 + "api/status", headers={"kubeflow-userid": user},
                            timeout=30)
    assert r.status_code == status, r.text
    if status == 200:
        assert "started" in r.json()  # Jupyter's own answer


def test_a_stranger_is_refused_the_websocket_upgrade(kfdash):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(kfdash.url.replace("http", "ws", 1) + NB1 +
                                    "api/kernels/x/channels",
                                    header=["kubeflow-userid: " + STRANGER], timeout=10)
    assert refused.value.status_code == 403


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_a_websocket_from_another_site_is_refused(kfdash, origin):
    """Cross-site WebSocket hijacking: a page elsewhere opens a kernel with the user's
    credentials (here the gateway's header; a session cookie is checked the same way)."""
    headers = ["kubeflow-userid: " + ALICE] + ([f"Origin: {origin}"] if origin else [])
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(kfdash.url.replace("http", "ws", 1) + NB1 +
                                    "api/events/subscribe", header=headers, timeout=10,
                                    suppress_origin=True)
    assert refused.value.status_code == 403


def test_a_signed_out_browser_is_sent_to_sign_in(kfdash):
    r = plain_session().get(kfdash.url + NB1 + "lab", headers={"Accept": "text/html"},
                            allow_redirects=False, timeout=10)
    assert r.status_code in (302, 401) and "kubeflow-userid" not in r.text


def test_the_bare_notebook_address_redirects_to_its_directory(kfdash):
    r = plain_session().get(kfdash.url + "/notebook/alice/nb1?x=1",
                            headers={"kubeflow-userid": ALICE}, allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/notebook/alice/nb1/?x=1"


def test_the_spark_prefix_of_another_namespace_is_refused(kfdash):
    r = plain_session().get(kfdash.url + "/spark/alice/app1/jobs/",
                            headers={"kubeflow-userid": STRANGER}, timeout=10)
    assert r.status_code == 403


# ---------------------------------------------------------------- Jupyter through kfdash


def test_the_contents_api_lists_the_notebook_files(kfdash, stack):
    path = os.path.join(work_dir(stack), "listed.txt")
    with open(path, "w") as f:
        f.write("hello")
    try:
        s = session(kfdash, BOB)
        names = [c["name"] for c in s.get(kfdash.url + NB1 + "api/contents", timeout=30)
                 .json()["content"]]
        assert "listed.txt" in names
        got = s.get(kfdash.url + NB1 + "files/listed.txt", timeout=30)
        assert got.status_code == 200 and got.text == "hello"
    finally:
        os.unlink(path)


def upload(s, url, blob, chunked):
    import base64
    import json
    body = json.dumps({"type": "file", "format": "base64",
                       "content": base64.b64encode(blob).decode()}).encode()
    data = (body[i:i + 65536] for i in range(0, len(body), 65536)) if chunked else body
    return s.put(url, data=data, headers={"Content-Type": "application/json"}, timeout=60)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_within_the_limit_streams_through_whole(kfdash, stack, chunked):
    blob = os.urandom(2 << 20)  # 2.7 MiB as base64 JSON: above limits.max_body_bytes (1 MiB)
    name = f"up-{chunked}.bin"
    s = session(kfdash, ALICE)
    try:
        r = upload(s, kfdash.url + NB1 + "api/contents/" + name, blob, chunked)
        assert r.status_code == 201, r.text
        with open(os.path.join(work_dir(stack), name), "rb") as f:
            assert hashlib.sha256(f.read()).digest() == hashlib.sha256(blob).digest()
    finally:
        if os.path.exists(os.path.join(work_dir(stack), name)):
            os.unlink(os.path.join(work_dir(stack), name))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_over_the_limit_is_413_and_writes_nothing(kfdash, stack, chunked):
    name = f"too-big-{chunked}.bin"
    s = session(kfdash, ALICE)
    r = upload(s, kfdash.url + NB1 + "api/contents/" + name, os.urandom(4 << 20), chunked)
    assert r.status_code == 413, r.text
    assert "too large" in r.json()["error"]
    assert not os.path.exists(os.path.join(work_dir(stack), name))
    # kfdash goes on serving.
    assert s.get(kfdash.url + NB1 + "api/status", timeout=10).status_code == 200


def test_the_browsers_connection_stays_open_across_requests(kfdash):
    """JupyterLab loads dozens of assets and saves often: each on a new connection would be slow."""
    s = session(kfdash, ALICE)
    for method, body in (("GET", None), ("PUT", b'{"type": "file", "format": "text", "content": "x"}'),
                         ("GET", None)):
        r = s.request(method, kfdash.url + NB1 + "api/contents/keepalive.txt", data=body,
                      timeout=30)
        assert r.status_code in (200, 201, 404), r.text
        assert r.headers.get("Connection", "").lower() != "close", (method, r.headers)
    s.delete(kfdash.url + NB1 + "api/contents/keepalive.txt", timeout=30)


def open_ws(k, s, path):
    return websocket.create_connection(
        k.url.replace("http", "ws", 1) + NB1 + path,
        header=[f"kubeflow-userid: {s.headers['kubeflow-userid']}", f"Origin: {k.url}"],
        cookie="; ".join(f"{c.name}={c.value}" for c in s.cookies), timeout=30)


def test_a_kernel_computes_1_plus_1_over_the_websocket(kfdash):
    s = session(kfdash, BOB)  # a contributor
    r = s.post(kfdash.url + NB1 + "api/kernels", json={"name": "python3"}, timeout=60)
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    try:
        ws = open_ws(kfdash, s, f"api/kernels/{kernel}/channels")
        try:
            assert execute_on_kernel(ws, "1+1") == ["2"]
        finally:
            ws.close()
    finally:
        s.delete(kfdash.url + NB1 + f"api/kernels/{kernel}", timeout=30)


def test_a_terminal_runs_a_command_over_the_websocket(kfdash):
    import json
    s = session(kfdash, ALICE)
    r = s.post(kfdash.url + NB1 + "api/terminals", timeout=30)
    assert r.status_code == 200, r.text
    name = r.json()["name"]
    try:
        ws = open_ws(kfdash, s, f"terminals/websocket/{name}")
        try:
            ws.send(json.dumps(["stdin", "echo through-$((40+2))\r"]))
            seen, deadline = "", time.monotonic() + 20
            while "through-42" not in seen and time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg[0] == "stdout":
                    seen += msg[1]
            assert "through-42" in seen, seen
        finally:
            ws.close()
    finally:
        s.delete(kfdash.url + NB1 + f"api/terminals/{name}", timeout=30)


# ---------------------------------------------------------------- failures


def test_a_notebook_that_is_not_running_is_a_clear_502(kfdash):
    url = kfdash.url + "/notebook/alice/ghost/api/status"
    r = plain_session().get(url, headers={"kubeflow-userid": ALICE}, timeout=20)
    assert r.status_code == 502 and "cannot be reached" in r.json()["error"]
    page = plain_session().get(url, headers={"kubeflow-userid": ALICE, "Accept": "text/html"},
                               timeout=20)
    assert page.status_code == 502 and "<h1>502</h1>" in page.text


def test_an_upload_to_a_notebook_that_is_not_running_is_a_clear_502_every_time(kfdash):
    """The refusal comes before the body is sent on: the client must still read the answer
    rather than a broken connection."""
    s = plain_session()
    body = b"x" * (256 << 10)
    for _ in range(20):
        r = s.put(kfdash.url + "/notebook/alice/ghost/api/contents/x.bin", data=body,
                  headers={"kubeflow-userid": ALICE, "Origin": kfdash.url}, timeout=20)
        assert r.status_code == 502 and "cannot be reached" in r.json()["error"]


def test_a_frozen_notebook_does_not_delay_another(kfdash, stack):
    """bob's Jupyter is stopped (SIGSTOP: it accepts nothing more); a request to it waits while
    alice's notebook answers at once."""
    pid = int(stack["JUPYTER_BOB_NB2_PID"])
    os.kill(pid, signal.SIGSTOP)
    hung = {}

    def ask_frozen():
        try:
            plain_session().get(kfdash.url + "/notebook/bob/nb2/api/status",
                                headers={"kubeflow-userid": BOB}, timeout=8)
            hung["answered"] = True
        except Exception:  # the client gives up: kfdash never answered
            hung["answered"] = False

    try:
        threads = [threading.Thread(target=ask_frozen) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        for _ in range(20):
            r = plain_session().get(kfdash.url + NB1 + "api/status",
                                    headers={"kubeflow-userid": ALICE}, timeout=5)
            assert r.status_code == 200
        elapsed = time.monotonic() - t0
        assert elapsed < 4, f"20 requests to a live notebook took {elapsed:.1f}s"
        for t in threads:
            t.join()
        assert hung == {"answered": False}
    finally:
        os.kill(pid, signal.SIGCONT)


# ---------------------------------------------------------------- the Spark UI


def test_the_spark_ui_opens_on_its_jobs_page_under_the_prefix(kfdash):
    r = plain_session().get(kfdash.url + "/spark/alice/app1/", headers={"kubeflow-userid": BOB},
                            allow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["Location"] == "/spark/alice/app1/jobs/"
    bare = plain_session().get(kfdash.url + "/spark/alice/app1", headers={"kubeflow-userid": BOB},
                               allow_redirects=False, timeout=30)
    assert bare.headers["Location"] == "/spark/alice/app1/"


def test_a_viewer_cannot_open_a_spark_ui_that_shares_kfdashs_origin(kfdash):
    """Path mode (no apps.domain): the driver serves what its user's code likes, on kfdash's own
    origin, so only the namespace's owner and contributors open it."""
    r = plain_session().get(kfdash.url + "/spark/alice/app1/jobs/",
                            headers={"kubeflow-userid": CAROL}, timeout=30)
    assert r.status_code == 403 and "origin" in r.json()["error"]


def test_the_spark_jobs_page_and_its_assets_load_through_kfdash(kfdash):
    s = plain_session()
    s.headers["kubeflow-userid"] = ALICE
    page = s.get(kfdash.url + "/spark/alice/app1/jobs/", timeout=30)
    assert page.status_code == 200 and "Spark Jobs" in page.text
    links = re.findall(r'(?:href|src)="(/[^"]*)"', page.text)
    assert links and all(l.startswith("/spark/alice/app1/") for l in links), links
    assets = [l for l in links if "/static/" in l]
    assert assets
    for link in assets:
        r = s.get(kfdash.url + link, timeout=30)
        assert r.status_code == 200 and r.content, link
