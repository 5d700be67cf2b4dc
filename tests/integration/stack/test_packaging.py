"""packaging/kustomize, proven against the stack: every overlay renders with the pinned kustomize,
the stack's kube-apiserver accepts every rendered object (server-side dry-run), the Istio
policies say what packaging/kustomize/README.md claims, and kfdash started from the rendered
ConfigMaps and Secrets with its ServiceAccount's token signs a user in through the real Dex and
answers a namespaced call.

The test venv has no YAML library: objects are read back as JSON from the apiserver's dry-run
answers (what it would store), which is also the proof that it accepts them.
"""
import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import ROOT, admin_session, plain_session, sign_in, signin_port, start_kfdash

sys.path.insert(0, str(ROOT / "tests" / "stack"))
import seed  # noqa: E402  (its YAML document splitter: kind, name, namespace of each)

PACKAGING = ROOT / "packaging" / "kustomize"
OVERLAYS = ["standalone", "standalone-ingress", "kubeflow", "kubeflow-oauth2-proxy"]
MESH_PROVIDER = PACKAGING / "components" / "ext-authz" / "mesh-extension-provider.yaml"
GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
SIGNIN_PORTS = (signin_port(2), signin_port(1), signin_port(0))  # redirect URIs the stack's Dex accepts (tests/stack/k8s-up.sh)
ALICE, BOB = "alice@example.com", "bob@example.com"


def kustomize_binary():
    versions = (ROOT / "tests" / "stack" / "versions.sh").read_text()
    version = re.search(r"^KUSTOMIZE_VERSION=(\S+)", versions, re.M)[1]
    cache = Path(os.environ.get("KFDASH_CACHE") or Path.home() / ".cache" / "kfdash")
    path = cache / "bin" / f"kustomize-{version}"
    if not path.is_file():
        pytest.fail(f"no {path}: build it with tests/stack/build-peers.sh kustomize")
    return path


@pytest.fixture(scope="module")
def tree(stack, tmp_path_factory):
    """A copy of packaging/kustomize with the secrets make-secrets.sh would make: two session
    keys (a rotation in progress) and, as kfdash's client secret, the one the stack's Dex knows."""
    root = tmp_path_factory.mktemp("kustomize") / "kustomize"
    shutil.copytree(PACKAGING, root, ignore=shutil.ignore_patterns("session.keys", "oidc-client-secret"))
    subprocess.run([root / "make-secrets.sh"], check=True, capture_output=True)
    subprocess.run([root / "make-secrets.sh", "--rotate"], check=True, capture_output=True)
    (root / "base" / "oidc-client-secret").write_text(stack["DEX_CLIENT_SECRET"])
    # The standalone overlay with its optional Ingress added, as README.md tells.
    shutil.copytree(root / "overlays" / "standalone", root / "overlays" / "standalone-ingress")
    with open(root / "overlays" / "standalone-ingress" / "kustomization.yaml", "a") as f:
        f.write("components:\n- ../../components/ingress\n")
    return root


def render(tree, overlay, tmp_path_factory):
    """kustomize build of the overlay -> seed.Doc list (kind, name, namespace, YAML text)."""
    r = subprocess.run([kustomize_binary(), "build", tree / "overlays" / overlay], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, f"kustomize build overlays/{overlay}: {r.stderr}"
    out = tmp_path_factory.mktemp("rendered") / f"{overlay}.yaml"
    out.write_text(r.stdout)
    return seed.split_documents(str(out))


def resource_of(api, api_version, kind):
    """(plural, namespaced) from the apiserver's discovery."""
    path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    r = api.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:200])
    for res in r.json()["resources"]:
        if res["kind"] == kind and "/" not in res["name"]:
            return res["name"], res["namespaced"]
    raise AssertionError(f"the apiserver serves no {kind} in {api_version} (a CRD missing from "
                         "tests/stack/manifests/crds.yaml?)")


