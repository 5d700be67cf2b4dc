"""A replica killed mid-renewal, with shared_state=kubernetes (two replicas as in
test_replicas.py: one session key, sessions mirrored as Secrets in kfdash's namespace).

Replica A is renewing a session at Dex (its refresh call is under way: Dex is frozen for that
moment) when it is killed (SIGKILL: it never learns Dex's answer, nor stores the refresh token
Dex rotated). What the user notices: their next request, sent to the other replica as a load
balancer would, still finds them signed in, and the session keeps renewing there.

Dex rotates refresh tokens and accepts the one it replaced for 3 s more (its default
refreshTokens.reuseInterval); that is the window in which B's renewal with the token A last
stored succeeds, so the user's next request here follows at once, as a retry would.
"""
import concurrent.futures
import tempfile
import time
import uuid

import pytest
import requests

from conftest import (GATEWAY_CLUSTER_ADMIN, call_as, gateway_kfdash, set_cookies, sign_in,
                      signin_port, start_kfdash, whoami)
from faults import frozen, say, stack_pid

RECHECK_S = 2
PORT_A = signin_port(1)


def replica(stack, keys, port=None):
    return start_kfdash(stack, "--state-dir", tempfile.mkdtemp(prefix="kfdash-fault-replica-"),
                        "--session-keys-file", keys, "--pod-namespace", "kubeflow",
                        "--shared-state", "kubernetes", "--session-recheck", str(RECHECK_S),
                        "--kube-api", stack["KFDASH_APISERVER"],
                        "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                        "--kube-ca-file", stack["KFDASH_STACK_CA"], port=port,
                        env={"KFDASH_OIDC_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"]})


@pytest.fixture
def user(stack):
    """A Dex user of this test's own (a sign-in of a shared demo user would end other tests'
    refresh tokens)."""
    k = gateway_kfdash(stack)
    email, password = f"fault-replica-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    try:
        r = call_as(k, GATEWAY_CLUSTER_ADMIN, "POST", "/api/admin/users",
                    json={"email": email, "password": password})
        assert r.status_code == 201, r.text
        yield email, password
    finally:
        call_as(k, GATEWAY_CLUSTER_ADMIN, "DELETE", f"/api/admin/users/{email}")
        k.stop()


def renewed(answer):
    return any(c.startswith("kfdash_session=") and "Max-Age=0" not in c for c in set_cookies(answer))


def test_a_replica_killed_mid_renewal_leaves_the_session_working_on_the_other(stack, user, tmp_path):
    keys = tmp_path / "session.keys"
    keys.write_text("d4" * 32 + "\n")
    keys.chmod(0o600)
    a = replica(stack, str(keys), PORT_A)
    b = replica(stack, str(keys))
    try:
        s, _ = sign_in(a, *user)
        assert whoami(b, s).status_code == 200
        time.sleep(RECHECK_S + 1)  # the session is due for renewal
        dex = stack_pid(stack, "dex")
        with frozen(dex), concurrent.futures.ThreadPoolExecutor(1) as pool:
            # A takes the request and asks Dex to renew: the call waits on the frozen Dex.
            on_a = pool.submit(whoami, a, s, timeout=30)
            time.sleep(1)
            assert not on_a.done(), on_a.result().text
            a.proc.kill()  # SIGKILL, mid-renewal
            a.proc.wait()
            with pytest.raises(requests.ConnectionError):
                on_a.result()
        # Dex is back and has now handled A's refresh (rotating the token A never stored).
        t0 = time.monotonic()
        r = whoami(b, s)
        say(f"replica A killed mid-renewal: the next request, on B {time.monotonic() - t0:.2f} s "
            f"after Dex resumed: {r.status_code} {r.text[:150]}; renewed: {renewed(r)}")
        assert r.status_code == 200 and r.json()["email"] == user[0], r.text
        assert renewed(r), "B did not renew the session"
        # And it keeps renewing on B, with the refresh token Dex handed it.
        for _ in range(2):
            time.sleep(RECHECK_S + 1)
            again = whoami(b, s)
            open("/tmp/b.log", "w").write(b.log())
            assert again.status_code == 200 and renewed(again), (again.text, b.log()[-5000:])
    finally:
        b.stop()
        a.stop(expect_code=-9)
