"""kfdash --version names the release and the git version it was built from (git describe)."""
import os
import re
import subprocess

import pytest

from conftest import BIN

ROOT = os.environ.get("KFDASH_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))


def project_version():
    with open(os.path.join(ROOT, "meson.build")) as f:
        return re.search(r"version:\s*'([^']+)'", f.read()).group(1)


def test_version_is_the_release_and_git_describe():
    out = subprocess.run([BIN, "--version"], capture_output=True, text=True, check=True).stdout
    describe = subprocess.run(["git", "-C", ROOT, "describe", "--tags", "--always"],
                              capture_output=True, text=True)
    if describe.returncode != 0:
        pytest.skip("not a git checkout: --version prints the release alone")
    m = re.fullmatch(r"kfdash (\S+) \(git (\S+)\)\n", out)
    assert m, out
    assert m.group(1) == project_version()
    # -dirty is the tree's state at build time; other edits may land between build and test.
    assert m.group(2).removesuffix("-dirty") == describe.stdout.strip()
