"""SIGTERM under load (a rolling update, a node drained).

What a user notices: the requests kfdash had taken finish, whole (a slow application's answer
included); new connections are refused, so a client retries elsewhere; no answer is cut short
and passed off as complete; kfdash exits 0 within shutdown_grace_s; and nothing it was writing is
left half-written: the SQLite store opens clean, and every personal token it said it made works
after the restart, with its name whole. A request that outlives the grace is cut off, and kfdash
still exits 0 at the grace.
"""
import http.server
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import gateway_kfdash, plain_session
from faults import Loop, say, summary

ALICE = "alice@example.com"
SLOW_BODY = b"s" * (1 << 20)


class SlowApp:
    """An application (a notebook's server, as kfdash sees it) that answers every request after
    `delay` seconds with a 1 MiB body."""

    def __init__(self, delay):
        self.arrived = 0
        self.lock = threading.Lock()
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                with app.lock:
                    app.arrived += 1
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", str(len(SLOW_BODY)))
                self.end_headers()
                try:
                    self.wfile.write(SLOW_BODY)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start(stack, state, grace, slow_port):
    # The load here is one user's, well above a user's fair rate (limits.user_requests_per_s):
    # this test is about shutdown, not fairness (test_fairness.py).
    return gateway_kfdash(stack, "--state-dir", state, "--shutdown-grace", str(grace),
                          "--user-requests-per-s", "100000",
                          "--connect-to", f"{stack['KFDASH_CONNECT_TO']},"
                                          f"slow.alice.svc.cluster.local:80:127.0.0.1:{slow_port}")


def slow_call(k, outcomes):
    try:
        r = plain_session().get(k.url + "/notebook/alice/slow/work", timeout=60,
                                headers={"kubeflow-userid": ALICE})
        outcomes.append((r.status_code, r.content == SLOW_BODY))
    except requests.RequestException as e:
        outcomes.append((type(e).__name__, False))


def read_call(k, s, counts):
    """A user's read; counts what became of it: whole, refused (no connection), cut short."""
    try:
        r = s.get(k.url + "/api/namespaces/alice/notebooks", timeout=30,
                  headers={"kubeflow-userid": ALICE})
        r.json()  # the whole body, or this raises
        counts["whole"] += 1
        return r.status_code
    except requests.ConnectionError as e:
        # Refused (the listening socket is closed), or a kept-alive connection closed by the
        # server between two requests: the client never got a status line. Not a cut answer.
        text = str(e)
        if "Connection refused" in text or "RemoteDisconnected" in text or \
                "Connection aborted" in text or "Connection reset" in text:
            counts["refused"] += 1
        else:
            counts["cut"].append(text[:200])
        return 0
    except (requests.exceptions.ChunkedEncodingError, ValueError) as e:
        counts["cut"].append(f"{type(e).__name__}: {str(e)[:200]}")
        return 0


