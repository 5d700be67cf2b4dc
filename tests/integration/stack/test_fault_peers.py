"""MLflow, a notebook's jupyter_server and the model server killed (SIGKILL, with every process
below them: a kernel, a worker) mid-request and mid-stream, then started again.

What a user notices: the client whose call was under way gets a clean error, a 502/504 when no
answer had started, a stream that ends in an error when one had (never a truncated answer that
reads as complete, never a hang); everyone else's calls through the same kfdash go on as before;
and once the peer is back, kfdash reaches it again with no restart of its own.

The peers killed here are this module's own copies, started from the stack's venv exactly as
tests/stack/ml-peers.py starts the stack's (MLflow with workspaces, a jupyter_server under
Kubeflow's prefix, MLServer serving the stack's iris model), so the stack's own stay up for the
rest of the suite. This module's kfdash reaches them where it would reach the real ones:
--mlflow-url, and --connect-to for notebook alice/faultnb and the seeded InferenceService's
cluster address.
"""
import concurrent.futures
import json
import os
import signal
import tempfile
import threading
import time
import uuid

import pytest
import requests
import websocket

from conftest import execute_on_kernel, gateway_kfdash, plain_session
from faults import (Loop, no_internal_address, peers_python, private_jupyter, private_mlflow,
                    private_model_server, remove_tree, replace_mapping, say, summary, until)

ALICE = "alice@example.com"
BOB = "bob@example.com"
NOTEBOOK = "faultnb"
NB = f"/notebook/alice/{NOTEBOOK}/"
MODEL = "iris-classifier"
INFER = f"/serving/alice/{MODEL}/v2/models/{MODEL}/infer"
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]
PREDICTION = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64",
                          "data": [x for row in ROWS for x in row]}]}
# After a kill, the client's error comes within this (kfdash sees the connection close at once).
CLEAN_ERROR_S = 5
BIG_ARTIFACT = 32 << 20


@pytest.fixture(scope="module")
def peers(stack):
    """This module's MLflow, jupyter_server and MLServer, started at once and waited for."""
    python = peers_python()
    state = tempfile.mkdtemp(prefix="kfdash-fault-peers-")
    mlflow, mlflow_port = private_mlflow(python, os.path.join(state, "mlflow"))
    jupyter, jupyter_port = private_jupyter(python, os.path.join(state, "notebooks"), "alice", NOTEBOOK)
    model, model_port = private_model_server(python, state, stack)
    started = [p.start() for p in (mlflow, jupyter, model)]
    try:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            for f in [pool.submit(p.wait_ready) for p in started]:
                f.result()
        yield {"mlflow": mlflow, "mlflow_url": f"http://127.0.0.1:{mlflow_port}",
               "jupyter": jupyter, "jupyter_port": jupyter_port, "model": model,
               "model_port": model_port}
    finally:
        for p in started:
            p.stop()
        remove_tree(state)


@pytest.fixture(scope="module")
def kfdash(stack, peers):
    connect = replace_mapping(stack["KFDASH_CONNECT_TO"], f"{NOTEBOOK}.alice.svc.cluster.local:80",
                              peers["jupyter_port"])
    connect = replace_mapping(connect, f"{MODEL}-predictor.alice.svc.cluster.local:80",
                              peers["model_port"])
    k = gateway_kfdash(dict(stack, KFDASH_CONNECT_TO=connect, MLFLOW_URL=peers["mlflow_url"]))
    yield k
    k.stop()


def as_user(k, user):
    s = plain_session()
    s.headers.update({"kubeflow-userid": user, "Origin": k.url})
    return s


@pytest.fixture
def bystander(kfdash):
    """Another user's calls through the same kfdash all along: bob reading the stack's own
    notebook alice/nb1 (the same proxy, another peer) in a loop."""
    s = as_user(kfdash, BOB)
    loop = Loop(lambda: s.get(kfdash.url + "/notebook/alice/nb1/api/status", timeout=10).status_code,
                pause=0.02)
    loop.start()
    yield loop
    loop.stop()


def bystander_unaffected(loop, what):
    samples = loop.stop()
    figures = summary(samples)
    say(f"{what}: bob's calls to another notebook meanwhile: {figures}")
    assert figures["n"] >= 10 and figures["ok"] == figures["n"], figures
    assert figures["p99_ms"] < 1000, figures


def frozen_then_killed(peer, calls):
    """peer frozen, every call in `calls` started (each waits on the frozen peer), then peer
    killed: [(answer or exception, seconds from the kill to it)]."""
    peer.signal(signal.SIGSTOP)
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        t_kill = [None]

        def timed(call):
            try:
                out = call()
            except Exception as e:  # noqa: BLE001 - the error is the outcome
                out = e
            return out, time.monotonic() - t_kill[0]

        pending = [pool.submit(timed, c) for c in calls]
        time.sleep(1)  # the calls reach the frozen peer (nothing can answer them)
        assert not any(p.done() for p in pending), [p.result() for p in pending if p.done()]
        t_kill[0] = time.monotonic()
        peer.kill()
        return [p.result() for p in pending]


