"""Two kfdash replicas behind one Service share only the session key (DESIGN "Scale").

With shared_state=kubernetes every replica mirrors sessions (their sealed refresh tokens and
sign-outs) and personal access tokens as Secrets in kfdash's own namespace, so a session or a
token made on one replica works on the other, and a sign-out or a revoked token ends everywhere.
Real apiserver (kfdash's own ServiceAccount token and RBAC), real Dex.

Replica A signs browsers in, so it listens on a port Dex accepts as a redirect (signin_port(2)); the
others only need any free port.
"""
import base64
import tempfile
import time
import uuid

import pytest

from conftest import (GATEWAY_CLUSTER_ADMIN, call_as, gateway_kfdash, plain_session, set_cookies,
                      sign_in, signin_port, start_kfdash, until, whoami)

RECHECK_S = 2
NAMESPACE = "kubeflow"
SELECTOR = "app.kubernetes.io/managed-by=kfdash"
PORT_A = signin_port(2)
SIGNED_OUT = "this session has been signed out"


def replica(stack, keys, port=None, *extra):
    state = tempfile.mkdtemp(prefix="kfdash-replica-")
    return start_kfdash(stack, "--state-dir", state, "--session-keys-file", keys,
                        "--pod-namespace", NAMESPACE, "--shared-state", "kubernetes",
                        "--session-recheck", str(RECHECK_S),
                        "--kube-api", stack["KFDASH_APISERVER"],
                        "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                        "--kube-ca-file", stack["KFDASH_STACK_CA"], *extra, port=port,
                        env={"KFDASH_OIDC_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"]})


