"""No user starves the others (issue #11): what a greedy or careless client leaves behind is
freed at once, and its share of kfdash's calls is bounded. Against the real API server."""
import base64
import json
import re
import socket
import time

import pytest

from conftest import call_as, gateway_kfdash, until

BOB = "bob@example.com"
WATCH = "/api/k8s/apis/kubeflow.org/v1/namespaces/alice/notebooks?watch=1&timeoutSeconds=300"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = gateway_kfdash(stack)
    yield k
    k.stop()


def gauge(k, name):
    text = k.get("/metrics").text
    m = re.search(rf"^{name} (\d+)", text, re.M)
    assert m, name
    return int(m.group(1))


def open_watch(k, user):
    """A raw client that starts a watch through kfdash and reads its head, then holds it."""
    s = socket.create_connection(("127.0.0.1", k.port), timeout=10)
    s.sendall((f"GET {WATCH} HTTP/1.1\r\nHost: 127.0.0.1:{k.port}\r\n"
               f"kubeflow-userid: {user}\r\nAccept: application/json\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return s


def test_a_watch_whose_client_hangs_up_ends_at_once(kfdash):
    """A watch that sees no event sleeps; its client closing must end it (and its call to the
    API server) now, not when the API server next sends a byte minutes later."""
    base_flight = gauge(kfdash, "kfdash_http_requests_in_flight")
    base_conns = gauge(kfdash, "kfdash_http_connections_open")
    watches = [open_watch(kfdash, BOB) for _ in range(5)]
    until(lambda: gauge(kfdash, "kfdash_http_requests_in_flight") >= base_flight + 5,
          "the watches are in flight", 5)
    for s in watches:
        s.close()
    until(lambda: gauge(kfdash, "kfdash_http_requests_in_flight") <= base_flight,
          "the watches ended", 3)
    until(lambda: gauge(kfdash, "kfdash_http_connections_open") <= base_conns,
          "their connections closed", 3)
    # and kfdash still serves watches
    s = open_watch(kfdash, BOB)
    s.close()


def metric(k, series):
    m = re.search(rf"^{re.escape(series)} (\d+)", k.get("/metrics").text, re.M)
    return int(m.group(1)) if m else 0


def test_one_user_with_too_many_watches_is_refused_and_nobody_else_is(stack):
    """The issue's greedy user opened ~1,100 watches and everyone got 503: now their own
    watches past limits.user_requests_in_flight get 429, and other users go on."""
    k = gateway_kfdash(stack, "--user-requests-in-flight", "4")
    try:
        held = [open_watch(k, BOB) for _ in range(4)]
        r = call_as(k, BOB, "GET", WATCH)
        assert r.status_code == 429, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert "too many requests under way" in r.json()["error"]
        assert call_as(k, "alice@example.com", "GET", "/api/workgroup/env-info").status_code == 200
        assert metric(k, 'kfdash_refused_total{reason="user_in_flight"}') >= 1
        for s in held:
            s.close()
        until(lambda: call_as(k, BOB, "GET", "/api/workgroup/env-info").status_code == 200,
              "bob is served again once his watches closed", 3)
    finally:
        k.stop()


def test_an_address_sending_tokens_nobody_issued_is_slowed_down(stack):
    """Every token kfdash has not seen costs the API server a TokenReview: an address that keeps
    sending new ones gets 429 before kfdash asks again, and signed-in users go on."""
    k = gateway_kfdash(stack, "--anonymous-requests-per-s", "2")
    try:
        statuses = []
        for i in range(12):
            # A JWT from an issuer kfdash does not know: only a TokenReview could tell.
            junk = "eyJhbGciOiJSUzI1NiJ9." + base64.urlsafe_b64encode(
                json.dumps({"iss": "https://elsewhere", "sub": str(i)}).encode()).decode().rstrip("=") + ".c2ln"
            statuses.append(k.get("/api/whoami", headers={"Authorization": f"Bearer {junk}"}).status_code)
        assert statuses[:6] == [401] * 6, statuses
        assert 429 in statuses[6:], statuses
        assert metric(k, 'kfdash_refused_total{reason="anonymous_rate"}') >= 1
        assert call_as(k, BOB, "GET", "/api/whoami").status_code == 200
    finally:
        k.stop()