def test_sigterm_under_load_finishes_what_is_in_flight_and_leaves_nothing_half_written(
        stack, dex_login, demo_password, tmp_path):
    state = str(tmp_path / "state")
    Path(state).mkdir()
    grace = 10
    app = SlowApp(delay=3)
    k = start(stack, state, grace, app.port)
    id_token = dex_login(ALICE, demo_password(ALICE))
    counts = {"whole": 0, "refused": 0, "cut": []}
    made, refused_tokens = [], []

    def make_token():
        name = f"sigterm-{len(made) + len(refused_tokens)}-" + "n" * 40
        try:
            r = plain_session().post(k.url + "/api/tokens", timeout=30,
                                     json={"name": name, "expires_in_days": 1},
                                     headers={"Authorization": f"Bearer {id_token}"})
        except requests.RequestException as e:
            refused_tokens.append(type(e).__name__)
            return 0
        if r.status_code == 201:
            made.append((name, r.json()["id"], r.json()["token"]))
        else:
            refused_tokens.append(r.status_code)
        return r.status_code

    sessions = [plain_session() for _ in range(4)]
    readers = [Loop(lambda s=s: read_call(k, s, counts)) for s in sessions]
    tokens = Loop(make_token, pause=0.1)
    slow = []
    try:
        for loop in (*readers, tokens):
            loop.start()
        time.sleep(1.5)  # load under way, a few tokens made
        slow_threads = [threading.Thread(target=slow_call, args=(k, slow)) for _ in range(3)]
        for t in slow_threads:
            t.start()
        deadline = time.monotonic() + 10
        while app.arrived < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.arrived == 3, "the slow requests did not reach the application"
        in_flight_tokens = len(made)
        t_term = time.monotonic()
        k.proc.send_signal(15)
        code = k.proc.wait(timeout=grace + 10)
        took = time.monotonic() - t_term
        for t in slow_threads:
            t.join(timeout=30)
    finally:
        samples = [s for loop in (*readers, tokens) for s in loop.stop()]
        app.close()
        if k.proc.poll() is None:  # the test failed before its SIGTERM: nothing left running
            k.proc.kill()
            k.proc.wait()
    k.stop(expect_code=0)
    stopped = [l for l in k.log_lines() if l.get("msg") == "stopped"]
    say(f"SIGTERM under load: exit {code} after {took:.2f} s (grace {grace} s); reads: "
        f"{counts['whole']} whole, {counts['refused']} refused after the signal, "
        f"{len(counts['cut'])} cut short; {summary(samples)}; the slow requests: {slow}; tokens: "
        f"{len(made)} made ({in_flight_tokens} before the signal), refused {refused_tokens[:5]}; "
        f"log: {stopped}")
    assert code == 0
    assert took <= grace + 1, took
    assert slow == [(200, True)] * 3, "requests in flight at SIGTERM did not finish whole"
    assert not counts["cut"], counts["cut"]
    assert counts["whole"] > 50, counts
    assert stopped and stopped[0]["requests_cut_short"] == 0, stopped

    # The store opens clean, and holds every token kfdash said it made, each one whole.
    db = sqlite3.connect(f"file:{state}/kfdash.db?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = {r[0]: r for r in db.execute(
            "SELECT id, hash, email, name, created, expires FROM tokens")}
    finally:
        db.close()
    for name, tid, _ in made:
        assert tid in rows, f"token {tid} was answered 201 but is not in the store"
        row = rows[tid]
        assert row[2] == ALICE and row[3] == name and len(row[1]) == 32 and row[5] > row[4], row
    # Started again on the same state: each token works, and lists with its whole name.
    app = SlowApp(delay=0)
    k2 = start(stack, state, grace, app.port)
    try:
        for name, tid, token in made:
            r = plain_session().get(k2.url + "/api/whoami", timeout=10,
                                    headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["source"] == "personal-token", r.text
        listed = plain_session().get(k2.url + "/api/tokens", timeout=10,
                                     headers={"Authorization": f"Bearer {made[0][2]}"}).json()
        names = {t["id"]: t["name"] for t in listed["tokens"]}
        assert all(names.get(tid) == name for name, tid, _ in made), (names, made)
        assert set(names) == set(rows), "the store holds a token no one was told of, or lost one"
    finally:
        k2.stop()
        app.close()


def test_a_request_that_outlives_the_grace_is_cut_and_kfdash_still_exits_0_on_time(stack, tmp_path):
    grace = 2
    app = SlowApp(delay=8)
    k = start(stack, str(tmp_path), grace, app.port)
    slow = []
    t = threading.Thread(target=slow_call, args=(k, slow))
    t.start()
    try:
        deadline = time.monotonic() + 10
        while app.arrived < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        t_term = time.monotonic()
        k.proc.send_signal(15)
        code = k.proc.wait(timeout=grace + 10)
        took = time.monotonic() - t_term
        t.join(timeout=30)
    finally:
        app.close()
    k.stop(expect_code=0)
    stopped = [l for l in k.log_lines() if l.get("msg") == "stopped"]
    say(f"SIGTERM with a request longer than the grace ({grace} s): exit {code} after {took:.2f} s; "
        f"the client got {slow}; log: {stopped}")
    assert code == 0 and grace - 0.5 <= took <= grace + 1.5, (code, took)
    assert slow and slow[0] != (200, True), slow  # cut, and the client can tell
    assert stopped and stopped[0]["requests_cut_short"] == 1, stopped
