"""Kubeflow's dashboard-config ConfigMap, read as Kubeflow's dashboard reads it: through the API
server, by name (DASHBOARD_CONFIGMAP) in kfdash's namespace, and followed, so an edit to the menu
applies without a restart. kfdash runs with its shipped role (packaging/kustomize/rbac), which may
read that one ConfigMap and no other.

While the ConfigMap exists its keys are served exactly as Kubeflow serves them (the JSON as it is;
500 {"error": "Cannot load dashboard menu link"} / "Cannot load dashboard settings" for a key that
is missing or not JSON); when it does not, the links and settings kfdash was started with are.
"""
import json

import pytest

from conftest import call_as, gateway_kfdash, start_kfdash, until

CM = "/api/v1/namespaces/kubeflow/configmaps"
NAME = "dashboard-config"
STARTUP_LINKS = {"menuLinks": [{"type": "item", "link": "/start-up/", "text": "Start-up Wren-1"}]}
STARTUP_SETTINGS = {"DASHBOARD_FORCE_IFRAME": False}


def links(text):
    return {"menuLinks": [{"type": "item", "link": "/jupyter/", "text": text, "icon": "book"}],
            "externalLinks": [], "quickLinks": [], "documentationItems": []}


def configmap(links_text, settings_text='{"DASHBOARD_FORCE_IFRAME": true}'):
    data = {}
    if links_text is not None:
        data["links"] = links_text
    if settings_text is not None:
        data["settings"] = settings_text
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": NAME}, "data": data}


@pytest.fixture
def no_configmap(admin):
    admin.delete(f"{CM}/{NAME}")
    yield
    admin.delete(f"{CM}/{NAME}")


@pytest.fixture
def kfdash(stack, no_configmap):
    # The links and settings it starts with, served while the ConfigMap does not exist.
    k = gateway_kfdash_with_env(stack, {"KFDASH_DASHBOARD_LINKS": json.dumps(STARTUP_LINKS),
                                        "KFDASH_DASHBOARD_SETTINGS": json.dumps(STARTUP_SETTINGS)})
    yield k
    k.stop()


def gateway_kfdash_with_env(stack, env, *args):
    return start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                        "--kube-api", stack["KFDASH_APISERVER"],
                        "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                        "--kube-ca-file", stack["KFDASH_STACK_CA"], *args, env=env)


def served(k):
    l = call_as(k, "alice@example.com", "GET", "/api/dashboard-links")
    s = call_as(k, "alice@example.com", "GET", "/api/dashboard-settings")
    return (l.status_code, l.json()), (s.status_code, s.json())


def test_without_the_configmap_the_start_up_links_are_served(kfdash):
    assert served(kfdash) == ((200, STARTUP_LINKS), (200, STARTUP_SETTINGS))
    checks = {c["name"]: c for c in kfdash.get("/readyz").json()["checks"]}
    assert checks["dashboard-config"]["ready"], checks
    assert "kubeflow/dashboard-config" in checks["dashboard-config"]["detail"]


def test_the_configmap_is_followed_without_a_restart(kfdash, admin):
    made = admin.post(CM, json=configmap(json.dumps(links("Notebooks Ibis-1"))))
    assert made.status_code == 201, made.text
    until(lambda: served(kfdash)[0] == (200, links("Notebooks Ibis-1")), "the ConfigMap's links")
    assert served(kfdash)[1] == (200, {"DASHBOARD_FORCE_IFRAME": True})

    # An operator edits the menu: the next request has it.
    changed = configmap(json.dumps(links("Notebooks Ibis-2")), '{"DASHBOARD_FORCE_IFRAME": false}')
    assert admin.put(f"{CM}/{NAME}", json=changed).status_code == 200
    until(lambda: served(kfdash) == ((200, links("Notebooks Ibis-2")),
                                     (200, {"DASHBOARD_FORCE_IFRAME": False})), "the edit")

    # Deleted: the start-up links again.
    assert admin.delete(f"{CM}/{NAME}").status_code == 200
    until(lambda: served(kfdash) == ((200, STARTUP_LINKS), (200, STARTUP_SETTINGS)),
          "the start-up links once the ConfigMap is gone")


def test_a_broken_key_is_kubeflows_500_and_the_other_key_still_serves(kfdash, admin):
    assert admin.post(CM, json=configmap("{not json", '{"DASHBOARD_FORCE_IFRAME": true}')
                      ).status_code == 201
    until(lambda: served(kfdash)[0][0] == 500, "the broken links")
    assert served(kfdash) == ((500, {"error": "Cannot load dashboard menu link"}),
                              (200, {"DASHBOARD_FORCE_IFRAME": True}))
    assert admin.put(f"{CM}/{NAME}", json=configmap(json.dumps(links("Ibis-3")), None)
                     ).status_code == 200
    until(lambda: served(kfdash) == ((200, links("Ibis-3")),
                                     (500, {"error": "Cannot load dashboard settings"})),
          "the missing settings")


def test_a_configmap_present_at_start_is_served_at_once(stack, admin, no_configmap):
    assert admin.post(CM, json=configmap(json.dumps(links("Notebooks Ibis-4")))).status_code == 201
    k = gateway_kfdash(stack)
    try:
        # ready means listed: the first answer is already the ConfigMap's
        assert served(k)[0] == (200, links("Notebooks Ibis-4"))
    finally:
        k.stop()


def test_kfdashs_role_reads_no_other_configmap(stack, admin, no_configmap):
    """DASHBOARD_CONFIGMAP names another ConfigMap: the shipped role (resourceNames) refuses, and
    /readyz says so instead of serving a menu silently stale."""
    k = gateway_kfdash_with_env(stack, {"DASHBOARD_CONFIGMAP": "someone-elses"})
    try:
        r = k.get("/readyz")
        assert r.status_code == 503
        check = {c["name"]: c for c in r.json()["checks"]}["dashboard-config"]
        assert not check["ready"] and "kubeflow/someone-elses" in check["detail"], check
        assert "403" in check["detail"] or "forbidden" in check["detail"].lower(), check
    finally:
        k.stop()


def test_an_empty_name_reads_no_configmap(stack, admin, no_configmap):
    assert admin.post(CM, json=configmap(json.dumps(links("Ibis-5")))).status_code == 201
    k = gateway_kfdash_with_env(stack, {"KFDASH_DASHBOARD_LINKS": json.dumps(STARTUP_LINKS)},
                                "--dashboard-configmap", "")
    try:
        assert served(k)[0] == (200, STARTUP_LINKS)
        assert "dashboard-config" not in {c["name"] for c in k.get("/readyz").json()["checks"]}
    finally:
        k.stop()
