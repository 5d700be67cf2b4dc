"""k8s/dexpass against the real Dex and apiserver (CONTRACTS §4): a Password object named and
hashed by kfdash's C code logs its user in through Dex's password form.

The C module is not reachable over HTTP yet, so its values come from its unit test binary
(tests/unit/test_dexpass.c), which writes the name, the bcrypt hash and the whole object it made
when KFDASH_TEST_DEX_PASSWORD_OUT is set. It is found next to kfdash: $KFDASH_BIN's directory
/tests/test_dexpass (build/ or build-asan/)."""
import copy
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import ROOT
from test_stack import dex_password_name, passwords_path

BIN_DIR = Path(os.environ.get("KFDASH_BIN") or ROOT / "build" / "kfdash").parent
HELPER = BIN_DIR / "tests" / "test_dexpass"


def c_dex_user(stack, tmp_path, email, password, user_id):
    """{email, password, name, hash, object} as k8s/dexpass.c makes them."""
    assert HELPER.is_file(), f"{HELPER} is missing: build it first (make build)"
    out = tmp_path / f"dexpass-{uuid.uuid4().hex[:8]}.json"
    env = dict(os.environ, KFDASH_TEST_DEX_PASSWORD_OUT=str(out), KFDASH_TEST_DEX_EMAIL=email,
               KFDASH_TEST_DEX_PASSWORD=password, KFDASH_TEST_DEX_USER_ID=user_id,
               KFDASH_TEST_DEX_NAMESPACE=stack["DEX_NAMESPACE"])
    r = subprocess.run([str(HELPER)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(out.read_text())


@pytest.fixture
def created(stack, admin):
    """created(obj) POSTs a Password object (201 expected); each is deleted at the end."""
    names = []

    def create(obj):
        r = admin.post(passwords_path(stack), json=obj)
        assert r.status_code == 201, r.text
        names.append(obj["metadata"]["name"])
        return r.json()

    yield create
    for name in names:
        r = admin.delete(f"{passwords_path(stack)}/{name}")
        assert r.status_code in (200, 404), r.text


def test_password_object_made_in_c_logs_its_user_in_through_dex(stack, admin, created, dex_login,
                                                                jwt_claims, tmp_path):
    tag = uuid.uuid4().hex[:8]
    # Mixed case: Dex lowercases the login before it computes the name and compares the e-mail.
    email, password = f"DexPass-{tag}@Example.com", f"pw {tag} \u00e4"
    u = c_dex_user(stack, tmp_path, email, password, f"dexpass-{tag}")
    lower = email.lower()
    assert u["name"] == dex_password_name(lower), u
    assert u["hash"].startswith("$2b$10$") and len(u["hash"]) == 60, u
    obj = u["object"]
    assert obj["metadata"] == {"name": u["name"], "namespace": stack["DEX_NAMESPACE"]}, obj
    assert obj["email"] == lower, obj

    stored = created(obj)
    assert stored["metadata"]["name"] == u["name"] and stored["hash"] == obj["hash"], stored

    claims = jwt_claims(dex_login(email, password))
    assert claims["email"] == lower and claims["email_verified"] is True, claims
    assert claims.get("name") == f"DexPass-{tag}", claims  # the object's username
    assert jwt_claims(dex_login(lower, password))["email"] == lower

    for wrong in (password + "x", password[:-1], password.upper()):
        with pytest.raises(dex_login.Refused) as e:
            dex_login(email, wrong)
        assert e.value.status == 401, e.value

    r = admin.delete(f"{passwords_path(stack)}/{u['name']}")
    assert r.status_code == 200, r.text
    with pytest.raises(dex_login.Refused):
        dex_login(email, password)


def test_apiserver_takes_the_name_of_the_longest_email_c_accepts_and_refuses_one_byte_more(
        stack, admin, created, dex_login, jwt_claims, tmp_path):
    # DEXPASS_EMAIL_MAX is 150: its name is 253 characters, the most a Kubernetes name may have.
    tag = uuid.uuid4().hex[:8]
    domain = "@example.com"
    email = f"long-{tag}-".ljust(150 - len(domain), "x") + domain
    assert len(email) == 150
    password = f"long pw {tag}"
    u = c_dex_user(stack, tmp_path, email, password, f"long-{tag}")
    assert len(u["name"]) == 253 and u["name"] == dex_password_name(email), u
    created(u["object"])
    assert jwt_claims(dex_login(email, password))["email"] == email

    longer = "y" + email
    too_long = copy.deepcopy(u["object"])
    too_long["metadata"]["name"] = dex_password_name(longer)
    too_long["email"] = longer
    assert len(too_long["metadata"]["name"]) == 255
    r = admin.post(passwords_path(stack), json=too_long)
    if r.status_code == 201:
        admin.delete(f"{passwords_path(stack)}/{too_long['metadata']['name']}")
    assert r.status_code == 422 and "no more than 253 characters" in r.text, r.text
