"""Kubeflow's Jupyter web app configuration (spawner_ui_config.yaml, --notebook-spawner-config)
ruling the notebook form: /api/config publishes it, and a create through kfdash makes the
Notebook it describes in the stack's real kube-apiserver (limits from the limit factors, the
chosen affinity and toleration group, imagePullPolicy, /dev/shm), refusing images it does not
list and changes to its readOnly fields. A bad file stops kfdash with the line and the reason.

Users come in as a trusted gateway names them, as in test_notebooks_api.py. Everything these
tests make is named nbspawn-* and removed at the end.
"""
import json
import os
import re
import subprocess
import uuid
from decimal import Decimal

import pytest

from conftest import call_as, gateway_kfdash

ALICE = "alice@example.com"
NBS = "/apis/kubeflow.org/v1/namespaces/alice/notebooks"
CREATE = "/api/namespaces/alice/notebooks"
JUPYTER = ["registry.example.com/nb/jupyter-scipy:v2", "registry.example.com/nb/jupyter-torch:v2"]
CODE = "registry.example.com/nb/codeserver:v2"

# Written the way an admin edits Kubeflow's own copy: comments, quoted quantities, empty lists.
SPAWNER_UI_CONFIG = f"""\
# Configuration file for the Kubeflow Notebooks UI (kfdash stack test).
spawnerFormDefaults:
  allowCustomImage: false
  hideRegistry: true
  imagePullPolicy:
    readOnly: true
    value: Always
  image:
    value: {JUPYTER[0]}
    options:
      - {JUPYTER[0]}
      - {JUPYTER[1]}
  imageGroupOne:
    value: {CODE}
    options:
      - {CODE}
  cpu:
    readOnly: false
    value: "0.5"
    limitFactor: "1.5"
  memory:
    readOnly: false
    value: 1Gi
    limitFactor: "2"
  gpus:
    readOnly: false
    value:
      vendor: ""
      vendors:
        - limitsKey: "nvidia.com/gpu"
          uiName: "NVIDIA"
      num: "none"
  workspaceVolume:
    readOnly: false
    value:
      mount: /home/jovyan
      newPvc:
        metadata:
          name: "{{notebook-name}}-workspace"
        spec:
          resources:
            requests:
              storage: 5Gi
          accessModes:
            - ReadWriteOnce
  dataVolumes:
    readOnly: false
    value: []
  affinityConfig:
    readOnly: false
    value: ""
    options:
      - configKey: "dedicated_node"
        displayName: "Dedicated node"
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - key: "lifecycle"
                      operator: "In"
                      values:
                        - "kubeflow-notebook"
  tolerationGroup:
    readOnly: false
    value: ""
    options:
      - groupKey: "group_1"
        displayName: "4 CPU 8Gb Mem"
        tolerations:
          - key: "dedicated"
            operator: "Equal"
            value: "kubeflow-c5.xlarge"
            effect: "NoSchedule"
  shm:
    readOnly: true
    value: true
  configurations:
    readOnly: false
    value: []
"""

