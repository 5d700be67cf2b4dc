"""No user starves the others (issue #11): what a greedy or careless client leaves behind is
freed at once, and its share of kfdash's calls is bounded. Against the real API server."""
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
