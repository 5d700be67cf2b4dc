"""A state_dir kfdash cannot write: read-only, or on a full filesystem; at start and while running.

What an operator and a user notice: at start, exit status 2 and one line that names the
directory and the real cause; while running, a write (a new personal token, a sign-in) answered
503 with a reason, while what only reads goes on (a token made before still works); once space or
write access is back, writes work again with no restart; and the database is never corrupted.

How the faults are made here, as root or not: a small tmpfs mounted in a mount namespace of its
own (`unshare -Urm`, which needs no privilege where user namespaces are allowed, and works as
root), held by a sleeping process; kfdash runs inside it (`nsenter`), and the test reaches its
files through /proc/<holder>/root. Filling it is writing a file until ENOSPC; read-only is
a directory of mode 0555 (chmod alone refuses nothing to root: run as root, kfdash is started
without CAP_DAC_OVERRIDE by setpriv, as the packaged service runs without it). A live tmpfs
cannot be made read-only under kfdash (a remount refuses, EBUSY, while its database is open for
writing), so the read-only case is at start.
"""
import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

import kfdash_process
from conftest import begin, finish, plain_session, sign_in, signin_kfdash, signin_port
from faults import fail_if_wrong, say
from kfdash_process import free_port

ALICE = "alice@example.com"
PORT = signin_port(3)
SIZE = "4m"
KFDASH = Path(kfdash_process.BIN).resolve()