def ensure_namespace(api, ns):
    """The namespaces the rendered objects name must exist for a dry-run to be judged (a dry-run
    into a missing namespace fails for that reason alone): the stack has kubeflow and auth;
    istio-system is created here, for real (no Istio runs in the stack)."""
    if api.get(f"/api/v1/namespaces/{ns}").status_code == 404:
        r = api.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                 "metadata": {"name": ns}})
        assert r.status_code in (201, 409), r.text


def dry_run_apply(api, doc):
    """Server-side apply with dryRun=All, as admin: the object as the apiserver would store it."""
    plural, namespaced = resource_of(api, doc.api_version, doc.kind)
    if namespaced:
        assert doc.namespace, f"{doc.label()}: namespaced but rendered without a namespace"
        ensure_namespace(api, doc.namespace)
    path = seed.obj_path(doc.api_version, plural, namespaced, doc.name, doc.namespace if namespaced else None)
    r = api.patch(path, params={"dryRun": "All", "fieldManager": "kfdash-test", "force": "true"},
                  data=doc.text.encode(), headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code in (200, 201), f"{doc.label()}: HTTP {r.status_code}: {r.text[:500]}"
    return r.json()


@pytest.fixture(scope="module")
def rendered(stack, tree, tmp_path_factory):
    """overlay -> the list of its objects, each accepted by a server-side dry-run."""
    api = admin_session(stack)
    out = {}
    for overlay in OVERLAYS:
        out[overlay] = [dry_run_apply(api, d) for d in render(tree, overlay, tmp_path_factory)]
    api.close()
    return out


@pytest.fixture(scope="module")
def mesh_providers(stack, tmp_path_factory):
    """The extension providers of the mesh snippet, read back through a dry-run."""
    api = admin_session(stack)
    (doc,) = seed.split_documents(str(MESH_PROVIDER))
    obj = dry_run_apply(api, doc)
    api.close()
    return {p["name"]: p for p in obj["spec"]["meshConfig"]["extensionProviders"]}


def objects(rendered, overlay, kind):
    return [o for o in rendered[overlay] if o["kind"] == kind]


def one(rendered, overlay, kind, name):
    found = [o for o in objects(rendered, overlay, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, (overlay, kind, name, [o["metadata"]["name"] for o in objects(rendered, overlay, kind)])
    return found[0]


def env_config(rendered, overlay):
    (cm,) = [o for o in objects(rendered, overlay, "ConfigMap") if o["metadata"]["name"].startswith("kfdash-env-")]
    return cm["data"]


# ---------------------------------------------------------------- rendering and the apiserver

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_object_is_accepted_by_the_apiserver(rendered, overlay):
    kinds = {o["kind"] for o in rendered[overlay]}
    assert {"Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
            "RoleBinding", "ConfigMap", "Secret", "NetworkPolicy", "PodDisruptionBudget"} <= kinds, kinds
    # Everything kfdash's own lands in kubeflow; Dex's side in auth; Istio's in istio-system.
    for o in rendered[overlay]:
        ns = o["metadata"].get("namespace")
        assert ns in (None, "kubeflow", "auth", "istio-system"), (o["kind"], o["metadata"]["name"], ns)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_deployment_is_hardened_and_shares_one_session_key_secret(rendered, overlay):
    d = one(rendered, overlay, "Deployment", "kfdash")
    assert d["metadata"]["namespace"] == "kubeflow" and d["spec"]["replicas"] == 2
    pod = d["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == "ghcr.io/kfdash/kfdash:0.1.0"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["ports"][0]["containerPort"] == 8080
    assert c["resources"]["requests"] and c["resources"]["limits"]
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 65532
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"] and sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["serviceAccountName"] == "kfdash" and pod["automountServiceAccountToken"] is True
    assert pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"] == d["spec"]["selector"]["matchLabels"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    env = {e["name"]: e for e in c["env"]}
    assert "emptyDir" in volumes["tmp"] and mounts["tmp"] == "/tmp"
    # One Secret, mounted by the one pod template of both replicas, named after its content.
    keys_secret = volumes["session-keys"]["secret"]["secretName"]
    assert keys_secret.startswith("kfdash-session-keys-")
    one(rendered, overlay, "Secret", keys_secret)
    assert env["KFDASH_SESSION_KEYS_FILE"]["value"] == mounts["session-keys"] + "/session.keys"
    # The menu is read through the API server (and followed), not mounted.
    assert set(mounts) == {"tmp", "session-keys"} and "KFDASH_DASHBOARD_CONFIG_DIR" not in env
    assert env_config(rendered, overlay)["DASHBOARD_CONFIGMAP"] == "dashboard-config"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    (env_from,) = c["envFrom"]
    one(rendered, overlay, "ConfigMap", env_from["configMapRef"]["name"])
    pdb = one(rendered, overlay, "PodDisruptionBudget", "kfdash")
    assert pdb["spec"]["minAvailable"] == 1
    svc = one(rendered, overlay, "Service", "kfdash")
    assert svc["spec"]["ports"][0]["port"] == 80 and svc["spec"]["ports"][0]["targetPort"] == "http"
    netpol = one(rendered, overlay, "NetworkPolicy", "kfdash")
    assert [p["port"] for rule in netpol["spec"]["ingress"] for p in rule["ports"]] == [8080]


def test_dashboard_config_has_kubeflows_shape_and_kubeflows_own_is_never_replaced(rendered):
    # Applying a Kubeflow overlay leaves Kubeflow's dashboard-config (and the operator's changes
    # to it) alone: it renders none.
    for overlay in ("kubeflow", "kubeflow-oauth2-proxy"):
        assert not [o for o in objects(rendered, overlay, "ConfigMap")
                    if o["metadata"]["name"] == "dashboard-config"], overlay
    for overlay in ("standalone", "standalone-ingress"):
        cm = one(rendered, overlay, "ConfigMap", "dashboard-config")
        links = json.loads(cm["data"]["links"])
        assert set(links) == {"menuLinks", "externalLinks", "quickLinks", "documentationItems"}, links
        assert isinstance(json.loads(cm["data"]["settings"]), dict)
        pages = {q["link"].split("?")[0] for q in links["quickLinks"]}
        assert {"/notebooks/new", "/spark-applications", "/endpoints", "/experiments"} <= pages, pages


def test_kubeflow_overlays_answer_to_both_dashboard_names(rendered):
    for overlay in ("kubeflow", "kubeflow-oauth2-proxy"):
        pods = one(rendered, overlay, "Deployment", "kfdash")["spec"]["template"]["metadata"]["labels"]
        for name in ("centraldashboard", "dashboard"):
            svc = one(rendered, overlay, "Service", name)
            assert svc["metadata"]["namespace"] == "kubeflow"
            assert all(pods.get(k) == v for k, v in svc["spec"]["selector"].items()), (name, svc["spec"]["selector"])
        vs = one(rendered, overlay, "VirtualService", "centraldashboard")
        assert vs["spec"]["gateways"] == ["kubeflow/kubeflow-gateway"]
        (route,) = vs["spec"]["http"]
        assert route["match"] == [{"uri": {"prefix": "/"}}]
        assert route["route"][0]["destination"]["host"] == "kfdash.kubeflow.svc.cluster.local"


# ---------------------------------------------------------------- the Istio decision

def istio_path_matches(pattern, path):
    """Istio's path match in AuthorizationPolicy: exact, `prefix*`, `*suffix` or `*`."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return path.endswith(pattern[1:])
    return path == pattern


def checked_by(policy, path):
    """Whether the CUSTOM policy sends a request for `path` to its provider: some rule matches.
    Only rules made of `to.operation.paths/notPaths` are understood; anything else fails."""
    for rule in policy["spec"]["rules"]:
        assert set(rule) == {"to"}, f"a rule with {set(rule) - {'to'}} (a condition that could skip the check)"
        for to in rule["to"]:
            op = to["operation"]
            assert set(op) <= {"paths", "notPaths"}, op
            if "paths" in op and not any(istio_path_matches(p, path) for p in op["paths"]):
                continue
            if any(istio_path_matches(p, path) for p in op.get("notPaths", [])):
                continue
            return True
    return False


CHECKED = ["/", "/index.html", "/notebook/alice/nb1/", "/notebook/alice/nb1/api/kernels",
           "/api/namespaces/alice/notebooks", "/api/workgroup/env-info", "/api/k8s/api/v1/namespaces",
           "/pipeline/", "/jupyter/", "/mlflow/", "/serving/alice/iris/v2/models", "/spark/alice/app1/",
           "/auth/check", "/auth/login/../api/whoami", "/auth/loginx", "/auth/callbackx",
           "/dex", "/dexter/", "/healthz", "/metrics"]
NOT_CHECKED = ["/auth/login", "/auth/callback", "/auth/logout", "/_kfdash/enter", "/dex/auth",
               "/dex/auth/local/login", "/dex/token", "/dex/keys", "/dex/.well-known/openid-configuration"]


def test_the_custom_policy_checks_everything_but_sign_in_and_dex_at_the_ingress_gateway(rendered, mesh_providers):
    (policy,) = [p for p in objects(rendered, "kubeflow", "AuthorizationPolicy") if p["spec"].get("action") == "CUSTOM"]
    assert policy["metadata"]["namespace"] == "istio-system"
    assert policy["spec"]["selector"]["matchLabels"] == {"app": "istio-ingressgateway"}
    assert policy["spec"]["provider"]["name"] in mesh_providers
    assert [p for p in CHECKED if not checked_by(policy, p)] == []
    assert [p for p in NOT_CHECKED if checked_by(policy, p)] == []


def test_the_mesh_provider_asks_kfdash_and_passes_the_user_header_upstream(rendered, mesh_providers):
    (policy,) = [p for p in objects(rendered, "kubeflow", "AuthorizationPolicy") if p["spec"].get("action") == "CUSTOM"]
    p = mesh_providers[policy["spec"]["provider"]["name"]]["envoyExtAuthzHttp"]
    svc = one(rendered, "kubeflow", "Service", "kfdash")
    assert p["service"] == f"kfdash.{svc['metadata']['namespace']}.svc.cluster.local"
    assert p["port"] == svc["spec"]["ports"][0]["port"] and p["pathPrefix"] == "/auth/check"
    userid = env_config(rendered, "kubeflow")["USERID_HEADER"]
    assert {userid, "kubeflow-groups", "authorization"} <= set(p["headersToUpstreamOnAllow"])
    assert {"cookie", "authorization", "x-forwarded-proto", "x-forwarded-host"} <= set(p["includeRequestHeadersInCheck"])
    assert {"location", "set-cookie"} <= set(p["headersToDownstreamOnDeny"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_policy_admits_kfdash_itself_into_any_namespace(rendered, overlay):
    sa = one(rendered, overlay, "ServiceAccount", "kfdash")
    kfdash_principal = f"cluster.local/ns/{sa['metadata']['namespace']}/sa/kfdash"
    for policy in objects(rendered, overlay, "AuthorizationPolicy"):
        if policy["spec"].get("action", "ALLOW") != "ALLOW":
            continue
        for rule in policy["spec"].get("rules", []):
            for src in rule.get("from", []):
                principals = src["source"].get("principals", [])
                assert kfdash_principal not in principals and "*" not in principals, policy
        # kfdash's own policy admits exactly the ingress gateway, to kfdash's own pods.
        assert policy["metadata"]["namespace"] == "kubeflow"
        assert policy["spec"]["rules"] == [{"from": [{"source": {"principals": [GATEWAY_PRINCIPAL]}}]}]


def test_keeping_oauth2_proxy_means_no_kfdash_authorizer_and_trusted_headers_from_the_sidecar(rendered):
    assert [p for p in objects(rendered, "kubeflow-oauth2-proxy", "AuthorizationPolicy")
            if p["spec"].get("action") == "CUSTOM"] == []
    env = env_config(rendered, "kubeflow-oauth2-proxy")
    assert env["KFDASH_TRUSTED_HEADER_PEERS"] == "127.0.0.6/32"
    assert "KFDASH_TRUSTED_HEADER_PEERS" not in env_config(rendered, "kubeflow")
    assert "KFDASH_TRUSTED_HEADER_PEERS" not in env_config(rendered, "standalone")


@pytest.mark.parametrize("overlay", ["kubeflow", "kubeflow-oauth2-proxy"])
def test_kubeflow_keeps_dex_in_cluster_issuer_and_sends_browsers_through_the_gateway(rendered, overlay):
    """Kubeflow's Dex issuer stays as installed (nothing to change in Dex but the client): kfdash
    talks to Dex in-cluster, browsers sign in at /dex/auth on the host they came in on."""
    env = env_config(rendered, overlay)
    assert env["KFDASH_OIDC_ISSUER"] == "http://dex.auth.svc.cluster.local:5556/dex"
    assert env["KFDASH_OIDC_AUTHORIZATION_URL"] == "/dex/auth"
    # ... which kfdash's own authorizer lets through to Dex's route.
    if overlay == "kubeflow":
        (policy,) = [p for p in objects(rendered, overlay, "AuthorizationPolicy") if p["spec"].get("action") == "CUSTOM"]
        skipped = [path for r in policy["spec"]["rules"] for t in r.get("to", [])
                   for path in t["operation"].get("notPaths", [])]
        assert "/dex/*" in skipped, policy
    # No gateway in the standalone overlay: its Dex's issuer is the public URL itself.
    assert "KFDASH_OIDC_AUTHORIZATION_URL" not in env_config(rendered, "standalone")


# ---------------------------------------------------------------- kfdash from the rendered config

def signin_port():
    """The first of the ports Dex accepts that nothing listens on (other suites use them too)."""
    for port in SIGNIN_PORTS:
        with socket.socket() as s:
            # As kfdash binds (server/http/listen.c): the TIME_WAIT connections a kfdash stopped a
            # moment ago leaves on the port do not make it busy; a listener still does.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    pytest.fail(f"ports {SIGNIN_PORTS} are all in use")


def local_kfdash(stack, rendered, overlay, tmp_path):
    """kfdash run with the overlay's rendered environment, dashboard-config, session keys and
    client secret, as its pod would be. Overridden, because this is no pod: the listen address
    (a port Dex accepts a redirect to), the issuer, the sign-in URL and MLflow (no cluster DNS or
    gateway here: the stack's Dex and MLflow), and the API server, token and CA (no in-cluster environment: the stack's
    apiserver and the ServiceAccount's token)."""
    d = one(rendered, overlay, "Deployment", "kfdash")
    (c,) = d["spec"]["template"]["spec"]["containers"]
    env = dict(one(rendered, overlay, "ConfigMap", c["envFrom"][0]["configMapRef"]["name"])["data"])
    env["POD_NAMESPACE"] = d["metadata"]["namespace"]
    mounts = {m["name"]: Path(tmp_path / m["name"]) for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in d["spec"]["template"]["spec"]["volumes"]}
    for name, where in mounts.items():
        where.mkdir()
        v = volumes[name]
        if "secret" in v:
            data = one(rendered, overlay, "Secret", v["secret"]["secretName"])["data"]
        elif "configMap" in v:
            data = {k: base64.b64encode(s.encode()).decode()
                    for k, s in one(rendered, overlay, "ConfigMap", v["configMap"]["name"])["data"].items()}
        else:
            continue
        for key, b64 in data.items():
            (where / key).write_bytes(base64.b64decode(b64))
    by_mount = {m["mountPath"]: mounts[m["name"]] for m in c["volumeMounts"]}
    for e in c["env"]:
        if "value" in e:
            value = e["value"]
            for mount_path, local in by_mount.items():
                if value == mount_path or value.startswith(mount_path + "/"):
                    value = str(local) + value[len(mount_path):]
            env[e["name"]] = value
        elif "secretKeyRef" in e.get("valueFrom", {}):
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = base64.b64decode(one(rendered, overlay, "Secret", ref["name"])["data"][ref["key"]]).decode()
    env.pop("KFDASH_LISTEN")
    env.update({"KFDASH_OIDC_ISSUER": stack["DEX_ISSUER"], "KFDASH_MLFLOW_URL": stack["MLFLOW_URL"],
                "KFDASH_KUBE_API": stack["KFDASH_APISERVER"], "KFDASH_KUBE_CA_FILE": stack["KFDASH_STACK_CA"],
                "KFDASH_KUBE_TOKEN_FILE": stack["KFDASH_STACK_KFDASH_TOKEN_FILE"]})
    if "KFDASH_OIDC_AUTHORIZATION_URL" in env:
        # The kubeflow overlays send browsers to /dex/auth, which Kubeflow's gateway routes to
        # Dex; there is no gateway here, so the browser goes to the stack's Dex directly (still
        # through the setting, not discovery).
        env["KFDASH_OIDC_AUTHORIZATION_URL"] = stack["DEX_ISSUER"].rstrip("/") + "/auth"
    # start_kfdash's flags name the same issuer and client id; the rest comes from env.
    return start_kfdash(stack, port=signin_port(), env=env), env


# Kubeflow's own menu, as its kserve overlay installs it (abridged) and an operator changed it.
KUBEFLOW_MENU = {"menuLinks": [{"icon": "book", "link": "/jupyter/", "text": "Notebooks", "type": "item"},
                               {"icon": "kubeflow:katib", "link": "/katib/", "text": "Katib Experiments",
                                "type": "item"},
                               {"link": "/grafana/", "text": "Our Grafana", "type": "item"}],
                 "externalLinks": [], "documentationItems": [], "quickLinks": []}


@pytest.fixture
def menu_in_cluster(stack, rendered):
    """overlay -> the dashboard-config the cluster holds for kfdash to read through the API: the
    one the standalone overlay renders, applied; for a Kubeflow overlay, Kubeflow's own (the
    overlay renders none). Deleted afterwards."""
    api = admin_session(stack)
    path = "/api/v1/namespaces/kubeflow/configmaps"

    def put(overlay):
        if overlay.startswith("kubeflow"):
            data = {"links": json.dumps(KUBEFLOW_MENU), "settings": '{"DASHBOARD_FORCE_IFRAME": true}'}
        else:
            data = one(rendered, overlay, "ConfigMap", "dashboard-config")["data"]
        api.delete(f"{path}/dashboard-config")
        r = api.post(path, json={"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "dashboard-config"}, "data": data})
        assert r.status_code == 201, r.text
        return json.loads(data["links"])
    yield put
    api.delete(f"{path}/dashboard-config")
    api.close()


@pytest.mark.parametrize("overlay", ["standalone", "kubeflow"])
def test_kfdash_from_the_rendered_config_signs_in_and_answers_a_namespaced_call(stack, rendered, overlay,
                                                                                 demo_password, tmp_path,
                                                                                 menu_in_cluster):
    menu = menu_in_cluster(overlay)
    k, env = local_kfdash(stack, rendered, overlay, tmp_path)
    try:
        assert Path(env["KFDASH_SESSION_KEYS_FILE"]).read_text().count("\n") == 2  # a rotation in progress
        # The menu, read through the API server with the shipped role: the cluster's, untouched.
        links = plain_session().get(f"{k.url}/api/dashboard-links", timeout=10).json()
        assert links == menu
        alice, _ = sign_in(k, ALICE, demo_password("alice"))
        r = alice.get(f"{k.url}/api/namespaces/alice/notebooks", timeout=15)
        assert r.status_code == 200, r.text
        assert "nb1" in {n["name"] for n in r.json()["notebooks"]}, r.text
        # A namespace alice has no role in: refused by kfdash before any API call.
        r = alice.get(f"{k.url}/api/namespaces/bob/notebooks", timeout=15)
        assert r.status_code == 403, r.text
        # A stranger to alice's namespace: bob owns his own, and contributes to alice's; carol
        # only views alice's; nobody but bob is in bob's.
        carol, _ = sign_in(k, "carol@example.com", demo_password("carol"))
        assert carol.get(f"{k.url}/api/namespaces/bob/notebooks", timeout=15).status_code == 403
    finally:
        k.stop()


def test_the_authorizer_answers_istio_as_the_mesh_provider_expects(stack, rendered, mesh_providers,
                                                                    demo_password, tmp_path):
    """/auth/check/<path>, as Envoy calls it with the provider's pathPrefix: the user header on
    allow, a redirect to kfdash's sign-in page for a stranger's page load."""
    k, env = local_kfdash(stack, rendered, "kubeflow", tmp_path)
    try:
        p = mesh_providers["kfdash"]["envoyExtAuthzHttp"]
        alice, _ = sign_in(k, ALICE, demo_password("alice"))
        cookie = "; ".join(f"{c.name}={c.value}" for c in alice.cookies)
        check = f"{k.url}{p['pathPrefix']}/notebook/alice/nb1/lab"
        r = plain_session().get(check, headers={"cookie": cookie, "accept": "text/html"},
                                allow_redirects=False, timeout=10)
        assert r.status_code == 200, r.text
        upstream = {h for h in p["headersToUpstreamOnAllow"] if h in r.headers}
        assert r.headers[env["USERID_HEADER"]] == ALICE and env["USERID_HEADER"] in upstream
        r = plain_session().get(check, headers={"accept": "text/html"}, allow_redirects=False, timeout=10)
        assert r.status_code == 302, r.text
        location = urllib.parse.urlparse(r.headers["location"])
        assert location.path == "/auth/login" and "location" in p["headersToDownstreamOnDeny"]
        assert urllib.parse.parse_qs(location.query)["rd"] == ["/notebook/alice/nb1/lab"]
        # An API call without credentials: 401, not a redirect.
        r = plain_session().get(f"{k.url}{p['pathPrefix']}/api/namespaces/alice/notebooks",
                                headers={"accept": "application/json"}, allow_redirects=False, timeout=10)
        assert r.status_code == 401, r.text
    finally:
        k.stop()


# ---------------------------------------------------------------- the role is not cluster-admin

def test_the_shipped_role_refuses_what_kfdash_does_not_do(stack, as_token):
    sa = as_token(Path(stack["KFDASH_STACK_KFDASH_TOKEN_FILE"]).read_text().strip())
    refused = [("GET", "/api/v1/namespaces/alice/secrets"), ("GET", "/api/v1/secrets"),
               ("GET", "/api/v1/namespaces/alice/configmaps"),
               ("GET", "/apis/kubeflow.org/v1/namespaces/alice/notebooks/nb1"),
               ("DELETE", "/apis/kubeflow.org/v1/namespaces/alice/notebooks/nb1"),
               ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"),
               ("POST", "/api/v1/namespaces"), ("DELETE", "/api/v1/namespaces/alice"),
               ("GET", "/api/v1/namespaces/alice")]
    for method, path in refused:
        r = sa.request(method, path)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
    r = sa.post("/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings", json={
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": f"escalate-{secrets.token_hex(4)}"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-admin"},
        "subjects": [{"kind": "User", "name": BOB}]}, params={"dryRun": "All"})
    assert r.status_code == 403, r.text  # no `bind` on kubeflow-admin
    # Of the ConfigMaps of its own namespace, it reads dashboard-config alone.
    assert sa.get("/api/v1/namespaces/kubeflow/configmaps").status_code == 403
    assert sa.get("/api/v1/namespaces/kubeflow/configmaps/kfdash-other").status_code == 403
    assert sa.get("/api/v1/namespaces/kubeflow/configmaps/dashboard-config").status_code in (200, 404)
    assert sa.get("/api/v1/namespaces/kubeflow/configmaps",
                  params={"fieldSelector": "metadata.name=dashboard-config"}).status_code == 200
    # What it does as itself is allowed: the caches' lists (Namespaces verify the Profiles).
    assert sa.get("/apis/kubeflow.org/v1/profiles?limit=1").status_code == 200
    assert sa.get("/apis/rbac.authorization.k8s.io/v1/rolebindings?limit=1").status_code == 200
    assert sa.get("/api/v1/namespaces?limit=1").status_code == 200
