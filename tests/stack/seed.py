#!/usr/bin/env python3
"""Seed the local stack's kube-apiserver with what Kubeflow would have made.

Usage:
  seed.py [CONNECTION] apply FILE...
      Server-side apply every YAML document of the files (CustomResourceDefinitions
      first, each waited for until Established; then Namespaces; then the rest in
      file order).
  seed.py [CONNECTION] profiles
      The demo profiles, as Kubeflow's profile-controller and KFAM would make them:
      alice (owner alice@example.com, the resourceQuotaSpec ALICE_QUOTA) with
      bob@example.com as contributor (edit) and carol@example.com as viewer; bob
      (owner bob@example.com); carol (owner carol@example.com).
      admin@example.com is a cluster admin in kfdash's configuration only: it gets
      no binding here (and no Kubernetes cluster-admin).
  seed.py [CONNECTION] scale --profiles N --contributors M [--users U]
      N profiles scale-0000.. owned by owner-0000@example.com..; profile i gets M
      contributors user-YYYY@example.com with YYYY = (i*M + j) % U (default U=100,
      so every user contributes to about N*M/U profiles), role edit for even j and
      view for odd j. 8 requests in flight; progress every 100 profiles.
  seed.py [CONNECTION] kfdash-credentials --out DIR
      Waits for the token of ServiceAccount kubeflow/kfdash (packaging/kustomize/rbac,
      rendered by `stack.sh rbac`) in Secret kfdash-token (manifests/kfdash-token.yaml)
      and writes it to DIR/kfdash.token.
  seed.py [CONNECTION] dex-users [--namespace auth]
      Dex Password objects for alice, bob, carol and admin @example.com, passwords
      from KFDASH_DEMO_PASSWORD_<USER>, hashed with $KFDASH_BCRYPT.
  seed.py [CONNECTION] objects --ml-env FILE
      What the notebook controller, the Spark operator and KServe would record for
      the ML peers of FILE (ml-peers.py's ml.env): Notebooks alice/nb1 and bob/nb2
      (readyReplicas 1), SparkApplication alice/app1 (RUNNING), InferenceService
      alice/iris-classifier (Ready, with url), each with its status.

Per profile (profile-controller): the Profile (owner a User), status.conditions
[{type: Ready, status: "True"}] through the status subresource; Namespace of the
same name (annotation owner, labels istio-injection=enabled and
app.kubernetes.io/part-of=kubeflow-profile); Istio AuthorizationPolicy
ns-owner-access-istio; ServiceAccounts default-editor/default-viewer with
RoleBindings to kubeflow-edit/kubeflow-view; RoleBinding namespaceAdmin to
kubeflow-admin for the owner (annotations user, role=admin); ResourceQuota
kf-resource-quota with the Profile's spec.resourceQuotaSpec when its `hard` is not
empty (deleted when it is, as the controller does). All of them carry
the Profile as controller ownerReference, so deleting the Profile garbage-collects
them (kube-controller-manager's garbagecollector and namespace controllers).
Per contributor (KFAM): RoleBinding and Istio AuthorizationPolicy
user-<email>-clusterrole-<edit|view> (see kfam_binding_name), annotations user, role.

Every object is written by server-side apply (PATCH with
Content-Type application/apply-patch+yaml, fieldManager=kfdash-stack, force=true),
so every command can be re-run: it converges instead of failing on 409.

CONNECTION (first match wins):
  --server URL --ca FILE --cert FILE --key FILE   (a client certificate), or the
      same from the environment tests/stack/k8s-up.sh writes into $KFDASH_STACK_DIR/env:
      KFDASH_APISERVER, KFDASH_STACK_CA, KFDASH_STACK_ADMIN_CERT, KFDASH_STACK_ADMIN_KEY;
  --kubeconfig FILE, else $KUBECONFIG: a kubeconfig with ONE cluster and ONE user
      (server, certificate-authority[-data], client-certificate[-data] +
      client-key[-data] or token), as k8s-up.sh writes them. No YAML library is
      used, so larger kubeconfigs are refused rather than guessed at.
  --token TOKEN may replace --cert/--key (a bearer token).

Typical use, after tests/stack/k8s-up.sh:
  source "$KFDASH_STACK_DIR/env"
  python3 tests/stack/seed.py apply tests/stack/manifests/*.yaml
  python3 tests/stack/seed.py profiles
  python3 tests/stack/seed.py scale --profiles 1000 --contributors 5

Needs Python 3.11 and `requests` only.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import requests

FIELD_MANAGER = "kfdash-stack"
APPLY_CT = "application/apply-patch+yaml"

# Kubeflow's defaults (profile-controller and KFAM).
USERID_HEADER = "kubeflow-userid"
USERID_PREFIX = ""
ISTIO_INGRESS_GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
KFP_UI_PRINCIPAL = "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"
NOTEBOOK_CONTROLLER_PRINCIPAL = "cluster.local/ns/kubeflow/sa/notebook-controller-service-account"
OWNER_POLICY = "ns-owner-access-istio"
PROFILE_QUOTA = "kf-resource-quota"  # profile-controller's name for the Profile's ResourceQuota
NAMESPACE_LABELS = {
    "istio-injection": "enabled",
    "app.kubernetes.io/part-of": "kubeflow-profile",
}

# Objects seed.py writes itself: (group/version, plural, namespaced).
BUILTIN = {
    "Profile": ("kubeflow.org/v1", "profiles", False),
    "Namespace": ("v1", "namespaces", False),
    "ServiceAccount": ("v1", "serviceaccounts", True),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "rolebindings", True),
    "AuthorizationPolicy": ("security.istio.io/v1beta1", "authorizationpolicies", True),
    "Password": ("dex.coreos.com/v1", "passwords", True),
    "ResourceQuota": ("v1", "resourcequotas", True),
    "Notebook": ("kubeflow.org/v1", "notebooks", True),
    "SparkApplication": ("sparkoperator.k8s.io/v1beta2", "sparkapplications", True),
    "InferenceService": ("serving.kserve.io/v1beta1", "inferenceservices", True),
}


class ApiError(Exception):
    pass


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# Connection


def _kubeconfig_values(path: str) -> dict[str, str]:
    """The few scalar keys we need from a single-cluster, single-user kubeconfig."""
    keys = (
        "server",
        "certificate-authority",
        "certificate-authority-data",
        "client-certificate",
        "client-certificate-data",
        "client-key",
        "client-key-data",
        "token",
        "insecure-skip-tls-verify",
    )
    found: dict[str, set[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*([A-Za-z-]+):\s*(.*?)\s*$", line)
            if m and m.group(1) in keys and m.group(2):
                found.setdefault(m.group(1), set()).add(_unquote(m.group(2)))
    several = [k for k, v in found.items() if len(v) > 1]
    if several:
        raise SystemExit(
            f"{path}: several values for {', '.join(several)}: this kubeconfig has more than one "
            "cluster or user; pass --server/--ca/--cert/--key instead"
        )
    return {k: next(iter(v)) for k, v in found.items()}


def _materialize(data_b64: str, name: str) -> str:
    d = getattr(_materialize, "dir", None)
    if d is None:
        d = tempfile.mkdtemp(prefix="kfdash-seed-")
        atexit.register(shutil.rmtree, d, True)
        _materialize.dir = d  # type: ignore[attr-defined]
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(base64.b64decode(data_b64))
    os.chmod(p, 0o600)
    return p


@dataclass
class Conn:
    server: str
    ca: str | bool
    cert: tuple[str, str] | None
    token: str | None
    source: str


def connection(args: argparse.Namespace) -> Conn:
    env = os.environ
    server = args.server or (None if args.kubeconfig else env.get("KFDASH_APISERVER"))
    if server:
        ca = args.ca or env.get("KFDASH_STACK_CA")
        cert = args.cert or env.get("KFDASH_STACK_ADMIN_CERT")
        key = args.key or env.get("KFDASH_STACK_ADMIN_KEY")
        if not ca:
            raise SystemExit("--ca (or KFDASH_STACK_CA) is required with --server")
        if not args.token and not (cert and key):
            raise SystemExit("--cert and --key (or KFDASH_STACK_ADMIN_CERT/_KEY), or --token, are required")
        return Conn(server.rstrip("/"), ca, None if args.token else (cert, key), args.token,
                    f"{server} (client certificate {cert})" if not args.token else f"{server} (token)")
    path = args.kubeconfig or env.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    if ":" in path:
        raise SystemExit(f"KUBECONFIG={path}: a list of files is not supported; pass --kubeconfig FILE")
    if not os.path.exists(path):
        raise SystemExit("no connection: pass --server/--ca/--cert/--key, source $KFDASH_STACK_DIR/env, "
                         "or pass --kubeconfig FILE")
    kc = _kubeconfig_values(path)
    if "server" not in kc:
        raise SystemExit(f"{path}: no server")
    if "certificate-authority-data" in kc:
        ca: str | bool = _materialize(kc["certificate-authority-data"], "ca.crt")
    elif "certificate-authority" in kc:
        ca = kc["certificate-authority"]
    else:
        ca = kc.get("insecure-skip-tls-verify") != "true"
    cert = kc.get("client-certificate") or (
        _materialize(kc["client-certificate-data"], "client.crt") if "client-certificate-data" in kc else None)
    key = kc.get("client-key") or (
        _materialize(kc["client-key-data"], "client.key") if "client-key-data" in kc else None)
    token = args.token or kc.get("token")
    if not token and not (cert and key):
        raise SystemExit(f"{path}: no client certificate+key and no token")
    return Conn(kc["server"].rstrip("/"), ca, None if token else (cert, key), token, f"{kc['server']} (kubeconfig {path})")


class Api:
    """A thin client: one requests.Session shared by all threads."""

    def __init__(self, conn: Conn, pool: int = 16):
        self.base = conn.server
        s = requests.Session()
        # Ignore REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE and proxy variables: with
        # trust_env, requests lets REQUESTS_CA_BUNDLE override session.verify.
        s.trust_env = False
        s.verify = conn.ca
        if conn.cert:
            s.cert = conn.cert
        if conn.token:
            s.headers["Authorization"] = f"Bearer {conn.token}"
        s.headers["User-Agent"] = "kfdash-stack-seed"
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=pool)
        s.mount("https://", adapter)
        s.mount("http://", adapter)
        self.s = s
        self._disc: dict[str, dict[str, tuple[str, bool]]] = {}
        self._disc_lock = threading.Lock()

    def request(self, method: str, path: str, what: str, *, ok404: bool = False, **kw) -> requests.Response:
        """Send, retrying briefly on throttling and transient server errors."""
        delay = 0.2
        for attempt in range(8):
            try:
                r = self.s.request(method, self.base + path, timeout=60, **kw)
            except requests.ConnectionError as e:
                if attempt == 7:
                    raise ApiError(f"{what}: {method} {path}: {e}") from None
                time.sleep(delay)
                delay = min(delay * 2, 3)
                continue
            if r.status_code in (429, 500, 502, 503, 504) and attempt < 7:
                time.sleep(float(r.headers.get("Retry-After") or delay))
                delay = min(delay * 2, 3)
                continue
            if r.status_code == 404 and ok404:
                return r
            if r.status_code >= 400:
                raise ApiError(f"{what}: HTTP {r.status_code}: {_message(r)}")
            return r
        raise AssertionError("unreachable")

    def get(self, path: str, what: str, **kw) -> requests.Response:
        return self.request("GET", path, what, **kw)

    def apply(self, path: str, body: str | dict, what: str) -> requests.Response:
        data = body if isinstance(body, str) else json.dumps(body)  # JSON is YAML
        return self.request(
            "PATCH", path, what,
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            data=data.encode("utf-8"),
            headers={"Content-Type": APPLY_CT, "Accept": "application/json"},
        )

    # -- discovery ------------------------------------------------------------

    def resource_for(self, api_version: str, kind: str, wait: float = 30.0) -> tuple[str, bool]:
        """(plural, namespaced) of KIND in API_VERSION, from discovery; waits for new CRDs."""
        deadline = time.monotonic() + wait
        while True:
            with self._disc_lock:
                known = self._disc.get(api_version)
            if known and kind in known:
                return known[kind]
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            r = self.get(path, f"discovery of {api_version}", ok404=True)
            table: dict[str, tuple[str, bool]] = {}
            if r.status_code == 200:
                for res in r.json().get("resources", []):
                    if "/" not in res["name"]:
                        table[res["kind"]] = (res["name"], bool(res["namespaced"]))
            with self._disc_lock:
                self._disc[api_version] = table
            if kind in table:
                return table[kind]
            if time.monotonic() > deadline:
                raise ApiError(f"the apiserver does not serve kind {kind} in {api_version} "
                               "(missing CustomResourceDefinition?)")
            time.sleep(0.5)


def _message(r: requests.Response) -> str:
    try:
        j = r.json()
        return j.get("message") or json.dumps(j)[:500]
    except ValueError:
        return r.text.strip()[:500] or r.reason


def _unquote(v: str) -> str:
    v = v.strip()
    if v[:1] in ("'", '"'):
        q = v[0]
        end = v.find(q, 1)
        return v[1:end] if end > 0 else v[1:]
    return re.sub(r"\s+#.*$", "", v).strip()


def obj_path(gv: str, plural: str, namespaced: bool, name: str, namespace: str | None) -> str:
    root = "/api/v1" if gv == "v1" else f"/apis/{gv}"
    ns = f"/namespaces/{namespace}" if namespaced else ""
    return f"{root}{ns}/{plural}/{name}"


# ---------------------------------------------------------------------------
# apply FILE...


@dataclass
class Doc:
    file: str
    index: int
    text: str
    api_version: str
    kind: str
    name: str
    namespace: str | None

    def label(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def split_documents(path: str) -> list[Doc]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    docs: list[Doc] = []
    chunks: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            chunks.append([])
        else:
            chunks[-1].append(line)
    for i, lines in enumerate(chunks):
        body = "".join(lines)
        if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in lines):
            continue
        api_version, kind, name, namespace = _head(lines)
        where = f"{path}: document {i + 1}"
        if not api_version or not kind:
            raise SystemExit(f"{where}: no top-level apiVersion/kind")
        if not name:
            raise SystemExit(f"{where}: {kind} without metadata.name")
        docs.append(Doc(path, i + 1, body, api_version, kind, name, namespace))
    return docs


def _head(lines: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    """apiVersion, kind, metadata.name, metadata.namespace of one block-style YAML document."""
    api_version = kind = name = namespace = None
    in_meta = False
    meta_indent: int | None = None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            key, _, value = line.rstrip("\n").partition(":")
            in_meta = False
            if key == "apiVersion":
                api_version = _unquote(value)
            elif key == "kind":
                kind = _unquote(value)
            elif key == "metadata":
                value = value.strip()
                if value.startswith("{"):  # flow style: metadata: {name: x, namespace: y}
                    m = re.search(r"[{,]\s*name:\s*([^,}]+)", value)
                    n = re.search(r"[{,]\s*namespace:\s*([^,}]+)", value)
                    name = _unquote(m.group(1)) if m else None
                    namespace = _unquote(n.group(1)) if n else None
                else:
                    in_meta, meta_indent = True, None
        elif in_meta:
            if meta_indent is None:
                meta_indent = indent
            if indent == meta_indent:
                key, _, value = line.strip().partition(":")
                if key == "name":
                    name = _unquote(value)
                elif key == "namespace":
                    namespace = _unquote(value)
    return api_version, kind, name, namespace


def wait_established(api: Api, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        r = api.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}",
                    f"CustomResourceDefinition {name}")
        conds = {c["type"]: c for c in r.json().get("status", {}).get("conditions", [])}
        est = conds.get("Established", {})
        if est.get("status") == "True":
            return
        nac = conds.get("NamesAccepted", {})
        if nac.get("status") == "False":
            raise ApiError(f"CustomResourceDefinition {name}: names not accepted: {nac.get('message')}")
        if time.monotonic() > deadline:
            raise ApiError(f"CustomResourceDefinition {name}: not Established after {timeout:.0f}s "
                           f"(conditions: {json.dumps(list(conds.values()))})")
        time.sleep(0.2)


def apply_doc(api: Api, d: Doc, new_groups: frozenset[str] = frozenset()) -> str:
    # Discovery of a group whose CRD was just applied can lag a moment: wait for
    # those; any other unknown kind fails at once.
    group = d.api_version.rpartition("/")[0]
    try:
        plural, namespaced = api.resource_for(d.api_version, d.kind, wait=30.0 if group in new_groups else 0.0)
    except ApiError as e:
        raise ApiError(f"{d.label()} ({d.file}): {e}") from None
    ns = d.namespace
    if namespaced and not ns:
        ns = "default"
        d.namespace = ns
    if not namespaced and ns:
        raise ApiError(f"{d.label()} ({d.file}): {d.kind} is cluster-scoped but has a namespace")
    r = api.apply(obj_path(d.api_version, plural, namespaced, d.name, ns), d.text, f"{d.label()} ({d.file})")
    return "created" if r.status_code == 201 else "applied"


def _crd_group(d: Doc) -> str:
    """The group of a CustomResourceDefinition: its name is <plural>.<group>."""
    return d.name.partition(".")[2]


def cmd_apply(api: Api, files: list[str]) -> None:
    docs = [d for f in files for d in split_documents(f)]
    crds = [d for d in docs if d.kind == "CustomResourceDefinition"]
    nss = [d for d in docs if d.kind == "Namespace"]
    rest = [d for d in docs if d.kind not in ("CustomResourceDefinition", "Namespace")]
    t0 = time.monotonic()
    for d in crds:
        log(f"  {apply_doc(api, d):8} {d.label()}")
    for d in crds:
        wait_established(api, d.name)
    if crds:
        log(f"  {len(crds)} CustomResourceDefinitions Established")
    new_groups = frozenset(_crd_group(d) for d in crds)
    for d in nss + rest:
        log(f"  {apply_doc(api, d, new_groups):8} {d.label()}")
    log(f"applied {len(docs)} objects from {len(files)} file(s) in {time.monotonic() - t0:.1f}s")


# ---------------------------------------------------------------------------
# Profiles, the way profile-controller and KFAM make them


def kfam_binding_name(email: str, role: str) -> str:
    """KFAM's RoleBinding/AuthorizationPolicy name for a contributor.

    KFAM joins "user", the e-mail, "clusterrole" and the role with '-', lowercases,
    and replaces every run of characters other than [a-zA-Z0-9] with one '-':
    bob@example.com, edit -> user-bob-example-com-clusterrole-edit.
    """
    return re.sub(r"[^a-zA-Z0-9]+", "-", f"user-{email}-clusterrole-{role}".lower())


class Seeder:
    def __init__(self, api: Api, verbose: bool):
        self.api = api
        self.verbose = verbose

    def put(self, kind: str, name: str, body: dict, namespace: str | None = None,
            subresource: str = "") -> dict:
        gv, plural, namespaced = BUILTIN[kind]
        body = {"apiVersion": gv, "kind": kind, **body}
        body.setdefault("metadata", {})["name"] = name
        if namespaced:
            body["metadata"]["namespace"] = namespace
        path = obj_path(gv, plural, namespaced, name, namespace) + (f"/{subresource}" if subresource else "")
        what = f"{kind} {namespace + '/' if namespaced else ''}{name}{' (' + subresource + ')' if subresource else ''}"
        r = self.api.apply(path, body, what)
        if self.verbose:
            log(f"  {'created' if r.status_code == 201 else 'applied':8} {what}")
        return r.json()

    def profile(self, name: str, owner: str, quota: dict | None = None) -> list[dict]:
        """Profile (with spec.resourceQuotaSpec = quota, if given) + what profile-controller makes
        for it. Returns owner references for children."""
        spec: dict = {"owner": {"kind": "User", "name": owner}}
        if quota:
            spec["resourceQuotaSpec"] = quota
        p = self.put("Profile", name, {"spec": spec})
        ref = self.adopt(p)
        if ref is None:
            raise ApiError(f"Profile {name}: its namespace exists and belongs to someone else")
        return ref

    def adopt(self, p: dict) -> list[dict] | None:
        """What profile-controller does for Profile p: the namespace (annotated with the owner)
        and, inside it, the owner's binding and policy and the default-editor/-viewer accounts.
        Like the controller, it refuses a namespace that exists without that owner annotation:
        the Profile then gets Ready False and nothing else happens (returns None)."""
        name, owner = p["metadata"]["name"], p["spec"]["owner"]["name"]
        ref = [{
            "apiVersion": "kubeflow.org/v1", "kind": "Profile", "name": name,
            "uid": p["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True,
        }]
        existing = self.api.get(f"/api/v1/namespaces/{name}", f"Namespace {name}", ok404=True)
        held = existing.status_code == 200 and existing.json().get("status", {}).get("phase") != "Terminating"
        if held and (existing.json()["metadata"].get("annotations") or {}).get("owner") != owner:
            self.put("Profile", name, {"status": {"conditions": [{
                "type": "Ready", "status": "False", "reason": "NamespaceExists",
                "message": f"namespace {name} exists already and is not owned by {owner}"}]}},
                subresource="status")
            return None
        ns_body = {"metadata": {"annotations": {"owner": owner}, "labels": dict(NAMESPACE_LABELS), "ownerReferences": ref}}
        ns = self.put("Namespace", name, ns_body)
        if ns.get("status", {}).get("phase") == "Terminating":
            # Left over from a deleted profile of the same name: wait for the
            # namespace controller to finish, then make it anew.
            log(f"  namespace {name} is being deleted: waiting for it to go")
            deadline = time.monotonic() + 120
            while self.api.get(f"/api/v1/namespaces/{name}", f"Namespace {name}", ok404=True).status_code != 404:
                if time.monotonic() > deadline:
                    raise ApiError(f"Namespace {name}: still Terminating after 120s")
                time.sleep(0.5)
            self.put("Namespace", name, ns_body)
        # The owner's Istio policy (profile-controller's ns-owner-access-istio).
        self.put("AuthorizationPolicy", OWNER_POLICY, {
            "metadata": {"annotations": {"user": owner, "role": "admin"}, "ownerReferences": ref},
            "spec": {"action": "ALLOW", "rules": [
                {"when": [{"key": f"request.headers[{USERID_HEADER}]", "values": [USERID_PREFIX + owner]}],
                 "from": [{"source": {"principals": [ISTIO_INGRESS_GATEWAY_PRINCIPAL, KFP_UI_PRINCIPAL]}}]},
                {"when": [{"key": "source.namespace", "values": [name]}]},
                {"to": [{"operation": {"paths": ["/healthz", "/metrics", "/wait-for-drain"]}}]},
                {"from": [{"source": {"principals": [NOTEBOOK_CONTROLLER_PRINCIPAL]}}],
                 "to": [{"operation": {"methods": ["GET"], "paths": ["*/api/kernels"]}}]},
            ]},
        }, name)
        for sa, role in (("default-editor", "kubeflow-edit"), ("default-viewer", "kubeflow-view")):
            self.put("ServiceAccount", sa, {"metadata": {"ownerReferences": ref}}, name)
            self.put("RoleBinding", sa, {
                "metadata": {"ownerReferences": ref},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": name}],
            }, name)
        self.put("RoleBinding", "namespaceAdmin", {
            "metadata": {"annotations": {"user": owner, "role": "admin"}, "ownerReferences": ref},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": owner}],
        }, name)
        self.quota(name, (p.get("spec") or {}).get("resourceQuotaSpec") or {}, ref)
        self.put("Profile", name, {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
                 subresource="status")
        return ref

    def quota(self, namespace: str, spec: dict, ref: list[dict]) -> None:
        """profile-controller's ResourceQuota: kf-resource-quota with the Profile's
        resourceQuotaSpec as its spec while that has a non-empty `hard`, else none (an existing
        one is deleted). Server-side apply with the same field manager also drops the limits
        the Profile no longer names. kube-controller-manager's resourcequota controller then
        writes its status (hard and used)."""
        path = obj_path("v1", "resourcequotas", True, PROFILE_QUOTA, namespace)
        if spec.get("hard"):
            self.put("ResourceQuota", PROFILE_QUOTA, {"metadata": {"ownerReferences": ref}, "spec": spec},
                     namespace)
        elif self.api.request("DELETE", path, f"ResourceQuota {namespace}/{PROFILE_QUOTA}",
                              ok404=True).status_code != 404 and self.verbose:
            log(f"  deleted  ResourceQuota {namespace}/{PROFILE_QUOTA}")

    def contributor(self, namespace: str, email: str, role: str) -> None:
        """What KFAM's add-contributor makes: a RoleBinding and an Istio AuthorizationPolicy."""
        assert role in ("edit", "view")
        name = kfam_binding_name(email, role)
        ann = {"user": email, "role": role}
        self.put("RoleBinding", name, {
            "metadata": {"annotations": ann},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"kubeflow-{role}"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": email}],
        }, namespace)
        self.put("AuthorizationPolicy", name, {
            "metadata": {"annotations": ann},
            "spec": {"rules": [{
                "when": [{"key": f"request.headers[{USERID_HEADER}]", "values": [USERID_PREFIX + email]}],
                "from": [{"source": {"principals": [ISTIO_INGRESS_GATEWAY_PRINCIPAL, KFP_UI_PRINCIPAL]}}],
            }]},
        }, namespace)


