"""Trusted-header mode: behind Kubeflow's oauth2-proxy + Istio, only the gateway names the user."""
import requests


def check(k, **headers):
    return requests.get(k.url + "/auth/check", headers=headers, timeout=5)


def test_a_trusted_gateway_names_the_user_and_groups(start):
    k = start(args=["--trusted-header-peers", "127.0.0.0/8"])
    r = check(k, **{"kubeflow-userid": "alice@example.com", "kubeflow-groups": "ml-team, admins"})
    assert r.status_code == 200, r.text
    assert r.headers["kubeflow-userid"] == "alice@example.com"
    assert r.headers["X-Auth-Request-Email"] == "alice@example.com"
    assert r.headers["kubeflow-groups"] == "ml-team,admins"


def test_the_same_header_from_an_untrusted_address_is_refused(start):
    # Trust only ::1: a request from 127.0.0.1 is a client pretending to be the gateway.
    k = start(args=["--trusted-header-peers", "::1"])
    r = check(k, **{"kubeflow-userid": "admin@example.com"})
    assert r.status_code == 401 and "kubeflow-userid" not in r.headers


def test_without_trusted_peers_the_header_is_never_believed(kfdash):
    r = check(kfdash, **{"kubeflow-userid": "admin@example.com", "X-Auth-Request-Email": "admin@example.com"})
    assert r.status_code == 401


def test_userid_prefix_must_be_present_and_is_removed(start):
    k = start(args=["--trusted-header-peers", "127.0.0.1"],
              env={"USERID_HEADER": "X-Goog-Authenticated-User-Email",
                   "USERID_PREFIX": "accounts.google.com:"})
    ok = check(k, **{"X-Goog-Authenticated-User-Email": "accounts.google.com:bob@example.com"})
    assert ok.status_code == 200
    assert ok.headers["X-Goog-Authenticated-User-Email"] == "accounts.google.com:bob@example.com"
    assert ok.headers["X-Auth-Request-Email"] == "bob@example.com"
    assert check(k, **{"X-Goog-Authenticated-User-Email": "bob@example.com"}).status_code == 401
    assert check(k, **{"kubeflow-userid": "bob@example.com"}).status_code == 401


def test_a_malformed_trusted_peer_list_stops_start_up():
    import subprocess
    from conftest import BIN
    out = subprocess.run([BIN, "--check-config", "--trusted-header-peers", "gateway.local"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "--trusted-header-peers" in out.stderr
