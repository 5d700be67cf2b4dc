"""Fixtures of the integration suite: the real kfdash binary on real loopback sockets."""
import pytest

from kfdash_process import BIN, Kfdash, free_port, status_of  # noqa: F401 (used by the tests)

# tests/integration/stack is a suite of its own (stack/run.sh, meson suite "stack"): it starts the
# local stack of real peers, so a run of this directory does not collect it.
collect_ignore = ["stack"]


@pytest.fixture
def start():
    """start(args=..., config=...) → a running Kfdash, stopped and checked after the test."""
    running = []

    def _start(**kw):
        k = Kfdash(**kw)
        running.append(k)
        return k

    yield _start
    for k in running:
        k.stop()


@pytest.fixture
def kfdash(start):
    return start()