DEMO_USERS = ["alice", "bob", "carol", "admin"]

# alice's Profile.spec.resourceQuotaSpec (a core/v1 ResourceQuotaSpec), in the shape Kubeflow's
# docs show: compute requests, GPUs (extended resources are quota'd as requests.<name> only),
# storage and object counts. With cpu and memory in it, the API server refuses a pod in alice
# whose containers do not all request cpu and memory ("must specify cpu,memory"), as in Kubeflow.
ALICE_QUOTA = {"hard": {
    "cpu": "16", "memory": "64Gi", "requests.nvidia.com/gpu": "4",
    "requests.storage": "200Gi", "persistentvolumeclaims": "20", "pods": "50", "services": "20",
}}

DEMO = [
    # profile, owner, [(contributor, role)], resourceQuotaSpec
    ("alice", "alice@example.com", [("bob@example.com", "edit"), ("carol@example.com", "view")], ALICE_QUOTA),
    ("bob", "bob@example.com", [], None),
    ("carol", "carol@example.com", [], None),
]


def cmd_profiles(api: Api) -> None:
    seed = Seeder(api, verbose=True)
    for name, owner, contributors, quota in DEMO:
        log(f"profile {name} (owner {owner}{', with a resource quota' if quota else ''})")
        seed.profile(name, owner, quota)
        for email, role in contributors:
            log(f"  contributor {email} ({role}) of {name}")
            seed.contributor(name, email, role)
    log("demo profiles ready: alice (owner alice@, bob@ edit, carol@ view, kf-resource-quota), bob (owner bob@), "
        "carol (owner carol@); "
        "admin@example.com is a cluster admin in kfdash's config only")


