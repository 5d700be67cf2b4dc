"""Cluster admins manage Dex's local users from kfdash; every change is proven by signing in
through the stack's real Dex (dex_login drives Dex's own password form)."""
import pytest

from conftest import plain_session, start_kfdash

ADMIN, ALICE = "admin@example.com", "alice@example.com"
FRANK = "frank.admin-test@example.com"


@pytest.fixture(scope="module")
def kfdash(stack):
    k = start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                     "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"], "--cluster-admins", ADMIN)
    yield k
    k.stop()


def call(k, user, method, path, **kw):
    return plain_session().request(method, k.url + path, timeout=30,
                                   headers={"kubeflow-userid": user, "Origin": k.url}, **kw)


def signs_in(dex_login, email, password):
    try:
        return dex_login(email, password) is not None
    except dex_login.Refused:
        return False


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/admin/users"), ("POST", "/api/admin/users"),
    ("PUT", f"/api/admin/users/{ALICE}/password"), ("POST", f"/api/admin/users/{ALICE}/disable"),
    ("DELETE", f"/api/admin/users/{ALICE}"),
])
def test_only_cluster_admins_manage_users(kfdash, method, path):
    r = call(kfdash, ALICE, method, path, json={"password": "whatever-1234"})
    assert r.status_code == 403, r.text


def test_the_demo_users_are_listed(kfdash):
    users = {u["email"]: u for u in call(kfdash, ADMIN, "GET", "/api/admin/users").json()}
    assert {ALICE, "bob@example.com", "carol@example.com", ADMIN} <= set(users)
    assert users[ALICE]["disabled"] is False


def test_a_user_made_here_signs_in_through_dex_and_owns_a_new_profile(kfdash, admin, dex_login):
    password = "first password 1"
    r = call(kfdash, ADMIN, "POST", "/api/admin/users",
             json={"email": FRANK, "password": password, "create_profile": True})
    assert r.status_code == 201, r.text
    assert r.json() == {"email": FRANK, "profile": "frank-admin-test"}
    try:
        assert signs_in(dex_login, FRANK, password)
        profile = admin.get("/apis/kubeflow.org/v1/profiles/frank-admin-test").json()
        assert profile["spec"]["owner"] == {"kind": "User", "name": FRANK}
        again = call(kfdash, ADMIN, "POST", "/api/admin/users",
                     json={"email": FRANK, "password": password})
        assert again.status_code == 409

        # Reset: the old password stops working, the new one works.
        second = "second password 2"
        assert call(kfdash, ADMIN, "PUT", f"/api/admin/users/{FRANK}/password",
                    json={"password": second}).status_code == 204
        assert not signs_in(dex_login, FRANK, password)
        assert signs_in(dex_login, FRANK, second)

        # Disable, then enable: the password is refused, then accepted again.
        assert call(kfdash, ADMIN, "POST", f"/api/admin/users/{FRANK}/disable").status_code == 204
        assert not signs_in(dex_login, FRANK, second)
        listed = {u["email"]: u for u in call(kfdash, ADMIN, "GET", "/api/admin/users").json()}
        assert listed[FRANK]["disabled"] is True
        assert call(kfdash, ADMIN, "POST", f"/api/admin/users/{FRANK}/disable").status_code == 409
        assert call(kfdash, ADMIN, "POST", f"/api/admin/users/{FRANK}/enable").status_code == 204
        assert signs_in(dex_login, FRANK, second)
    finally:
        r = call(kfdash, ADMIN, "DELETE", f"/api/admin/users/{FRANK}")
        admin.delete("/apis/kubeflow.org/v1/profiles/frank-admin-test")
    assert r.status_code == 204
    assert not signs_in(dex_login, FRANK, "second password 2")
    assert call(kfdash, ADMIN, "DELETE", f"/api/admin/users/{FRANK}").status_code == 404


@pytest.mark.parametrize("body, word", [
    ({"email": "no-at-sign", "password": "long enough 1"}, "@"),
    ({"email": "gina@example.com", "password": "short"}, "8"),
    ({"email": "gina@example.com", "password": "x" * 73}, "72"),
    ({"email": "gina@example.com"}, "password"),
    ({"email": "gina@example.com", "password": "long enough 1", "create_profile": True,
      "profile": "Bad_Name"}, "profile"),
])
def test_bad_user_requests_get_a_clear_400(kfdash, body, word):
    r = call(kfdash, ADMIN, "POST", "/api/admin/users", json=body)
    assert r.status_code == 400 and word in r.json()["error"], r.text
