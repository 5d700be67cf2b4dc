"""kfdash as a gateway's authorizer (/auth/check) with bearer ID tokens from the stack's real Dex."""
import base64
import concurrent.futures
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kfdash_process import Kfdash  # noqa: E402
from conftest import call_as, gateway_kfdash, personal_token, start_kfdash  # noqa: E402

ALICE = "alice@example.com"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = start_kfdash(stack)
    yield k
    k.stop()


@pytest.fixture(scope="module")
def alice_token(dex_login, demo_password):
    return dex_login(ALICE, demo_password("alice"))


def check(k, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(k.url + "/auth/check", headers=headers, timeout=10)


def test_readyz_reports_the_identity_providers_keys(kfdash, stack):
    body = kfdash.get("/readyz").json()
    provider = {c["name"]: c for c in body["checks"]}["identity provider"]
    assert body["ready"] and provider["ready"], body
    assert stack["DEX_ISSUER"] in provider["detail"]


def test_a_dex_id_token_is_allowed_with_the_users_identity_headers(kfdash, alice_token):
    r = check(kfdash, alice_token)
    assert r.status_code == 200, r.text
    assert r.headers["kubeflow-userid"] == ALICE
    assert r.headers["X-Auth-Request-Email"] == ALICE
    assert r.headers["X-Auth-Request-User"] == ALICE
    # Dex's password connector gives no groups: the groups header still comes, so the gateway
    # replaces the client's own, and names the group every signed-in Kubernetes user is in.
    assert r.headers["kubeflow-groups"] == r.headers["X-Auth-Request-Groups"] == "system:authenticated"


def test_a_clients_own_groups_header_is_replaced_for_a_user_in_no_group(kfdash, alice_token):
    # Envoy copies headersToUpstreamOnAllow from this answer over the client's request: had the
    # answer no groups header, the client's "admins" would reach the application.
    r = check(kfdash, alice_token, **{"kubeflow-groups": "admins"})
    assert r.status_code == 200
    assert r.headers["kubeflow-groups"] == "system:authenticated"


def test_a_personal_access_token_is_allowed_as_its_owner(stack, dex_login, demo_password):
    k = gateway_kfdash(stack)
    try:
        r = check(k, personal_token(k, dex_login, ALICE, demo_password("alice")))
        assert r.status_code == 200, r.text
        assert r.headers["kubeflow-userid"] == ALICE
        assert check(k, "kfp_" + "x" * 43).status_code == 401
    finally:
        k.stop()


def test_a_gateway_or_provider_cannot_grant_kubernetes_own_groups(stack):
    # kfdash impersonates the users it proves: a "system:masters" group from a gateway header (or
    # a provider's groups claim) would make anyone cluster-admin at the API server. Such groups are
    # dropped; a user named "system:..." is refused.
    k = gateway_kfdash(stack)
    try:
        bobs_pods = "/api/k8s/api/v1/namespaces/bob/pods"
        masters = {"kubeflow-groups": "system:masters,system:nodes"}
        assert call_as(k, ALICE, "GET", bobs_pods, headers=masters).status_code == 403
        r = call_as(k, ALICE, "GET", "/auth/check", headers=masters)
        assert r.status_code == 200 and r.headers["kubeflow-groups"] == "system:authenticated"
        me = call_as(k, ALICE, "GET", "/api/whoami", headers=masters).json()
        assert not [g for g in me.get("groups", []) if g.startswith("system:")], me
        for user in ("system:admin", "system:serviceaccount:kube-system:default"):
            assert call_as(k, user, "GET", "/api/k8s/api/v1/namespaces").status_code == 401, user
    finally:
        k.stop()


def test_any_method_is_answered(kfdash, alice_token):
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        r = requests.request(method, kfdash.url + "/auth/check", timeout=10,
                             headers={"Authorization": f"Bearer {alice_token}"})
        assert r.status_code == 200, (method, r.status_code)


def test_no_credentials_get_401_json_with_www_authenticate(kfdash):
    r = check(kfdash)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="kfdash"'
    assert "error" in r.json()
    assert "kubeflow-userid" not in r.headers


def test_a_spoofed_kubeflow_userid_header_alone_is_refused(kfdash):
    r = check(kfdash, **{"kubeflow-userid": ALICE, "X-Forwarded-Email": ALICE})
    assert r.status_code == 401
    assert "kubeflow-userid" not in r.headers


def test_a_tampered_token_is_refused(kfdash, alice_token):
    header, payload, sig = alice_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "admin@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    r = check(kfdash, f"{header}.{forged}.{sig}")
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_an_hs256_token_signed_with_dexs_public_key_is_refused(kfdash, stack):
    # The attack on libraries that trust the header's alg: the "secret" is Dex's public key.
    import hashlib
    import hmac
    keys = requests.get(stack["DEX_ISSUER"] + "/keys", timeout=10).json()["keys"]
    now = int(time.time())
    header = {"alg": "HS256", "kid": keys[0]["kid"], "typ": "JWT"}
    claims = {"iss": stack["DEX_ISSUER"], "sub": "x", "aud": stack["DEX_CLIENT_ID"],
              "exp": now + 600, "iat": now, "email": "admin@example.com", "email_verified": True}

    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    signing_input = f"{enc(header)}.{enc(claims)}"
    for secret in (json.dumps(keys[0]).encode(), keys[0]["n"].encode()):
        sig = base64.urlsafe_b64encode(hmac.new(secret, signing_input.encode(), hashlib.sha256)
                                       .digest()).decode().rstrip("=")
        assert check(kfdash, f"{signing_input}.{sig}").status_code == 401
    assert check(kfdash, f"{enc(dict(header, alg='none'))}.{enc(claims)}.").status_code == 401


def test_a_token_for_another_client_is_refused(stack, alice_token):
    k = Kfdash(args=["--oidc-issuer", stack["DEX_ISSUER"], "--oidc-client-id", "another-client"])
    try:
        deadline = time.monotonic() + 15
        while k.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert check(k, alice_token).status_code == 401
    finally:
        k.stop()


@contextlib.contextmanager
def dex_paused(stack):
    """Dex frozen (SIGSTOP): it accepts connections but never answers, the worst way to be down."""
    pid = int((Path(stack["KFDASH_STACK_DIR"]) / "run" / "dex.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_with_dex_down_known_tokens_still_pass_at_once(kfdash, stack, alice_token):
    with dex_paused(stack):
        # Keys are cached: no request waits on the provider.
        t0 = time.monotonic()
        assert check(kfdash, alice_token).status_code == 200
        assert time.monotonic() - t0 < 1
        # A token naming a key we do not hold waits for a refetch (as after a key rotation), but
        # a hung provider holds it back at most 5 s; known tokens meanwhile pass at once.
        header, payload, sig = alice_token.split(".")
        unknown = base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"rotated"}').decode().rstrip("=")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            t0 = time.monotonic()
            waiting = pool.submit(check, kfdash, f"{unknown}.{payload}.{sig}")
            time.sleep(0.3)
            assert check(kfdash, alice_token).status_code == 200
            assert time.monotonic() - t0 < 1.5
            assert waiting.result().status_code == 401
            assert time.monotonic() - t0 < 8


def test_started_while_dex_hangs_kfdash_is_not_ready_answers_401_and_stops_promptly(
        stack, alice_token):
    with dex_paused(stack):
        k = Kfdash(args=["--oidc-issuer", stack["DEX_ISSUER"],
                         "--oidc-client-id", stack["DEX_CLIENT_ID"]])
        ready = k.get("/readyz")
        assert ready.status_code == 503
        provider = {c["name"]: c for c in ready.json()["checks"]}["identity provider"]
        assert not provider["ready"] and "fetching the keys" in provider["detail"]
        t0 = time.monotonic()
        r = check(k, alice_token)
        assert r.status_code == 401 and "not available yet" in r.json()["error"]
        assert time.monotonic() - t0 < 1
        # The first fetch hangs on the frozen Dex: stopping must abort it, not wait it out.
        t0 = time.monotonic()
        k.stop()
        assert time.monotonic() - t0 < 3


def test_a_script_trades_a_password_at_dex_for_a_token_kfdash_accepts(kfdash, stack, demo_password):
    # What `make demo` tells script authors to do (Dex's password grant, passwordConnector: local).
    r = requests.post(stack["DEX_ISSUER"] + "/token", timeout=10,
                      auth=(stack["DEX_CLIENT_ID"], stack["DEX_CLIENT_SECRET"]),
                      data={"grant_type": "password", "scope": "openid email profile",
                            "username": "bob@example.com", "password": demo_password("bob")})
    assert r.status_code == 200, r.text
    answer = check(kfdash, r.json()["id_token"])
    assert answer.status_code == 200 and answer.headers["kubeflow-userid"] == "bob@example.com"