def cmd_profile_controller(api: Api, ready_file: str | None) -> None:
    """Stands in for Kubeflow's profile controller: lists and watches Profiles and adopts each
    new one (Seeder.adopt), as the controller does for a Profile made by registration, the
    Users page or kubectl. Runs until killed; writes ready_file after the first list."""
    seed = Seeder(api, verbose=False)
    done: dict[str, int] = {}  # uid -> generation reconciled

    def reconcile(p: dict) -> None:
        meta = p["metadata"]
        if done.get(meta["uid"]) == meta.get("generation"):
            return
        try:
            owner = p["spec"]["owner"]["name"]
            adopted = seed.adopt(p) is not None
            log(f"profile {meta['name']} (owner {owner}): " + ("ready" if adopted else
                "refused: its namespace belongs to someone else"))
        except (ApiError, KeyError, TypeError) as e:
            log(f"profile {meta.get('name')}: {e}")
            return
        done[meta["uid"]] = meta.get("generation")

    while True:
        try:
            listed = api.get("/apis/kubeflow.org/v1/profiles", "Profiles").json()
            for p in listed["items"]:
                reconcile(p)
            if ready_file:
                open(ready_file, "w").close()
                ready_file = None
            version = listed["metadata"]["resourceVersion"]
            with api.s.get(api.base + "/apis/kubeflow.org/v1/profiles", stream=True, timeout=(10, 330),
                           params={"watch": "1", "resourceVersion": version,
                                   "timeoutSeconds": "300"}) as r:
                if r.status_code != 200:
                    raise ApiError(f"watch of Profiles: HTTP {r.status_code}")
                for line in r.iter_lines():
                    event = json.loads(line)
                    if event["type"] == "ERROR":
                        break  # 410 Gone and friends: list again
                    if event["type"] in ("ADDED", "MODIFIED"):
                        reconcile(event["object"])
                    elif event["type"] == "DELETED":
                        done.pop(event["object"]["metadata"]["uid"], None)
        except (ApiError, requests.RequestException, ValueError) as e:
            log(f"profile-controller: {e}; listing again in 1s")
            time.sleep(1)


