"""kubectl (issue 17), built by tests/stack/build-peers.sh from the Kubernetes module the stack's
kube-apiserver comes from (k8s.io/kubernetes/cmd/kubectl at $KUBE_VERSION), talks to the stack:
the tool the suite will run against kfdash's /api/k8s works against the real API server first."""
import json
import subprocess
from pathlib import Path


def kubectl(stack, *args, user=None):
    cmd = [stack["KUBECTL"], "--kubeconfig", stack["KUBECONFIG"], *(["--as", user] if user else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_kubectl_is_the_stacks_kubernetes_version(stack):
    assert Path(stack["KUBECTL"]).name.startswith("kubectl-v1.")
    r = kubectl(stack, "version", "-o", "json")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    assert v["clientVersion"]["gitVersion"] == Path(stack["KUBECTL"]).name.removeprefix("kubectl-")
    assert v["serverVersion"]["gitVersion"] == v["clientVersion"]["gitVersion"], v


def test_kubectl_lists_the_profile_namespaces(stack):
    r = kubectl(stack, "get", "namespaces")
    assert r.returncode == 0, r.stderr
    names = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert {"alice", "bob", "carol", "kubeflow"} <= set(names), r.stdout


def test_kubectl_reads_custom_resources_and_the_quota(stack):
    r = kubectl(stack, "get", "notebooks.kubeflow.org", "-n", "alice", "-o", "name")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["notebook.kubeflow.org/nb1"], r.stdout
    # What issue 18's quota bars must match.
    r = kubectl(stack, "describe", "quota", "kf-resource-quota", "-n", "alice")
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines()
            if line.split() and line.split()[0] in ("cpu", "memory", "requests.nvidia.com/gpu")}
    assert rows["cpu"][1] == "16" and rows["memory"][1] == "64Gi", r.stdout
    assert rows["requests.nvidia.com/gpu"][1] == "4", r.stdout


def test_kubectl_as_a_user_is_held_to_the_users_roles(stack):
    r = kubectl(stack, "auth", "can-i", "create", "notebooks.kubeflow.org", "-n", "alice",
                user="bob@example.com")
    assert (r.returncode, r.stdout.strip()) == (0, "yes"), (r.stdout, r.stderr)
    r = kubectl(stack, "get", "notebooks.kubeflow.org", "-n", "carol", user="bob@example.com")
    assert r.returncode == 1 and "Forbidden" in r.stderr, (r.stdout, r.stderr)
