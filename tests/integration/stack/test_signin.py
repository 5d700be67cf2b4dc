"""Browser sign-in through the stack's real Dex: login, sessions, logout, CSRF, tokens for scripts.

kfdash listens on the sign-in ports (conftest.signin_port) because Dex accepts only registered redirect URIs
(tests/stack/k8s-up.sh registers them). Each test drives Dex's real password form with requests.
"""
import base64
import json
import os
import tempfile
import time
import urllib.parse

import pytest

from conftest import (Refused, begin, dex_rotates_fast, finish, plain_session, set_cookies, sign_in,
                      signin_kfdash, signin_port, start_kfdash, whoami)

ALICE, BOB = "alice@example.com", "bob@example.com"
KEY_A = "a1" * 32
KEY_B = "b2" * 32
RECHECK_S = 3


@pytest.fixture(scope="module")
def kfdash(stack):
    state = tempfile.mkdtemp(prefix="kfdash-signin-")
    k = signin_kfdash(stack, signin_port(0), state, "--session-recheck", str(RECHECK_S))
    yield k
    k.stop()


# ---------------------------------------------------------------- login


def test_sign_in_through_dex_lands_on_rd_with_a_small_httponly_cookie(kfdash, demo_password):
    s, answer = sign_in(kfdash, ALICE, demo_password("alice"), rd="/tokens?ns=alice")
    assert answer.headers["Location"] == "/tokens?ns=alice"
    cookies = set_cookies(answer)
    session = next(c for c in cookies if c.startswith("kfdash_session="))
    value = session.split(";")[0].split("=", 1)[1]
    assert len(value) < 1024 and "alice" not in value
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    # The attempt's own cookie is cleared once used.
    assert any(c.startswith("kfdash_login_") and "Max-Age=0" in c for c in cookies)
    me = whoami(kfdash, s)
    assert me.status_code == 200, me.text
    assert me.json() == {"email": ALICE, "groups": [], "source": "session"}


def test_browsers_reach_dex_at_another_address_than_its_issuer(stack, demo_password):
    # Kubeflow's Dex has an in-cluster issuer (dex.auth.svc.cluster.local) that browsers cannot
    # reach; they sign in at /dex/auth through the gateway. Here "localhost" stands for that
    # address: the ID token still names the issuer kfdash trusts.
    issuer = stack["DEX_ISSUER"]
    browser_dex = issuer.replace(urllib.parse.urlsplit(issuer).hostname, "localhost", 1) + "/auth"
    assert browser_dex != issuer + "/auth"
    k = signin_kfdash(stack, signin_port(1), tempfile.mkdtemp(prefix="kfdash-signin-"),
                      "--oidc-authorization-url", browser_dex)
    try:
        s = plain_session()
        dex_url = begin(s, k)
        assert dex_url.startswith(browser_dex + "?client_id="), dex_url
        assert finish(s, k, dex_url, ALICE, demo_password("alice")).status_code == 302
        assert whoami(k, s).json()["email"] == ALICE
    finally:
        k.stop()


def test_wrong_password_gets_dexs_error_and_no_session(kfdash, demo_password):
    s = plain_session()
    with pytest.raises(Refused) as refused:
        finish(s, kfdash, begin(s, kfdash), ALICE, demo_password("alice") + "-wrong")
    assert "Invalid" in str(refused.value) or "invalid" in str(refused.value)
    assert "kfdash_session" not in s.cookies
    assert whoami(kfdash, s).status_code == 401


def test_two_tabs_signing_in_at_once_both_succeed(kfdash, demo_password):
    s = plain_session()
    first, second = begin(s, kfdash, "/first"), begin(s, kfdash, "/second")
    # The second tab finishes first; the first tab's attempt is still its own.
    assert finish(s, kfdash, second, ALICE, demo_password("alice")).headers["Location"] == "/second"
    assert finish(s, kfdash, first, ALICE, demo_password("alice")).headers["Location"] == "/first"
    assert whoami(kfdash, s).status_code == 200


@pytest.mark.parametrize("rd", ["//evil.example", "https://evil.example", "/\\evil.example",
                                "evil.example/path"])
