"""kubectl through kfdash (issue #12): the stack's real kubectl talks to kfdash's /api/k8s over
kfdash's own HTTPS with a personal access token, and gets exactly the user's rights."""
import json
import subprocess
import uuid

import pytest
import requests

from conftest import plain_session, personal_token
from kfdash_process import Kfdash, free_port

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


@pytest.fixture(scope="module")
def kfdash(stack, tls_files):
    """kfdash with a plain listener (for the test's own calls) and an HTTPS one."""
    cert, key = tls_files
    https_port = free_port()
    k = Kfdash(args=["--oidc-issuer", stack["DEX_ISSUER"], "--oidc-client-id", stack["DEX_CLIENT_ID"],
                     "--kube-api", stack["KFDASH_APISERVER"],
                     "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                     "--kube-ca-file", stack["KFDASH_STACK_CA"],
                     "--tls-cert-file", str(cert), "--tls-key-file", str(key)],
               listen=["127.0.0.1:PORT", f"https://127.0.0.1:{https_port}"],
               env={"KFDASH_OIDC_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"]})
    k.https = f"https://127.0.0.1:{https_port}"
    yield k
    k.stop()


def kubectl(stack, k, cert, token, *args, check=True):
    cmd = [stack["KUBECTL"], "--server", k.https + "/api/k8s", "--certificate-authority", str(cert),
           "--token", token, "--kubeconfig", "/dev/null", *args]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check:
        assert run.returncode == 0, (cmd[5:], run.stdout, run.stderr)
    return run


def test_the_https_listener_serves_with_secure_cookies(kfdash, tls_files):
    cert, _ = tls_files
    r = requests.get(kfdash.https + "/auth/login", verify=str(cert), allow_redirects=False,
                     timeout=10)
    assert r.status_code == 302, r.text
    cookie = r.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie, cookie
    # TLS 1.1 is not spoken
    run = subprocess.run(["openssl", "s_client", "-connect", kfdash.https.removeprefix("https://"),
                          "-tls1_1"], input="", capture_output=True, text=True, timeout=10)
    assert "Cipher is (NONE)" in run.stdout or run.returncode != 0, run.stdout


def test_kubectl_lists_reads_and_changes_what_the_owner_may(stack, kfdash, tls_files, dex_login,
                                                             demo_password):
    cert, _ = tls_files
    token = personal_token(kfdash, dex_login, ALICE, demo_password("alice"))
    assert "v1." in kubectl(stack, kfdash, cert, token, "version", "-o", "json").stdout
    names = kubectl(stack, kfdash, cert, token, "get", "notebooks", "-n", "alice", "-o",
                    "jsonpath={.items[*].metadata.name}").stdout.split()
    assert "nb1" in names
    cm = f"kubectl-{uuid.uuid4().hex[:6]}"
    # A PodDefault: a kind the allow-list lets the owner write.
    body = {"apiVersion": "kubeflow.org/v1alpha1", "kind": "PodDefault",
            "metadata": {"name": cm, "namespace": "alice"},
            "spec": {"desc": "from kubectl", "selector": {"matchLabels": {cm: "true"}}}}
    run = subprocess.run([stack["KUBECTL"], "--server", kfdash.https + "/api/k8s",
                          "--certificate-authority", str(cert), "--token", token,
                          "--kubeconfig", "/dev/null", "apply", "-f", "-"],
                         input=json.dumps(body), capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    got = kubectl(stack, kfdash, cert, token, "get", "poddefault", cm, "-n", "alice", "-o",
                  "jsonpath={.spec.desc}").stdout
    assert got == "from kubectl"
    kubectl(stack, kfdash, cert, token, "delete", "poddefault", cm, "-n", "alice")


def test_kubectl_as_a_viewer_reads_and_cannot_write(stack, kfdash, tls_files, dex_login,
                                                     demo_password):
    cert, _ = tls_files
    token = personal_token(kfdash, dex_login, CAROL, demo_password("carol"))
    assert "nb1" in kubectl(stack, kfdash, cert, token, "get", "notebooks", "-n", "alice").stdout
    run = kubectl(stack, kfdash, cert, token, "delete", "notebook", "nb1", "-n", "alice",
                  "--dry-run=server", check=False)
    assert run.returncode != 0 and "forbidden" in run.stderr.lower(), run.stderr


def test_kubectl_for_a_namespace_of_someone_else_is_refused(stack, kfdash, tls_files, dex_login,
                                                           demo_password):
    cert, _ = tls_files
    token = personal_token(kfdash, dex_login, BOB, demo_password("bob"))
    run = kubectl(stack, kfdash, cert, token, "get", "notebooks", "-n", "carol", check=False)
    assert run.returncode != 0 and "no role in this namespace" in run.stderr, run.stderr
    # discovery is the user's too, and only read
    r = plain_session().post(kfdash.url + "/api/k8s/apis/kubeflow.org/v1",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 405