def assert_clean_gateway_error(r, took, what):
    say(f"{what}: {getattr(r, 'status_code', r)} {took:.2f} s after the kill: {getattr(r, 'text', '')[:200]}")
    assert isinstance(r, requests.Response), (what, r)
    assert r.status_code in (502, 504), (what, r.status_code, r.text[:300])
    assert took < CLEAN_ERROR_S, (what, took)
    no_internal_address(r.text)


def read_until_error(response, chunk=1 << 16):
    """Reads a streamed answer to its end: (bytes read, the exception that ended it or None)."""
    got = 0
    try:
        for piece in response.iter_content(chunk):
            got += len(piece)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as e:
        return got, e
    return got, None


# ---------------------------------------------------------------- MLflow


def test_mlflow_killed_mid_download_and_mid_request(kfdash, peers, bystander):
    mlflow = peers["mlflow"]
    alice = as_user(kfdash, ALICE)
    alice.headers["X-MLFLOW-WORKSPACE"] = "alice"
    search = kfdash.url + "/mlflow/api/2.0/mlflow/experiments/search"
    r = alice.post(search, json={"max_results": 10}, timeout=30)  # makes workspace alice
    assert r.status_code == 200, r.text
    # A large artifact, uploaded through kfdash.
    path = f"workspaces/alice/0/{uuid.uuid4().hex}/artifacts/big.bin"
    artifact = kfdash.url + "/mlflow/api/2.0/mlflow-artifacts/artifacts/" + path
    blob = os.urandom(1 << 20) * (BIG_ARTIFACT >> 20)
    r = alice.put(artifact, data=blob, timeout=120)
    assert r.status_code == 200, r.text

    # MLflow dies with a download streaming (begun, then stalled: MLflow is frozen) and a search
    # waiting for its answer.
    download = alice.get(artifact, stream=True, timeout=30)
    assert download.status_code == 200, download.text
    first = len(next(download.iter_content(1 << 20)))

    def rest_of_download():
        got, error = read_until_error(download)
        return first + got, error

    (search_answer, search_took), ((got, error), download_took) = frozen_then_killed(
        mlflow, [lambda: alice.post(search, json={"max_results": 10}, timeout=60),
                 rest_of_download])
    say(f"MLflow killed mid-download: the client read {got} of {len(blob)} bytes, then "
        f"{type(error).__name__ if error else 'a clean end'} {download_took:.2f} s after the kill")
    assert got < len(blob), "the download completed: MLflow died too late to test this"
    assert error is not None, "a truncated download ended as if complete"
    assert download_took < CLEAN_ERROR_S, download_took
    assert_clean_gateway_error(search_answer, search_took, "MLflow killed mid-request")
    # Down: a clear 502 at once.
    r = alice.post(search, json={"max_results": 10}, timeout=30)
    say(f"MLflow down: {r.status_code} {r.text[:200]}")
    assert r.status_code == 502, r.text
    no_internal_address(r.text)
    # Back: reached again, nothing of kfdash's restarted.
    mlflow.start().wait_ready()
    until(lambda: alice.post(search, json={"max_results": 10}, timeout=30).status_code == 200,
          "MLflow reached again through kfdash after its restart", 10)
    got = alice.get(artifact, timeout=120)
    assert got.status_code == 200 and got.content == blob
    bystander_unaffected(bystander, "MLflow killed")


# ---------------------------------------------------------------- a notebook


def jupyter_session(k, user):
    s = as_user(k, user)
    r = s.get(k.url + NB + "api/status", timeout=30)
    assert r.status_code == 200, r.text
    r = s.get(k.url + NB + "tree", timeout=30)  # any page sets Jupyter's _xsrf cookie
    s.headers["X-XSRFToken"] = s.cookies.get("_xsrf", "")
    return s


def open_kernel_ws(k, s):
    r = s.post(k.url + NB + "api/kernels", json={"name": "python3"}, timeout=60)
    assert r.status_code == 201, r.text
    return websocket.create_connection(
        k.url.replace("http", "ws", 1) + NB + f"api/kernels/{r.json()['id']}/channels",
        header=[f"kubeflow-userid: {ALICE}", f"Origin: {k.url}"],
        cookie="; ".join(f"{c.name}={c.value}" for c in s.cookies), timeout=30)