def test_rd_that_would_leave_the_site_is_refused(kfdash, rd):
    r = plain_session().get(f"{kfdash.url}/auth/login", params={"rd": rd}, allow_redirects=False,
                            timeout=10)
    assert r.status_code == 400
    assert "evil" not in r.headers.get("Location", "")


def test_a_callback_without_its_attempt_cookie_is_refused(kfdash):
    r = plain_session().get(f"{kfdash.url}/auth/callback",
                            params={"code": "x", "state": "A" * 43}, allow_redirects=False,
                            timeout=10)
    assert r.status_code == 400 and "kfdash_session" not in r.headers.get("Set-Cookie", "")


def test_pkce_and_nonce_are_sent_to_dex(kfdash):
    q = urllib.parse.parse_qs(urllib.parse.urlparse(begin(plain_session(), kfdash)).query)
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43
    assert len(q["nonce"][0]) == 43 and len(q["state"][0]) == 43
    assert q["redirect_uri"] == [f"{kfdash.url}/auth/callback"]
    assert "offline_access" in q["scope"][0].split()


# ---------------------------------------------------------------- refusing strangers


def test_api_without_credentials_gets_401_json_and_a_browser_is_sent_to_sign_in(kfdash):
    r = whoami(kfdash)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in r.json()
    page = plain_session().get(f"{kfdash.url}/auth/check/notebooks/alice?x=1", timeout=10,
                               headers={"Accept": "text/html"}, allow_redirects=False)
    assert page.status_code == 302
    assert page.headers["Location"] == "/auth/login?rd=%2Fnotebooks%2Falice%3Fx%3D1"
    api = plain_session().get(f"{kfdash.url}/auth/check/api/namespaces", timeout=10,
                              headers={"Accept": "text/html"}, allow_redirects=False)
    assert api.status_code == 401
    # nginx's auth_request takes only 401/403 as a refusal: never a redirect for it.
    nginx = plain_session().get(f"{kfdash.url}/auth/check", timeout=10, allow_redirects=False,
                                headers={"Accept": "text/html", "X-Original-URI": "/notebooks/"})
    assert nginx.status_code == 401


def test_a_spoofed_kubeflow_userid_changes_nothing(kfdash, demo_password):
    assert whoami(kfdash, headers={"kubeflow-userid": ALICE}).status_code == 401
    s, _ = sign_in(kfdash, BOB, demo_password("bob"))
    me = whoami(kfdash, s, headers={"kubeflow-userid": ALICE, "X-Auth-Request-Email": ALICE})
    assert me.json()["email"] == BOB