SUFFIX = {"": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(q):
    """A Kubernetes quantity as a number (the API server may write 1.5Gi as 1536Mi)."""
    m = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", q)
    assert m, q
    return Decimal(m.group(1)) * SUFFIX[m.group(2)]


@pytest.fixture(scope="module")
def spawner_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("spawner") / "spawner_ui_config.yaml"
    path.write_text(SPAWNER_UI_CONFIG)
    return path


@pytest.fixture(scope="module")
def kfdash(stack, spawner_file):
    k = gateway_kfdash(stack, "--notebook-spawner-config", str(spawner_file))
    yield k
    k.stop()


@pytest.fixture
def made(admin):
    names = []
    yield names.append
    for name in names:
        admin.delete(f"{NBS}/{name}")


def unique():
    return f"nbspawn-{uuid.uuid4().hex[:8]}"


def test_config_publishes_the_files_choices_defaults_and_read_only_fields(kfdash):
    r = call_as(kfdash, ALICE, "GET", "/api/config")
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["images"] == JUPYTER and c["defaultImage"] == JUPYTER[0]
    assert c["imageGroups"] == {"group-one": {"value": CODE, "options": [CODE]}}
    assert c["allowCustomImage"] is False
    assert c["gpuVendors"] == ["nvidia.com/gpu"]
    assert c["affinityConfigs"] == [{"key": "dedicated_node", "displayName": "Dedicated node"}]
    assert c["tolerationGroups"] == [{"key": "group_1", "displayName": "4 CPU 8Gb Mem"}]
    assert c["defaults"]["cpu"] == "0.5" and c["defaults"]["imagePullPolicy"] == "Always"
    assert c["limitFactors"] == {"cpu": 1.5, "memory": 2}
    assert c["readOnly"]["imagePullPolicy"] is True and c["readOnly"]["shm"] is True
    assert c["readOnly"]["cpu"] is False
    g = call_as(kfdash, ALICE, "GET", "/api/gpus")
    assert g.json() == {"vendors": [{"limitsKey": "nvidia.com/gpu", "uiName": "NVIDIA"}]}


def test_a_created_notebook_is_what_the_file_describes(kfdash, admin, made):
    name = unique()
    made(name)
    r = call_as(kfdash, ALICE, "POST", CREATE, json={
        "name": name, "image": JUPYTER[1], "cpu": "1", "memory": "1.5Gi",
        "workspace": {"mode": "none"}, "affinityConfig": "dedicated_node",
        "tolerationGroup": "group_1"})
    assert r.status_code == 201, r.text

    nb = admin.get(f"{NBS}/{name}")
    assert nb.status_code == 200, nb.text
    pod = nb.json()["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["image"] == JUPYTER[1] and c["imagePullPolicy"] == "Always"
    requests, limits = c["resources"]["requests"], c["resources"]["limits"]
    assert quantity(limits["cpu"]) == quantity(requests["cpu"]) * Decimal("1.5") == Decimal("1.5")
    assert quantity(limits["memory"]) == quantity(requests["memory"]) * 2 == 3 * 2**30
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal",
                                   "value": "kubeflow-c5.xlarge", "effect": "NoSchedule"}]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [{"matchExpressions": [
        {"key": "lifecycle", "operator": "In", "values": ["kubeflow-notebook"]}]}]
    assert {"name": "dshm", "mountPath": "/dev/shm"} in c["volumeMounts"]
    assert {"name": "dshm", "emptyDir": {"medium": "Memory"}} in pod["volumes"]


def test_defaults_come_from_the_file_and_a_vs_code_server_from_its_group(kfdash, admin, made):
    name = unique()
    made(name)
    r = call_as(kfdash, ALICE, "POST", CREATE, json={
        "name": name, "serverType": "group-one", "workspace": {"mode": "none"}})
    assert r.status_code == 201, r.text
    pod = admin.get(f"{NBS}/{name}").json()["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["image"] == CODE
    assert quantity(c["resources"]["requests"]["cpu"]) == Decimal("0.5")
    assert quantity(c["resources"]["limits"]["cpu"]) == Decimal("0.75")
    assert quantity(c["resources"]["limits"]["memory"]) == 2 * 2**30
    assert "affinity" not in pod and "tolerations" not in pod


@pytest.mark.parametrize("extra,why", [
    ({"image": "docker.io/someone/miner:latest", "customImage": True},
     "image: not one of the offered images, and this dashboard allows no others"),
    ({"serverType": "group-one", "image": JUPYTER[0]},
     "image: not one of the offered images, and this dashboard allows no others"),
    ({"imagePullPolicy": "IfNotPresent"},
     "imagePullPolicy: set by the administrator (readOnly), it cannot be changed"),
    ({"shm": False}, "shm: set by the administrator (readOnly), it cannot be changed"),
    ({"tolerationGroup": "group_9"}, "tolerationGroup: not one this dashboard offers"),
])
def test_what_the_file_does_not_allow_is_refused_and_nothing_is_made(kfdash, admin, extra, why):
    name = unique()
    r = call_as(kfdash, ALICE, "POST", CREATE,
                json={"name": name, "workspace": {"mode": "none"}, **extra})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == why
    assert admin.get(f"{NBS}/{name}").status_code == 404


def test_a_bad_file_stops_kfdash_with_the_line_and_the_reason(tmp_path):
    bad = tmp_path / "spawner_ui_config.yaml"
    bad.write_text("spawnerFormDefaults:\n  image:\n    value: a/b:1\n   options: []\n")
    p = subprocess.run([os.environ["KFDASH_BIN"], "--listen", "127.0.0.1:1",
                        "--notebook-spawner-config", str(bad)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert f"notebooks.spawner_config: {bad}: line 4: " in p.stderr, p.stderr
    bad.write_text("spawnerFormDefaults:\n  image: {value: a/b:1}\n  memory:\n"
                   "    limitFactor: 'lots'\n")
    p = subprocess.run([os.environ["KFDASH_BIN"], "--listen", "127.0.0.1:1",
                        "--notebook-spawner-config", str(bad)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "spawnerFormDefaults.memory.limitFactor: a number from 1 to 100" in p.stderr, p.stderr
