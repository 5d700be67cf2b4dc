"""Every application on an origin of its own (apps.domain): a notebook's page can never act as the
person who opens it. kfdash listens on the fifth sign-in port (signin_port(4): a redirect Dex accepts) with
apps.domain=localhost, so the applications live on <label>.localhost:<that port>, which this module
resolves to loopback as browsers and curl do. Real Dex sign-ins, the real JupyterLab, Spark UI,
MLflow and model server of the stack.
"""
import socket
import urllib.parse

import pytest
import websocket

from conftest import (GATEWAY_CLUSTER_ADMIN, call_as, personal_token, plain_session, set_cookies,
                      sign_in, signin_kfdash, signin_port)

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
PORT = signin_port(4)
DASHBOARD = f"http://127.0.0.1:{PORT}"
NB1 = f"http://nb-alice--nb1.localhost:{PORT}"
SPARK = f"http://spark-alice--app1.localhost:{PORT}"
MLFLOW = f"http://mlflow.localhost:{PORT}"


@pytest.fixture(scope="module", autouse=True)
def localhost_names():
    """*.localhost is loopback (RFC 6761; Chromium and curl resolve it so, glibc does not)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kw):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kw)

    socket.getaddrinfo = resolve
    yield
    socket.getaddrinfo = real


@pytest.fixture(scope="module")
def kfdash(stack, tmp_path_factory):
    k = signin_kfdash(stack, PORT, str(tmp_path_factory.mktemp("apps")),
                      "--apps-domain", "localhost", "--public-url", DASHBOARD,
                      "--trusted-header-peers", "127.0.0.1/32",
                      "--cluster-admins", GATEWAY_CLUSTER_ADMIN)
    yield k
    k.stop()


def enter(s, k, path):
    """A signed-in browser opens path on kfdash's origin: the hand-over to the application's host
    and back to path there. Returns (the code's URL, the final answer)."""
    r = s.get(k.url + path, allow_redirects=False, timeout=15)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    handover = r.headers["Location"]
    assert r.headers.get("Referrer-Policy") == "no-referrer"
    r = s.get(handover, allow_redirects=False, timeout=15)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    host = urllib.parse.urlsplit(handover)
    return handover, s.get(f"{host.scheme}://{host.netloc}{r.headers['Location']}", timeout=30,
                           allow_redirects=False)


# ---------------------------------------------------------------- the hand-over


def test_a_signed_in_browser_reaches_jupyterlab_on_the_notebooks_own_host(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    handover, lab = enter(s, kfdash, "/notebook/alice/nb1/lab")
    assert handover.startswith(NB1 + "/_kfdash/enter?code=")
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    # The host's own cookie: host-only, HttpOnly; kfdash's session cookie never went there.
    app = [c for c in s.cookies if c.name == "kfdash_app"]
    assert len(app) == 1 and app[0].domain == "nb-alice--nb1.localhost"
    assert app[0].has_nonstandard_attr("HttpOnly") and not app[0].domain_specified
    assert {c.domain for c in s.cookies if c.name in ("kfdash_session", "kfdash_csrf")} == {"127.0.0.1"}


def test_a_hand_over_code_works_once_and_for_its_own_host_only(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    r = s.get(kfdash.url + "/notebook/alice/nb1/lab", allow_redirects=False, timeout=15)
    code_url = r.headers["Location"]
    # On another application's host: refused.
    elsewhere = code_url.replace(NB1, SPARK)
    assert plain_session().get(elsewhere, allow_redirects=False, timeout=15).status_code == 400
    first = plain_session().get(code_url, allow_redirects=False, timeout=15)
    assert first.status_code == 302
    again = plain_session().get(code_url, allow_redirects=False, timeout=15)
    assert again.status_code == 400 and "used already" in again.text
    forged = code_url.replace("code=", "code=x")
    assert plain_session().get(forged, allow_redirects=False, timeout=15).status_code == 400


def test_a_hosts_cookie_works_nowhere_else(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    enter(s, kfdash, "/notebook/alice/nb1/lab")
    cookie = s.cookies.get("kfdash_app", domain="nb-alice--nb1.localhost")
    # On the Spark UI's host, on kfdash's own origin (as either cookie name): nobody.
    r = plain_session().get(SPARK + "/spark/alice/app1/jobs/", cookies={"kfdash_app": cookie},
                            headers={"Accept": "application/json"}, timeout=15)
    assert r.status_code == 401
    for name in ("kfdash_app", "kfdash_session"):
        me = plain_session().get(kfdash.url + "/api/whoami", cookies={name: cookie}, timeout=15)
        assert me.status_code == 401, name


def test_signing_out_ends_the_applications_cookies_too(kfdash, demo_password):
    s, _ = sign_in(kfdash, ALICE, demo_password("alice"))
    _, lab = enter(s, kfdash, "/notebook/alice/nb1/api/status")
    assert lab.status_code == 200
    s.get(kfdash.url + "/auth/logout", allow_redirects=False, timeout=15)
    r = s.get(NB1 + "/notebook/alice/nb1/api/status", headers={"Accept": "application/json"},
              allow_redirects=False, timeout=15)
    assert r.status_code == 401


def test_a_browser_without_a_cookie_is_sent_to_the_dashboard_to_sign_in(kfdash):
    r = plain_session().get(NB1 + "/notebook/alice/nb1/lab?reset", headers={"Accept": "text/html"},
                            allow_redirects=False, timeout=15)
    assert r.status_code == 302 and r.headers["Location"] == DASHBOARD + "/notebook/alice/nb1/lab?reset"


# ---------------------------------------------------------------- kfdash's origin serves none of it


@pytest.mark.parametrize("path, host", [("/notebook/alice/nb1/lab", NB1),
                                        ("/spark/alice/app1/jobs/", SPARK), ("/mlflow/", MLFLOW)])
def test_kfdashs_origin_sends_every_application_to_its_host(kfdash, path, host):
    r = call_as(kfdash, ALICE, "GET", path, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == host + path
    post = call_as(kfdash, ALICE, "POST", path, allow_redirects=False)
    assert post.status_code in (307, 403) and "JupyterLab" not in post.text


def test_an_application_host_serves_only_its_own_application(kfdash):
    for path in ("/notebook/bob/nb2/api/status", "/spark/alice/app1/jobs/", "/api/whoami",
                 "/api/tokens", "/mlflow/"):
        r = plain_session().get(NB1 + path, headers={"kubeflow-userid": ALICE}, timeout=15)
        assert r.status_code == 404, path
    root = plain_session().get(NB1 + "/", allow_redirects=False, timeout=15)
    assert root.status_code == 302 and root.headers["Location"] == "/notebook/alice/nb1/"


def test_scripts_use_bearer_tokens_on_application_hosts(kfdash, dex_login, demo_password):
    token = personal_token(kfdash, dex_login, BOB, demo_password("bob"))
    r = plain_session().get(NB1 + "/notebook/alice/nb1/api/status",
                            headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert r.status_code == 200 and "started" in r.json()


# ---------------------------------------------------------------- on the application's host


def test_state_changes_on_an_application_host_come_from_that_host_only(kfdash, demo_password):
    s, _ = sign_in(kfdash, BOB, demo_password("bob"))
    enter(s, kfdash, "/notebook/alice/nb1/lab")
    xsrf = {"X-XSRFToken": s.cookies.get("_xsrf")}
    for origin in (DASHBOARD, SPARK, "https://evil.example"):
        r = s.post(NB1 + "/notebook/alice/nb1/api/kernels", json={"name": "python3"},
                   headers={**xsrf, "Origin": origin}, timeout=30)
        assert r.status_code == 403, origin
    r = s.post(NB1 + "/notebook/alice/nb1/api/kernels", json={"name": "python3"},
               headers={**xsrf, "Origin": NB1}, timeout=60)
    assert r.status_code == 201, r.text
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies if "localhost" in c.domain)
    ws = websocket.create_connection(
        NB1.replace("http", "ws", 1) + f"/notebook/alice/nb1/api/kernels/{r.json()['id']}/channels",
        header=[f"Cookie: {cookie}", f"Origin: {NB1}"], timeout=30, suppress_origin=True)
    ws.close()
    s.delete(NB1 + f"/notebook/alice/nb1/api/kernels/{r.json()['id']}", headers={**xsrf, "Origin": NB1},
             timeout=30)


def test_a_viewer_reads_the_spark_ui_on_its_host_but_cannot_press_kill(kfdash, demo_password):
    s, _ = sign_in(kfdash, CAROL, demo_password("carol"))
    _, jobs = enter(s, kfdash, "/spark/alice/app1/jobs/")
    assert jobs.status_code == 200 and "Spark Jobs" in jobs.text
    for method in ("GET", "POST"):
        r = s.request(method, SPARK + "/spark/alice/app1/jobs/job/kill/?id=424242",
                      headers={"Origin": SPARK}, allow_redirects=False, timeout=15)
        assert r.status_code == 403 and "viewers" in r.json()["error"], method
    # A notebook, which runs code, stays shut to her.
    r = s.get(kfdash.url + "/notebook/alice/nb1/lab", allow_redirects=False, timeout=15)
    assert r.status_code == 403


def test_mlflow_is_its_own_host_and_its_api_stays_for_the_web_app(kfdash, demo_password):
    s, _ = sign_in(kfdash, CAROL, demo_password("carol"))
    _, ui = enter(s, kfdash, "/mlflow/")
    assert ui.status_code == 200 and "<html" in ui.text.lower()
    api = s.post(kfdash.url + "/mlflow/ajax-api/2.0/mlflow/experiments/search",
                 json={"max_results": 1}, timeout=15,
                 headers={"X-MLFLOW-WORKSPACE": "alice", "Origin": kfdash.url,
                          "X-CSRF-Token": s.cookies["kfdash_csrf"]})
    assert api.status_code == 200, api.text
    # Never a page on kfdash's origin.
    assert api.headers["Content-Security-Policy"].startswith("sandbox")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_predictions_are_never_pages(kfdash, stack):
    model = stack.get("MLFLOW_MODEL_NAME", "iris-classifier")
    r = call_as(kfdash, CAROL, "GET", f"/serving/alice/{model}/v2/health/ready")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Security-Policy"].startswith("sandbox")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_readyz_says_where_applications_live(kfdash):
    checks = {c["name"]: c for c in kfdash.get("/readyz").json()["checks"]}
    assert checks["applications"]["detail"] == "each on a host of its own under *.localhost"