@pytest.fixture(scope="module")
def users(stack):
    """Two Dex users of this module's own: a new sign-in of a user at Dex ends that user's
    earlier refresh token for the client, so users other tests sign in as would race."""
    k = gateway_kfdash(stack)
    made = {}
    try:
        for who in ("user", "other"):
            email, password = f"replicas-{who}-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
            r = call_as(k, GATEWAY_CLUSTER_ADMIN, "POST", "/api/admin/users",
                        json={"email": email, "password": password})
            assert r.status_code == 201, r.text
            made[who] = (email, password)
        yield made
    finally:
        for email, _ in made.values():
            call_as(k, GATEWAY_CLUSTER_ADMIN, "DELETE", f"/api/admin/users/{email}")
        k.stop()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    path = tmp_path_factory.mktemp("replica-keys") / "session.keys"
    path.write_text("c3" * 32 + "\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture(scope="module")
def pair(stack, keys):
    a = replica(stack, keys, PORT_A)
    b = replica(stack, keys)
    yield a, b
    b.stop()
    a.stop()


def csrf_headers(session, k):
    return {"X-CSRF-Token": session.cookies["kfdash_csrf"], "Origin": k.url}


def make_token(session, k, name="replicas"):
    made = session.post(f"{k.url}/api/tokens", json={"name": name, "expires_in_days": 1},
                        headers=csrf_headers(session, k), timeout=10)
    assert made.status_code == 201, made.text
    return made.json()["token"], made.json()["id"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def managed_secrets(admin):
    r = admin.get(f"/api/v1/namespaces/{NAMESPACE}/secrets", params={"labelSelector": SELECTOR})
    assert r.status_code == 200, r.text
    return r.json()["items"]


# ---------------------------------------------------------------- sessions


def test_a_session_made_on_one_replica_renews_on_the_other(pair, users):
    a, b = pair
    s, _ = sign_in(a, *users["user"])
    assert whoami(b, s).status_code == 200
    # Past the recheck, B renews at Dex with the refresh token A stored (and rotates it).
    time.sleep(RECHECK_S + 1)
    before = s.cookies["kfdash_session"]
    renewed = whoami(b, s)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["email"] == users["user"][0]
    assert any(c.startswith("kfdash_session=") and "Max-Age=0" not in c
               for c in set_cookies(renewed)), "B did not renew the session"
    assert s.cookies["kfdash_session"] != before
    # Dex spent the old refresh token; A learned B's new one and renews with it in turn.
    time.sleep(RECHECK_S + 1)
    again = whoami(a, s)
    assert again.status_code == 200, again.text
    assert any(c.startswith("kfdash_session=") and "Max-Age=0" not in c for c in set_cookies(again))
    time.sleep(RECHECK_S + 1)
    assert whoami(b, s).status_code == 200


def test_a_stolen_cookie_is_refused_on_the_other_replica_after_logout(pair, users):
    a, b = pair
    s, _ = sign_in(a, *users["user"])
    stolen = s.cookies["kfdash_session"]
    assert whoami(b, cookies={"kfdash_session": stolen}).status_code == 200
    out = s.get(f"{a.url}/auth/logout", allow_redirects=False, timeout=10)
    assert out.status_code == 302
    # The attack: the copy of the cookie replayed on the replica that did not see the logout,
    # before any renewal would have caught it.
    refused = until(lambda: (r := whoami(b, cookies={"kfdash_session": stolen})).status_code == 401
                    and r.json(), "B refuses the signed-out session")
    # Refused as signed out, not merely because a renewal happened to fail.
    assert refused["error"] == SIGNED_OUT
    assert whoami(a, cookies={"kfdash_session": stolen}).json()["error"] == SIGNED_OUT


# ---------------------------------------------------------------- personal access tokens


def test_a_token_made_on_one_replica_works_on_the_other_and_dies_everywhere(pair, users):
    a, b = pair
    s, _ = sign_in(a, *users["user"])
    token, tid = make_token(s, a)
    # Answered only once the cluster has it: B knows it within the watch's latency.
    me = until(lambda: (r := whoami(b, headers=bearer(token))).status_code == 200 and r,
               "B accepts the token made on A", seconds=2)
    assert me.json() == {"email": users["user"][0], "groups": [], "source": "personal-token"}
    listed = until(lambda: [t for t in s.get(f"{b.url}/api/tokens", timeout=10).json()["tokens"]
                            if t["id"] == tid], "B lists the token")
    assert listed[0]["name"] == "replicas"
    # Another user cannot revoke it on B either.
    other, _ = sign_in(a, *users["other"])
    assert other.delete(f"{b.url}/api/tokens/{tid}", headers=csrf_headers(other, b),
                        timeout=10).status_code == 404
    # Revoked on B: refused on A within a second or two.
    gone = s.delete(f"{b.url}/api/tokens/{tid}", headers=csrf_headers(s, b), timeout=10)
    assert gone.status_code == 204, gone.text
    assert whoami(b, headers=bearer(token)).status_code == 401
    until(lambda: whoami(a, headers=bearer(token)).status_code == 401, "A refuses the token", 2)
    assert not [t for t in s.get(f"{a.url}/api/tokens", timeout=10).json()["tokens"]
                if t["id"] == tid]


def test_a_replica_started_later_knows_the_tokens_and_sign_outs(stack, keys, pair, users):
    a, _ = pair
    s, _ = sign_in(a, *users["user"])
    token, _ = make_token(s, a, "later")
    ended, _ = sign_in(a, *users["other"])
    stolen = ended.cookies["kfdash_session"]
    assert ended.get(f"{a.url}/auth/logout", allow_redirects=False, timeout=10).status_code == 302
    c = replica(stack, keys)
    try:
        # Ready means it has read every Secret: no waiting needed.
        assert whoami(c, headers=bearer(token)).json()["email"] == users["user"][0]
        assert whoami(c, cookies={"kfdash_session": stolen}).json()["error"] == SIGNED_OUT
        assert whoami(c, s).status_code == 200
    finally:
        c.stop()


# ---------------------------------------------------------------- what the cluster holds


def test_the_secrets_hold_no_usable_secret(stack, pair, admin, users):
    a, b = pair
    s, _ = sign_in(a, *users["user"])
    token, tid = make_token(s, a, "audit")
    session_ids = {x for x in s.cookies.values()}
    texts = []
    for item in managed_secrets(admin):
        assert item["metadata"]["labels"]["kfdash.dev/state"] in ("session", "token")
        data = {k: base64.b64decode(v).decode() for k, v in item.get("data", {}).items()}
        texts.append(str(data))
        if item["metadata"]["name"] == f"kfdash-token-{tid}":
            assert data["email"] == users["user"][0] and data["name"] == "audit"
            assert len(data["hash"]) == 64 and data["hash"] != token
    blob = "\n".join(texts)
    assert f"kfdash-token-{tid}" in {i["metadata"]["name"] for i in managed_secrets(admin)}
    # Neither the token's secret nor the cookie's contents are in the cluster.
    assert token not in blob and token[4:] not in blob
    for value in session_ids:
        assert value not in blob
    # The stored refresh token is sealed with the session key: a reader of the Secret who
    # also holds kfdash's client credentials still cannot use it at Dex.
    mine = [i for i in managed_secrets(admin) if i["metadata"]["labels"]["kfdash.dev/state"] ==
            "session" and base64.b64decode(i["data"]["email"]).decode() == users["user"][0] and
            "refresh" in i["data"]]
    assert mine, "no session Secret with a refresh token for alice"
    for item in mine:
        stored = base64.b64decode(item["data"]["refresh"]).decode()
        r = plain_session().post(stack["DEX_ISSUER"] + "/token", timeout=10,
                                 auth=(stack["DEX_CLIENT_ID"], stack["DEX_CLIENT_SECRET"]),
                                 data={"grant_type": "refresh_token", "refresh_token": stored})
        assert r.status_code != 200 and "token" not in r.json().get("error", "") + str(
            [k for k in r.json() if k.endswith("_token")]), (r.status_code, r.text[:200])
    # And the session still works: the refused attempt spent nothing.
    assert whoami(b, s).status_code == 200
    sessions = [i for i in managed_secrets(admin)
                if i["metadata"]["labels"]["kfdash.dev/state"] == "session"]
    assert sessions and all(i["metadata"]["name"].startswith("kfdash-session-") and
                            len(i["metadata"]["name"]) == len("kfdash-session-") + 40
                            for i in sessions)