class Tmpfs:
    """A tmpfs of SIZE at a fresh directory, in a mount namespace held by a sleeping process."""

    def __init__(self, size=SIZE):
        self.dir = tempfile.mkdtemp(prefix="kfdash-fault-state-")
        self.holder = subprocess.Popen(
            ["unshare", "-Urm", "--propagation", "private", "sh", "-c",
             f"mount -t tmpfs -o size={size},mode=0700 kfdash-fault '{self.dir}' && echo mounted "
             "&& exec sleep 86400"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.holder.stdout.readline()
        assert line.strip() == "mounted", f"cannot mount a tmpfs here: {self.holder.stderr.read()}"
        self.wrapper = Path(tempfile.mkdtemp(prefix="kfdash-fault-bin-")) / "kfdash"
        self.wrapper.write_text(f"#!/bin/sh\nexec nsenter -t {self.holder.pid} -U -m "
                                f"--preserve-credentials '{KFDASH}' \"$@\"\n")
        self.wrapper.chmod(0o755)

    def path(self, name=""):
        """A file of the tmpfs, as this process reaches it."""
        return Path(f"/proc/{self.holder.pid}/root{self.dir}") / name

    def fill(self):
        """Writes a file until the filesystem is full."""
        with open(self.path("filler"), "wb", buffering=0) as f:
            chunk = b"\0" * 65536
            with contextlib.suppress(OSError):
                while True:
                    f.write(chunk)
            with contextlib.suppress(OSError):  # the last few bytes, whatever is left
                while True:
                    f.write(b"\0" * 512)

    def free(self):
        self.path("filler").unlink()

    def close(self):
        self.holder.kill()
        self.holder.wait()
        os.rmdir(self.dir)
        self.wrapper.unlink()


@pytest.fixture
def tmpfs():
    t = Tmpfs()
    yield t
    t.close()


@contextlib.contextmanager
def binary(path):
    """kfdash started through path (Kfdash reads the module's BIN)."""
    saved = kfdash_process.BIN
    kfdash_process.BIN = str(path)
    try:
        yield
    finally:
        kfdash_process.BIN = saved


def start_inside(stack, tmpfs):
    with binary(tmpfs.wrapper):
        return signin_kfdash(stack, PORT, tmpfs.dir)


def run_once(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=20)


def make_token(k, id_token, name):
    return plain_session().post(k.url + "/api/tokens", json={"name": name, "expires_in_days": 1},
                                headers={"Authorization": f"Bearer {id_token}"}, timeout=15)


def whoami(k, token):
    return plain_session().get(k.url + "/api/whoami", headers={"Authorization": f"Bearer {token}"},
                               timeout=10)


def db_check(tmpfs, made):
    """The database opens clean and holds every token kfdash said it made. Checked on a copy:
    SQLite resolves /proc/<pid>/root to this namespace's /, so it cannot open it there."""
    copy = Path(tempfile.mkdtemp(prefix="kfdash-fault-db-"))
    for name in ("kfdash.db", "kfdash.db-wal"):
        if tmpfs.path(name).exists():
            shutil.copyfile(tmpfs.path(name), copy / name)
    db = sqlite3.connect(f"file:{copy / 'kfdash.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = {r[0] for r in db.execute("SELECT id FROM tokens")}
    finally:
        db.close()
        shutil.rmtree(copy)
    assert {tid for _, tid in made} <= ids, (made, ids)


# ---------------------------------------------------------------- at start


def test_a_read_only_or_full_state_dir_stops_kfdash_at_start_with_the_reason(tmpfs, tmp_path):
    wrong = []
    # Read-only directory (root: without CAP_DAC_OVERRIDE, as the packaged service runs).
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"] \
        if os.geteuid() == 0 else []
    out = run_once([*drop, str(KFDASH), "--listen", f"127.0.0.1:{free_port()}", "--state-dir", str(ro)])
    say(f"read-only state_dir at start: exit {out.returncode}: {out.stderr.strip()}")
    assert out.returncode == 2, out
    assert str(ro) in out.stderr and "Permission denied" in out.stderr, out.stderr
    # A full filesystem, first start (nothing there yet).
    tmpfs.fill()
    out = run_once([str(tmpfs.wrapper), "--listen", f"127.0.0.1:{free_port()}", "--state-dir", tmpfs.dir])
    say(f"full state_dir, first start: exit {out.returncode}: {out.stderr.strip()}")
    assert out.returncode == 2 and tmpfs.dir in out.stderr, out
    if "No space left on device" not in out.stderr:
        wrong.append(f"full filesystem at first start reported as: {out.stderr.strip()}")
    # A full filesystem with the state of an earlier run (keys and database).
    tmpfs.free()
    with binary(tmpfs.wrapper):
        k = kfdash_process.Kfdash(args=["--state-dir", tmpfs.dir])
    k.stop()
    tmpfs.fill()
    out = run_once([str(tmpfs.wrapper), "--listen", f"127.0.0.1:{free_port()}", "--state-dir", tmpfs.dir])
    say(f"full state_dir, existing state: exit {out.returncode}: {out.stderr.strip()[:300]}")
    if out.returncode != 2 or "No space left on device" not in out.stderr:
        wrong.append(f"full filesystem with an existing state: exit {out.returncode}, "
                     f"{out.stderr.strip()[:200]}")
    tmpfs.free()
    db_check(tmpfs, [])
    fail_if_wrong("state_dir at start", wrong)


# ---------------------------------------------------------------- while running


def test_a_full_state_dir_while_running_is_a_503_with_a_reason_and_reads_go_on(
        stack, tmpfs, dex_login, demo_password):
    wrong = []
    k = start_inside(stack, tmpfs)
    made = []
    try:
        id_token = dex_login(ALICE, demo_password(ALICE))
        r = make_token(k, id_token, "before")
        assert r.status_code == 201, r.text
        made.append((r.json()["token"], r.json()["id"]))
        s, _ = sign_in(k, ALICE, demo_password(ALICE))
        assert plain_session().get(k.url + "/api/whoami", cookies=s.cookies,
                                   timeout=10).status_code == 200

        # (Read-only cannot be made while kfdash runs: a remount refuses, EBUSY, while a file is
        # open for writing, and its database always is. The read-only case is at start.)
        for fault, make, undo in (("full", tmpfs.fill, tmpfs.free),):
            make()
            # A write: refused with a reason, not a 500, never a 201 for a token not stored.
            r = make_token(k, id_token, f"while-{fault}")
            say(f"state_dir {fault}: a new token: {r.status_code} {r.text[:200]}")
            if r.status_code == 201:
                made.append((r.json()["token"], r.json()["id"]))
                wrong.append(f"{fault}: a token was made (201) on a filesystem that takes no write")
            elif r.status_code != 503:
                wrong.append(f"{fault}: a new token answered {r.status_code} {r.text[:120]} "
                             f"(want 503 with a reason)")
            # A sign-in: a new session must be stored.
            browser = plain_session()
            answer = finish(browser, k, begin(browser, k), ALICE, demo_password(ALICE))
            status, outcome = answer.status_code, f"{answer.status_code} {answer.text[:120]}"
            say(f"state_dir {fault}: a sign-in: {outcome}")
            if status != 503:
                wrong.append(f"{fault}: a sign-in answered {outcome} (want 503 with a reason)")
            # What only reads goes on: a token made before, a session signed in before.
            for token, _ in made[:1]:
                r = whoami(k, token)
                if r.status_code != 200:
                    wrong.append(f"{fault}: a token made before stopped working: {r.status_code} "
                                 f"{r.text[:120]}")
            r = plain_session().get(k.url + "/api/whoami", cookies=s.cookies, timeout=10)
            if r.status_code != 200:
                wrong.append(f"{fault}: a session signed in before stopped working: {r.status_code}")
            assert k.proc.poll() is None, f"kfdash exited on a {fault} state_dir: {k.log()[-2000:]}"
            undo()
            # Back: writes work again, no restart.
            r = make_token(k, id_token, f"after-{fault}")
            assert r.status_code == 201, (fault, r.status_code, r.text)
            made.append((r.json()["token"], r.json()["id"]))
            sign_in(k, ALICE, demo_password(ALICE))
    finally:
        k.stop()
    db_check(tmpfs, made)
    k = start_inside(stack, tmpfs)
    try:
        for token, _ in made:
            assert whoami(k, token).status_code == 200
    finally:
        k.stop()
    fail_if_wrong("state_dir unwritable while running", wrong)
