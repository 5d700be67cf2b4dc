"""Limits a client can hit: each refusal has its own status and the server stays healthy."""
import selectors
import socket
import threading
import time

from conftest import status_of


def test_headers_over_the_limit_get_431(kfdash):
    r = kfdash.get("/healthz", headers={"X-Big": "a" * 20000})
    assert r.status_code == 431
    assert r.json() == {"error": "request headers too large"}
    assert kfdash.get("/healthz").status_code == 200


def test_headers_far_over_the_limit_get_431_without_exhausting_memory(kfdash):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 500_000 + b"\r\n\r\n"
    assert status_of(kfdash.raw(head)) == 431
    assert kfdash.get("/healthz").status_code == 200


def test_too_many_header_lines_get_431(kfdash):
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(300))
    assert status_of(kfdash.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")) == 431


def test_long_url_gets_414(kfdash):
    r = kfdash.get("/" + "a" * 9000)
    assert r.status_code == 414
    assert r.json()["error"] == "request target too long"


def test_very_long_url_gets_414(kfdash):
    req = b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert status_of(kfdash.raw(req)) == 414


def test_declared_body_over_the_limit_gets_413_before_it_is_sent(start):
    k = start(args=["--max-body-bytes", "1000"])
    head = (b"POST /api/dashboard-links HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
            b"Expect: 100-continue\r\n\r\n")
    answer = k.raw(head)
    assert status_of(answer) == 413
    assert b"100 Continue" not in answer


def test_chunked_body_over_the_limit_gets_413(start):
    k = start(args=["--max-body-bytes", "1000"])
    body = b"".join(b"%x\r\n%s\r\n" % (500, b"x" * 500) for _ in range(4)) + b"0\r\n\r\n"
    req = b"POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    assert status_of(k.raw(req)) == 413


def test_body_within_the_limit_reaches_routing(start):
    k = start(args=["--max-body-bytes", "1000"])
    r = __import__("requests").post(k.url + "/api/nothing-here", data=b"x" * 999, timeout=5)
    assert r.status_code == 404


def test_malformed_content_length_gets_400(kfdash):
    req = b"POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n"
    assert status_of(kfdash.raw(req)) == 400


def test_connections_over_the_limit_get_503_and_others_keep_working(start):
    k = start(args=["--max-connections", "3"])
    held = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", k.port))
        held.append(s)
    time.sleep(0.2)
    try:
        answer = k.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(answer) == 503
        assert b"too many open connections" in answer
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert k.get("/healthz").status_code == 200


def test_silent_connection_is_closed_after_the_idle_timeout(start):
    k = start(args=["--idle-timeout", "1"])
    s = socket.create_connection(("127.0.0.1", k.port))
    s.settimeout(5)
    t0 = time.monotonic()
    assert s.recv(1) == b""
    assert 0.5 < time.monotonic() - t0 < 4
    s.close()


def test_client_dripping_its_headers_is_cut_off_by_the_request_timeout(start):
    k = start(args=["--request-timeout", "2", "--idle-timeout", "30"])
    s = socket.create_connection(("127.0.0.1", k.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < 8:
        try:
            s.sendall(b"X-Drip: a\r\n")
        except OSError:
            closed = True
            break
        s.settimeout(0.3)
        try:
            if s.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            pass
    s.close()
    assert closed, "a client dripping headers kept its connection past the request timeout"
    assert time.monotonic() - t0 < 5
    assert k.get("/healthz").status_code == 200
    metrics = k.get("/metrics").text
    assert "kfdash_http_timeouts_total 1" in metrics


def test_slow_clients_do_not_block_others(start):
    k = start(args=["--request-timeout", "5", "--threads", "1"])
    slow = [socket.create_connection(("127.0.0.1", k.port)) for _ in range(20)]
    for s in slow:
        s.sendall(b"GET /healthz HTTP/1.1\r\n")
    results = []

    def fetch():
        t0 = time.monotonic()
        results.append((k.get("/healthz").status_code, time.monotonic() - t0))

    threads = [threading.Thread(target=fetch) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in slow:
        s.close()
    assert all(code == 200 and took < 1 for code, took in results), results


def test_one_worker_thread_answers_a_burst_of_256_connections(start):
    # libmicrohttpd 0.9.75's epoll loop with one thread answered none of a burst like this.
    k = start(args=["--threads", "1"])
    sel = selectors.DefaultSelector()
    for _ in range(256):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", k.port))
        sel.register(s, selectors.EVENT_WRITE)
    answered, deadline = 0, time.monotonic() + 10
    try:
        while answered < 256 and time.monotonic() < deadline:
            for key, events in sel.select(timeout=0.2):
                if events & selectors.EVENT_WRITE:
                    key.fileobj.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    sel.modify(key.fileobj, selectors.EVENT_READ)
                elif key.fileobj.recv(65536).startswith(b"HTTP/1.1 200"):
                    answered += 1
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
    assert answered == 256