def cmd_scale(api: Api, profiles: int, contributors: int, users: int, workers: int) -> None:
    seed = Seeder(api, verbose=False)
    users = max(users, 1)
    lock = threading.Lock()
    done = 0
    t0 = time.monotonic()

    def one(i: int) -> None:
        nonlocal done
        name = f"scale-{i:04d}"
        seed.profile(name, f"owner-{i:04d}@example.com")
        for j in range(contributors):
            seed.contributor(name, f"user-{(i * contributors + j) % users:04d}@example.com",
                             "edit" if j % 2 == 0 else "view")
        with lock:
            done += 1
            if done % 100 == 0 or done == profiles:
                dt = time.monotonic() - t0
                log(f"  {done}/{profiles} profiles in {dt:.1f}s ({done / dt:.0f} profiles/s)")

    per = 9 + 2 * contributors
    log(f"scale: {profiles} profiles x {contributors} contributors (users from a pool of {users}), "
        f"{per} objects per profile, {workers} in flight")
    errors: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        for fut in concurrent.futures.as_completed([ex.submit(one, i) for i in range(profiles)]):
            exc = fut.exception()
            if exc is not None:
                errors.append(str(exc))
    dt = time.monotonic() - t0
    if errors:
        for e in errors[:10]:
            log(f"  error: {e}")
        raise ApiError(f"{len(errors)} of {profiles} profiles failed")
    log(f"scale: {profiles} profiles, {profiles * per} objects applied in {dt:.1f}s "
        f"({profiles * per / dt if dt else 0:.0f} objects/s)")