def test_a_notebook_killed_mid_websocket_and_mid_request(kfdash, peers, bystander):
    jupyter = peers["jupyter"]
    s = jupyter_session(kfdash, ALICE)
    ws = open_kernel_ws(kfdash, s)
    try:
        assert execute_on_kernel(ws, "1+1") == ["2"]
        # Mid-stream: the kernel prints a line every 50 ms when its server (and it) dies.
        ws.send(json.dumps({
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request",
                       "username": "faults", "session": uuid.uuid4().hex, "version": "5.3",
                       "date": ""}, "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": "import time\nfor i in range(100000):\n print(i, flush=True)\n"
                                " time.sleep(0.05)", "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False}}))
        streamed = 0
        while streamed < 5:
            if json.loads(ws.recv()).get("msg_type") == "stream":
                streamed += 1

        def stream_end():
            ws.settimeout(CLEAN_ERROR_S + 5)
            try:
                while True:
                    opcode, _ = ws.recv_data(control_frame=True)
                    if opcode == websocket.ABNF.OPCODE_CLOSE:
                        return "a close frame"
            except websocket.WebSocketConnectionClosedException:
                return "the connection closed"
            except websocket.WebSocketTimeoutException:
                return None

        # The server (and its kernel) dies with the kernel's output streaming and a contents
        # call waiting for its answer.
        (contents, contents_took), (ended, took) = frozen_then_killed(
            jupyter, [lambda: s.get(kfdash.url + NB + "api/contents", timeout=60), stream_end])
        say(f"jupyter_server killed mid-stream: the kernel WebSocket ended with {ended} "
            f"{took:.2f} s after the kill")
        assert ended and took < CLEAN_ERROR_S, (ended, took)
        assert_clean_gateway_error(contents, contents_took, "jupyter_server killed mid-request")
    finally:
        ws.close()
    # Down: a clear 502 at once.
    r = s.get(kfdash.url + NB + "api/status", timeout=30)
    assert r.status_code == 502, r.text
    no_internal_address(r.text)
    jupyter.start().wait_ready()
    until(lambda: s.get(kfdash.url + NB + "api/status", timeout=30).status_code == 200,
          "the notebook reached again through kfdash after its restart", 10)
    s = jupyter_session(kfdash, ALICE)
    ws = open_kernel_ws(kfdash, s)
    try:
        assert execute_on_kernel(ws, "40+2") == ["42"]
    finally:
        ws.close()
    bystander_unaffected(bystander, "jupyter_server killed")


# ---------------------------------------------------------------- the model server


def test_the_model_server_killed_mid_prediction(kfdash, peers, bystander):
    model = peers["model"]
    alice = as_user(kfdash, ALICE)
    r = alice.post(kfdash.url + INFER, json=PREDICTION, timeout=30)
    assert r.status_code == 200, r.text
    expected = r.json()["outputs"]

    # The server dies with a large batch streaming up (chunked, no length; begun before it
    # froze) and a prediction waiting for its answer.
    sent, frozen = [0], threading.Event()

    def body():
        yield b'{"inputs": [{"name": "input-0", "shape": [%d, 4], "datatype": "FP64", "data": [' % (
            400_000)
        row = b"5.1, 3.5, 1.4, 0.2, " * 1000
        for i in range(400):
            if i == 20:
                frozen.wait(10)
            sent[0] += len(row)
            yield row
            time.sleep(0.01)
        yield b"5.1]}]}"

    def upload():
        return alice.post(kfdash.url + INFER, data=body(), timeout=60,
                          headers={"Content-Type": "application/json"})

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        uploading = pool.submit(upload)
        until(lambda: sent[0] > 0, "the upload begun", 10)

        def waiting_upload():
            frozen.set()
            return uploading.result()

        (answer, took), (up, up_took) = frozen_then_killed(
            model, [lambda: alice.post(kfdash.url + INFER, json=PREDICTION, timeout=60),
                    waiting_upload])
    assert_clean_gateway_error(answer, took, "model server killed mid-request")
    outcome = f"{up.status_code} {up.text[:200]}" if isinstance(up, requests.Response) else repr(up)
    say(f"model server killed mid-upload ({sent[0]} bytes sent): {outcome}, {up_took:.2f} s after "
        f"the kill")
    if isinstance(up, requests.Response):
        assert up.status_code in (502, 504), outcome
        no_internal_address(up.text)
    else:
        assert isinstance(up, requests.ConnectionError), outcome
    assert up_took < CLEAN_ERROR_S + 4, up_took  # the rest of the body may still be on its way
    r = alice.post(kfdash.url + INFER, json=PREDICTION, timeout=30)
    assert r.status_code == 502, r.text
    model.start().wait_ready()
    until(lambda: alice.post(kfdash.url + INFER, json=PREDICTION, timeout=30).status_code == 200,
          "the model server reached again through kfdash after its restart", 10)
    assert alice.post(kfdash.url + INFER, json=PREDICTION, timeout=30).json()["outputs"] == expected
    bystander_unaffected(bystander, "model server killed")
