"""Traversal attempts never leak a file and never reach a handler as another path."""
import os

import pytest

from conftest import status_of

SECRET = b"TOP-SECRET-CONTENT"


@pytest.fixture
def webdir_kfdash(start, tmp_path):
    web = tmp_path / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>app</title>")
    (web / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    os.symlink(tmp_path / "secret.txt", web / "link.txt")
    return start(args=["--web-dir", str(web)])


ATTEMPTS = [
    b"/../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/secret.txt",
    b"/assets/../../secret.txt",
    b"/assets/%2e%2e/%2e%2e/secret.txt",
    b"/..%2fsecret.txt",
    b"/assets/..%2F..%2Fsecret.txt",
    b"/..%5csecret.txt",
    b"//../secret.txt",
    b"/./../secret.txt",
    b"/index.html%00/../../secret.txt",
    b"/link.txt",
    b"/assets/.%2e/.%2e/secret.txt",
]


@pytest.mark.parametrize("target", ATTEMPTS, ids=[a.decode() for a in ATTEMPTS])
def test_traversal_never_leaks_a_file_outside_the_web_dir(webdir_kfdash, target):
    answer = webdir_kfdash.raw(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert SECRET not in answer
    assert status_of(answer) in (200, 400, 404)


def test_dot_segments_resolve_to_the_path_that_is_routed(kfdash):
    answer = kfdash.raw(b"GET /api/%2e%2e/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 200 and b'{"status":"ok"}' in answer
    answer = kfdash.raw(b"GET //api//dashboard-settings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 200 and b"DASHBOARD_FORCE_IFRAME" in answer


@pytest.mark.parametrize("target", [b"/api/x%2Fy", b"/api/a%00b", b"/api/a%0d%0aX:y", b"/a%zz",
                                    b"/..", b"http://evil.example/healthz"])
def test_malformed_paths_get_400_json(kfdash, target):
    answer = kfdash.raw(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 400
    assert b'{"error":"malformed request path"}' in answer


def test_encoded_api_path_is_routed_after_decoding(kfdash):
    r = kfdash.get("/api/dashboard%2Dlinks")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
