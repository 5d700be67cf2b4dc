"""Forged and misfit ID tokens against kfdash, signed with the stack's real Dex signing key.

Dex keeps its keys in its Kubernetes storage (SigningKey "openid-connect-keys", private part
included), so the test reads the key Dex signs with right now and makes tokens that differ from
a real one in exactly one way each. A control token made the same way with nothing wrong passes,
which proves the refusals are about the one thing changed.
"""
import base64
import hashlib
import json
import time

import pytest

from conftest import plain_session, start_kfdash

ALICE = "alice@example.com"
# DigestInfo prefix of SHA-256 (RFC 8017 section 9.2, note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def as_int(text):
    return int.from_bytes(unb64(text), "big")


def rs256(key, signing_input):
    """RSASSA-PKCS1-v1_5 with SHA-256, from the JWK's n and d."""
    n, d = as_int(key["n"]), as_int(key["d"])
    size = (n.bit_length() + 7) // 8
    t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    em = b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t
    return pow(int.from_bytes(em, "big"), d, n).to_bytes(size, "big")


@pytest.fixture(scope="module")
def dex_key(admin):
    r = admin.get("/apis/dex.coreos.com/v1/namespaces/auth/signingkeies/openid-connect-keys")
    assert r.status_code == 200, r.text
    return r.json()["signingKey"]


@pytest.fixture(scope="module")
def kfdash(stack):
    k = start_kfdash(stack)
    yield k
    k.stop()


@pytest.fixture
def forge(stack, dex_key):
    def make(header=None, sign=True, **claims):
        now = int(time.time())
        body = {"iss": stack["DEX_ISSUER"], "aud": stack["DEX_CLIENT_ID"], "sub": "alice-sub",
                "email": ALICE, "email_verified": True, "iat": now, "exp": now + 600}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        head = {"alg": "RS256", "kid": dex_key["kid"], **(header or {})}
        signing_input = f"{b64(json.dumps(head).encode())}.{b64(json.dumps(body).encode())}"
        sig = b64(rs256(dex_key, signing_input.encode())) if sign else ""
        return f"{signing_input}.{sig}"
    return make


def whoami(k, token):
    return plain_session().get(f"{k.url}/api/whoami", timeout=10,
                               headers={"Authorization": f"Bearer {token}"})


def refused(k, token):
    r = whoami(k, token)
    assert r.status_code == 401, r.text
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    return r.json()["error"]


def test_control_a_well_made_token_passes(kfdash, forge):
    r = whoami(kfdash, forge())
    assert r.status_code == 200, r.text
    assert r.json()["email"] == ALICE and r.json()["source"] == "id-token"


def test_an_expired_token_is_refused(kfdash, forge):
    now = int(time.time())
    assert "expired" in refused(kfdash, forge(iat=now - 900, exp=now - 120))


def test_a_token_expired_within_the_leeway_still_passes(kfdash, forge):
    now = int(time.time())
    assert whoami(kfdash, forge(iat=now - 600, exp=now - 20)).status_code == 200


def test_a_not_yet_valid_token_is_refused(kfdash, forge):
    assert "not yet valid" in refused(kfdash, forge(nbf=int(time.time()) + 300))


def test_a_token_issued_in_the_future_is_refused(kfdash, forge):
    now = int(time.time())
    refused(kfdash, forge(iat=now + 300, exp=now + 900))


def test_a_token_of_another_issuer_is_refused(kfdash, forge, stack):
    # Same key, same everything, but iss names another provider: kfdash does not ask Dex.
    refused(kfdash, forge(iss=stack["DEX_ISSUER"] + "-other"))


def test_a_token_for_another_audience_is_refused(kfdash, forge):
    refused(kfdash, forge(aud="another-client"))


def test_several_audiences_need_azp_naming_kfdash(kfdash, forge, stack):
    both = [stack["DEX_CLIENT_ID"], "another-client"]
    refused(kfdash, forge(aud=both))
    refused(kfdash, forge(aud=both, azp="another-client"))
    assert whoami(kfdash, forge(aud=both, azp=stack["DEX_CLIENT_ID"])).status_code == 200


def test_a_bad_signature_is_refused(kfdash, forge):
    head, body, sig = forge().split(".")
    raw = bytearray(unb64(sig))
    raw[len(raw) // 2] ^= 0x01
    refused(kfdash, f"{head}.{body}.{b64(bytes(raw))}")


def test_an_altered_payload_is_refused(kfdash, forge):
    head, _, sig = forge().split(".")
    _, body, _ = forge(email="admin@example.com").split(".")
    refused(kfdash, f"{head}.{body}.{sig}")


def test_an_unknown_key_id_is_refused_after_one_refetch(kfdash, forge):
    t0 = time.monotonic()
    refused(kfdash, forge(header={"kid": "not-a-dex-key"}))
    assert time.monotonic() - t0 < 8


def test_alg_none_is_refused(kfdash, forge):
    refused(kfdash, forge(header={"alg": "none"}, sign=False))


def test_an_unverified_email_is_refused(kfdash, forge):
    assert "not verified" in refused(kfdash, forge(email_verified=False))


def test_a_token_without_email_is_refused(kfdash, forge):
    refused(kfdash, forge(email=None))