# ---------------------------------------------------------------------------
# Dex users, kfdash's credentials, and the objects that describe the running ML peers


def dex_password_name(email: str) -> str:
    """Dex's object name for a Password: lowercase base32 (no padding) of the e-mail followed by
    the 8 bytes of Go's fnv.New64().Sum() over nothing, i.e. FNV-1 64's offset basis."""
    raw = email.encode() + bytes.fromhex("cbf29ce484222325")
    return base64.b32encode(raw).decode().rstrip("=").lower()


def cmd_dex_users(api: Api, namespace: str) -> None:
    """Password objects for the demo users, passwords from KFDASH_DEMO_PASSWORD_<USER>."""
    bcrypt = os.environ["KFDASH_BCRYPT"]
    seed = Seeder(api, verbose=True)
    for i, user in enumerate(DEMO_USERS, start=1):
        password = os.environ[f"KFDASH_DEMO_PASSWORD_{user.upper()}"]
        hashed = subprocess.run([bcrypt], input=password + "\n", capture_output=True, text=True,
                                check=True).stdout.strip()
        email = f"{user}@example.com"
        seed.put("Password", dex_password_name(email), {
            "email": email, "hash": base64.b64encode(hashed.encode()).decode(),
            "username": user, "userID": f"{i:08d}"}, namespace)
    log(f"dex users: {', '.join(u + '@example.com' for u in DEMO_USERS)}")