def test_a_tampered_session_cookie_is_refused_and_cleared(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    value = s.cookies["kfdash_session"]
    mid = len(value) // 2
    forged = value[:mid] + ("A" if value[mid] != "A" else "B") + value[mid + 1:]
    r = whoami(kfdash, cookies={"kfdash_session": forged})
    assert r.status_code == 401
    assert any(c.startswith("kfdash_session=;") for c in set_cookies(r))


# ---------------------------------------------------------------- logout


def test_logout_ends_the_session_for_good(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    stolen = s.cookies["kfdash_session"]
    r = s.get(f"{kfdash.url}/auth/logout", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    assert any(c.startswith("kfdash_session=;") and "Max-Age=0" in c for c in set_cookies(r))
    # Reusing the cookie kept from before the logout: refused.
    assert whoami(kfdash, cookies={"kfdash_session": stolen}).status_code == 401
    assert plain_session().get(f"{kfdash.url}/auth/check", cookies={"kfdash_session": stolen},
                               timeout=10).status_code == 401


# ---------------------------------------------------------------- CSRF


def test_a_state_change_by_cookie_needs_the_csrf_token(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    url = f"{kfdash.url}/api/tokens"
    body = {"name": "csrf-test", "expires_in_days": 1}
    assert s.post(url, json=body, timeout=10).status_code == 403
    csrf = s.cookies["kfdash_csrf"]
    assert s.post(url, json=body, headers={"X-CSRF-Token": "x" * 43}, timeout=10).status_code == 403
    other = s.post(url, json=body, timeout=10,
                   headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert other.status_code == 403
    cross = s.post(url, json=body, timeout=10,
                   headers={"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    ok = s.post(url, json=body, timeout=10,
                headers={"X-CSRF-Token": csrf, "Origin": kfdash.url, "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 201, ok.text


# ---------------------------------------------------------------- tokens for scripts


def test_a_dex_id_token_is_a_bearer(kfdash, dex_login, demo_password):
    token = dex_login(ALICE, demo_password("alice"))
    me = whoami(kfdash, headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["source"] == "id-token"


def test_a_service_account_token_is_checked_by_tokenreview(kfdash, admin):
    r = admin.post("/api/v1/namespaces/alice/serviceaccounts/default-editor/token",
                   json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                         "spec": {"expirationSeconds": 600}})
    assert r.status_code == 201, r.text
    token = r.json()["status"]["token"]
    me = whoami(kfdash, headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "system:serviceaccount:alice:default-editor"
    assert me.json()["source"] == "service-account"
    assert "system:serviceaccounts:alice" in me.json()["groups"]
    # The same token with one byte changed: the apiserver says no.
    bad = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert whoami(kfdash, headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_a_personal_access_token_works_until_revoked(kfdash, demo_password):
    s, _ = sign_in(kfdash, BOB, demo_password("bob"))
    csrf = {"X-CSRF-Token": s.cookies["kfdash_csrf"], "Origin": kfdash.url}
    made = s.post(f"{kfdash.url}/api/tokens", json={"name": "nightly", "expires_in_days": 7},
                  headers=csrf, timeout=10)
    assert made.status_code == 201, made.text
    token, tid = made.json()["token"], made.json()["id"]
    assert token.startswith("kfp_") and len(token) == 47
    bearer = {"Authorization": f"Bearer {token}"}
    me = whoami(kfdash, headers=bearer)
    assert me.json() == {"email": BOB, "groups": [], "source": "personal-token"}
    listed = s.get(f"{kfdash.url}/api/tokens", timeout=10).json()["tokens"]
    assert [t["name"] for t in listed if t["id"] == tid] == ["nightly"]
    assert token not in str(listed)
    # Another user cannot revoke it.
    a, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    other = a.delete(f"{kfdash.url}/api/tokens/{tid}", timeout=10,
                     headers={"X-CSRF-Token": a.cookies["kfdash_csrf"], "Origin": kfdash.url})
    assert other.status_code == 404
    assert s.delete(f"{kfdash.url}/api/tokens/{tid}", headers=csrf, timeout=10).status_code == 204
    assert whoami(kfdash, headers=bearer).status_code == 401


@pytest.mark.parametrize("body, message", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 65}, "name"),
    ({"name": "ok", "expires_in_days": 0}, "expires_in_days"),
    ({"name": "ok", "expires_in_days": 366}, "expires_in_days"),
    ({"name": "ok", "expires_in_days": 1.5}, "expires_in_days"),
])
def test_a_bad_token_request_gets_a_clear_400(kfdash, demo_password, body, message):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    r = s.post(f"{kfdash.url}/api/tokens", json=body, timeout=10,
               headers={"X-CSRF-Token": s.cookies["kfdash_csrf"], "Origin": kfdash.url})
    assert r.status_code == 400 and message in r.json()["error"]


# ---------------------------------------------------------------- renewal at Dex


def test_a_session_renews_at_dex_and_the_authorizer_passes_the_new_cookie_on(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    before = s.cookies["kfdash_session"]
    time.sleep(RECHECK_S + 1)
    r = s.get(f"{kfdash.url}/auth/check", timeout=10)
    assert r.status_code == 200 and r.headers["kubeflow-userid"] == ALICE
    renewed = [c for c in set_cookies(r) if c.startswith("kfdash_session=")]
    assert renewed, "no renewed session cookie on /auth/check"
    assert s.cookies["kfdash_session"] != before
    # Dex rotated the refresh token; renewing again with the new one works too.
    time.sleep(RECHECK_S + 1)
    again = whoami(kfdash, s)
    assert again.status_code == 200, again.text
    assert any(c.startswith("kfdash_session=") for c in set_cookies(again))


# ---------------------------------------------------------------- restarts and keys


def test_a_restart_signs_nobody_out_and_a_retired_key_does(stack, demo_password, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(KEY_A + "\n")
    state = str(tmp_path)
    k = signin_kfdash(stack, signin_port(1), state, "--session-keys-file", str(keys))
    s, _ = sign_in(k, ALICE, demo_password("alice"))
    k.stop()
    # Restarted with the same keys and database: still signed in.
    k = signin_kfdash(stack, signin_port(1), state, "--session-keys-file", str(keys))
    assert whoami(k, s).status_code == 200
    k.stop()
    # Rotation: a new first key, the old one still listed: old sessions go on.
    keys.write_text(KEY_B + "\n" + KEY_A + "\n")
    k = signin_kfdash(stack, signin_port(1), state, "--session-keys-file", str(keys))
    assert whoami(k, s).status_code == 200
    k.stop()
    # The old key retired: its cookies are refused.
    keys.write_text(KEY_B + "\n")
    k = signin_kfdash(stack, signin_port(1), state, "--session-keys-file", str(keys))
    assert whoami(k, s).status_code == 401
    k.stop()


def test_a_session_key_is_made_once_in_the_state_dir(stack, tmp_path):
    k = signin_kfdash(stack, signin_port(2), str(tmp_path))
    k.stop()
    key = (tmp_path / "session.keys").read_text()
    assert len(key.strip()) == 64 and oct((tmp_path / "session.keys").stat().st_mode)[-3:] == "600"
    k = signin_kfdash(stack, signin_port(2), str(tmp_path))
    k.stop()
    assert (tmp_path / "session.keys").read_text() == key


# ---------------------------------------------------------------- Dex trouble


def password_grant(stack, email, password):
    r = plain_session().post(stack["DEX_ISSUER"] + "/token", timeout=10,
                             auth=(stack["DEX_CLIENT_ID"], stack["DEX_CLIENT_SECRET"]),
                             data={"grant_type": "password", "scope": "openid email profile",
                                   "username": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["id_token"]


def kid_of(token):
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def test_a_dex_key_rotation_signs_nobody_out(kfdash, stack, demo_password):
    if not dex_rotates_fast(stack):
        pytest.skip("this stack's Dex rotates its keys every few hours (a reused demo stack)")
    password = demo_password("alice")
    s, _ = sign_in(kfdash, ALICE, password)
    before = password_grant(stack, ALICE, password)
    assert whoami(kfdash, headers={"Authorization": f"Bearer {before}"}).status_code == 200
    deadline = time.monotonic() + 120
    after = before
    while kid_of(after) == kid_of(before):
        assert time.monotonic() < deadline, "Dex did not rotate its signing key in 120 s"
        time.sleep(2)
        after = password_grant(stack, ALICE, password)
    # The first token signed with the new key passes at once (kfdash fetches the new key set)...
    t0 = time.monotonic()
    assert whoami(kfdash, headers={"Authorization": f"Bearer {after}"}).status_code == 200
    assert time.monotonic() - t0 < 7
    # ...and tokens and sessions from before the rotation go on.
    assert whoami(kfdash, headers={"Authorization": f"Bearer {before}"}).status_code == 200
    assert whoami(kfdash, s).status_code == 200


def test_the_first_sign_in_after_a_key_rotation_succeeds(kfdash, stack, demo_password):
    if not dex_rotates_fast(stack):
        pytest.skip("this stack's Dex rotates its keys every few hours (a reused demo stack)")
    keys = lambda: plain_session().get(stack["DEX_ISSUER"] + "/keys", timeout=10).json()["keys"]
    before = {k["kid"] for k in keys()}
    # kfdash knows the current keys: a sign-in now makes it fetch them if needed.
    sign_in(kfdash, ALICE, demo_password("alice"))
    deadline = time.monotonic() + 120
    while {k["kid"] for k in keys()} <= before:
        assert time.monotonic() < deadline, "Dex did not rotate its signing key in 120 s"
        time.sleep(1)
    # The new key signs this login's ID token; kfdash fetches it instead of refusing.
    _, answer = sign_in(kfdash, ALICE, demo_password("alice"))
    assert answer.headers["Location"] == "/"


def test_with_dex_down_sessions_go_on_and_the_login_page_says_so(kfdash, demo_password, dex_down):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    with dex_down():
        # Past the renewal time: renewing fails, the session goes on.
        time.sleep(RECHECK_S + 1)
        me = whoami(kfdash, s)
        assert me.status_code == 200 and me.json()["email"] == ALICE
        page = plain_session().get(f"{kfdash.url}/auth/login", allow_redirects=False, timeout=10)
        assert page.status_code == 503 and "unreachable" in page.text
        assert page.headers["Content-Type"].startswith("text/html")
    # Dex is back: signing in works again, and the old session still renews.
    sign_in(kfdash, BOB, demo_password("bob"))
    time.sleep(1)
    assert whoami(kfdash, s).status_code == 200


def test_a_dex_restart_signs_nobody_out(kfdash, demo_password, dex_down):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    with dex_down():
        pass
    time.sleep(RECHECK_S + 1)
    me = whoami(kfdash, s)
    assert me.status_code == 200
    # The renewal after the restart went through Dex (Dex keeps its refresh tokens in storage).
    assert any(c.startswith("kfdash_session=") for c in set_cookies(me))


def test_over_tls_the_session_cookies_are_host_only_and_a_planted_plain_one_is_ignored(
        stack, tmp_path, demo_password):
    """Behind a TLS-terminating proxy kfdash trusts, its cookies are __Host- cookies: Secure,
    Path=/, no Domain, so no other host under the same domain can set one. The redirect URL Dex
    knows stays plain http here; the proxy's X-Forwarded-Proto says https."""
    tls = {"X-Forwarded-Proto": "https"}
    k = signin_kfdash(stack, signin_port(2), str(tmp_path), "--trusted-proxies", "127.0.0.1/32",
                      "--oidc-redirect-url", f"http://127.0.0.1:{signin_port(2)}/auth/callback")
    try:
        s = plain_session()
        start = s.get(f"{k.url}/auth/login", headers=tls, allow_redirects=False, timeout=10)
        attempt = next(c for c in set_cookies(start) if c.startswith("kfdash_login_")).split(";")[0]
        r = s.get(start.headers["Location"], timeout=10)
        r = s.post(r.url, data={"login": ALICE, "password": demo_password("alice")},
                   allow_redirects=False, timeout=10)
        location = urllib.parse.urljoin(r.url, r.headers["Location"])
        while not location.startswith(k.url):
            r = s.get(location, allow_redirects=False, timeout=10)
            location = urllib.parse.urljoin(r.url, r.headers["Location"])
        done = plain_session().get(location, headers={**tls, "Cookie": attempt}, allow_redirects=False,
                                   timeout=10)
        assert done.status_code == 302, done.text
        cookies = {c.split("=", 1)[0]: c for c in set_cookies(done)}
        for name in ("__Host-kfdash_session", "__Host-kfdash_csrf"):
            assert name in cookies, cookies
            assert "; Secure" in cookies[name] and "Path=/;" in cookies[name]
            assert "Domain" not in cookies[name]
        value = cookies["__Host-kfdash_session"].split(";")[0].split("=", 1)[1]
        me = plain_session().get(f"{k.url}/api/whoami", timeout=10,
                                 headers={**tls, "Cookie": f"__Host-kfdash_session={value}"})
        assert me.status_code == 200 and me.json()["email"] == ALICE
        planted = plain_session().get(f"{k.url}/api/whoami", timeout=10,
                                      headers={**tls, "Cookie": f"kfdash_session={value}"})
        assert planted.status_code == 401
    finally:
        k.stop()


def test_cookies_are_secure_only_behind_a_trusted_tls_proxy(kfdash, stack, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "dash.example.com"}
    # kfdash trusts no proxy here: the headers change nothing.
    r = plain_session().get(f"{kfdash.url}/auth/login", headers=forwarded, allow_redirects=False,
                            timeout=10)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
    assert q["redirect_uri"] == [f"{kfdash.url}/auth/callback"]
    assert "Secure" not in r.headers["Set-Cookie"]
    k = signin_kfdash(stack, signin_port(2), str(tmp_path), "--trusted-proxies", "127.0.0.1/32")
    try:
        r = plain_session().get(f"{k.url}/auth/login", headers=forwarded, allow_redirects=False,
                                timeout=10)
        q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["Location"]).query)
        assert q["redirect_uri"] == ["https://dash.example.com/auth/callback"]
        assert "; Secure" in r.headers["Set-Cookie"]
    finally:
        k.stop()