def cmd_kfdash_credentials(api: Api, out_dir: str) -> None:
    """Waits for the token of ServiceAccount kubeflow/kfdash and writes it next to the CA."""
    path = "/api/v1/namespaces/kubeflow/secrets/kfdash-token"
    deadline = time.monotonic() + 60
    while True:
        data = api.get(path, "Secret kubeflow/kfdash-token", ok404=True)
        token = data.json().get("data", {}).get("token") if data.status_code == 200 else None
        if token:
            break
        if time.monotonic() > deadline:
            raise ApiError("Secret kubeflow/kfdash-token: no token after 60s "
                           "(is the controller-manager's serviceaccount-token controller running?)")
        time.sleep(0.3)
    target = os.path.join(out_dir, "kfdash.token")
    with open(target, "w") as f:
        f.write(base64.b64decode(token).decode())
    os.chmod(target, 0o600)
    log(f"kfdash credentials: token of kubeflow/kfdash in {target}")


def _ml_env(path: str) -> dict[str, str]:
    env = {}
    for line in open(path):
        m = re.match(r"^(?:export )?([A-Z0-9_]+)=(.*)$", line.strip())
        if m:
            env[m[1]] = _unquote(m[2])
    return env


def cmd_objects(api: Api, ml_env_path: str) -> None:
    """What the notebook controller, the Spark operator and KServe would record for the peers
    the stack runs: objects with their status filled (the stack stands in for those controllers)."""
    ml = _ml_env(ml_env_path)
    seed = Seeder(api, verbose=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for ns, nb in (("alice", "nb1"), ("bob", "nb2")):
        seed.put("Notebook", nb, {
            "metadata": {"labels": {"app": nb}, "annotations": {
                "notebooks.kubeflow.org/server-type": "jupyter",
                "notebooks.kubeflow.org/creator": f"{ns}@example.com",
                "notebooks.kubeflow.org/last-activity": now}},
            "spec": {"template": {"spec": {"containers": [{
                "name": nb, "image": "kubeflownotebookswg/jupyter-scipy:v1.9.0",
                "env": [{"name": "NB_PREFIX", "value": f"/notebook/{ns}/{nb}"}],
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}}}}, ns)
        seed.put("Notebook", nb, {"status": {
            "readyReplicas": 1, "containerState": {"running": {"startedAt": now}},
            "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": now}]}},
            ns, subresource="status")
    app = ml.get("SPARK_APP_NAME", "app1")
    seed.put("SparkApplication", app, {"spec": {
        "type": "Python", "mode": "cluster", "image": "spark:4.1.0-python3",
        "mainApplicationFile": "local:///opt/app/job.py", "sparkVersion": "4.1.0",
        "driver": {"cores": 1, "memory": "1g", "serviceAccount": "default-editor"},
        "executor": {"instances": 2, "cores": 1, "memory": "1g"},
        "restartPolicy": {"type": "Never"}}}, "alice")
    seed.put("SparkApplication", app, {"status": {
        "applicationState": {"state": "RUNNING"}, "sparkApplicationId": "spark-stack-0001",
        "submissionAttempts": 1, "executionAttempts": 1, "lastSubmissionAttemptTime": now,
        "driverInfo": {"podName": f"{app}-driver", "webUIServiceName": f"{app}-ui-svc",
                       "webUIPort": 4040, "webUIAddress": f"{app}-ui-svc.alice.svc:4040"},
        "executorState": {f"{app}-exec-1": "RUNNING", f"{app}-exec-2": "RUNNING"}}},
        "alice", subresource="status")
    model = ml.get("MLFLOW_MODEL_NAME", "iris-classifier")
    seed.put("InferenceService", model, {"spec": {"predictor": {"model": {
        "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
        "storageUri": ml.get("MLFLOW_MODEL_ARTIFACT_URI", "")}}}}, "alice")
    seed.put("InferenceService", model, {"status": {
        "url": f"http://{model}.alice.example.com",
        "address": {"url": f"http://{model}-predictor.alice.svc.cluster.local"},
        "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                       for t in ("IngressReady", "PredictorReady", "Ready")],
        "components": {"predictor": {"url": f"http://{model}-predictor.alice.example.com",
                                     "latestReadyRevision": f"{model}-predictor-00001",
                                     "traffic": [{"revisionName": f"{model}-predictor-00001",
                                                  "percent": 100, "latestRevision": True}]}},
        "modelStatus": {"transitionStatus": "UpToDate",
                        "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"}}}},
        "alice", subresource="status")


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", help="apiserver URL (env KFDASH_APISERVER)")
    ap.add_argument("--ca", help="CA bundle of the apiserver (env KFDASH_STACK_CA)")
    ap.add_argument("--cert", help="client certificate (env KFDASH_STACK_ADMIN_CERT)")
    ap.add_argument("--key", help="client key (env KFDASH_STACK_ADMIN_KEY)")
    ap.add_argument("--token", help="bearer token instead of a client certificate")
    ap.add_argument("--kubeconfig", help="single-cluster kubeconfig (env KUBECONFIG)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("apply", help="server-side apply YAML files (CRDs first)")
    a.add_argument("files", nargs="+")
    sub.add_parser("profiles", help="the demo profiles alice, bob and carol")
    s = sub.add_parser("scale", help="many profiles for load tests")
    s.add_argument("--profiles", type=int, required=True)
    s.add_argument("--contributors", type=int, default=0)
    s.add_argument("--users", type=int, default=100, help="size of the contributor pool (default 100)")
    s.add_argument("--workers", type=int, default=8, help="requests in flight (default 8)")
    d = sub.add_parser("dex-users", help="Dex Password objects of the demo users")
    d.add_argument("--namespace", default="auth")
    pc = sub.add_parser("profile-controller", help="adopt every Profile as profile-controller does "
                        "(runs until killed)")
    pc.add_argument("--ready-file", help="written once the first list is done")
    k = sub.add_parser("kfdash-credentials", help="write kfdash's ServiceAccount token")
    k.add_argument("--out", required=True)
    o = sub.add_parser("objects", help="Notebook/SparkApplication/InferenceService of the ML peers")
    o.add_argument("--ml-env", required=True)
    args = ap.parse_args(argv)

    conn = connection(args)
    api = Api(conn, pool=max(16, getattr(args, "workers", 8) * 2))
    log(f"seed {args.cmd}: apiserver {conn.source}")
    try:
        if args.cmd == "apply":
            cmd_apply(api, args.files)
        elif args.cmd == "profiles":
            cmd_profiles(api)
        elif args.cmd == "scale":
            cmd_scale(api, args.profiles, args.contributors, args.users, args.workers)
        elif args.cmd == "dex-users":
            cmd_dex_users(api, args.namespace)
        elif args.cmd == "profile-controller":
            cmd_profile_controller(api, args.ready_file)
        elif args.cmd == "kfdash-credentials":
            cmd_kfdash_credentials(api, args.out)
        elif args.cmd == "objects":
            cmd_objects(api, args.ml_env)
    except ApiError as e:
        print(f"seed {args.cmd}: error: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
