#!/usr/bin/env python3
"""`make soak`: mixed traffic against one kfdash and the stack's real peers for a while, with
kfdash's throughput, p99, RSS, open file descriptors and database size sampled over time.

    soak.py --env STACK/env --bin KFDASH [--duration S] [--interval S] [--svg F] [--csv F]
            [--log F]        (--duration defaults to $SOAK_DURATION or 1800, --interval to
                             $SOAK_INTERVAL or 30)

Started by tests/soak/run.sh (which brings up the stack and copies the binary); it can be run
alone against a running stack. One kfdash, as a browser-facing deployment runs it: sign-in at
the stack's Dex (on one of the sign-in ports Dex accepts, KFDASH_SIGNIN_PORT_BASE..+4), a state
dir (SQLite: sessions and personal access tokens), the stack's apiserver, MLflow and the
--connect-to mapping of the notebooks and the model server; sessions renew at Dex every
--session-recheck (60 s here). Each kind of traffic is a thread at a modest rate (about 10
requests/s in all, so a 2-core machine shared with others is not swamped):

    signin   every 10 s a real browser sign-in through Dex's password form (carol and admin in
             turn), /api/whoami with the new session, /auth/logout
    read     every 1 s, alice's long-lived session (shared by the read, watch, notebook,
             mlflow, predict and ws workers, as a browser's tabs share its cookies; Dex keeps
             one refresh token per user and client, so a second session of alice would end
             the first one at its renewal): /api/whoami, /api/workgroup/env-info,
             /api/namespaces/alice/notebooks, /api/k8s/api/v1/namespaces/alice/pods
    write    every 4 s: a personal access token made (POST /api/tokens), used (/api/whoami with
             it as the bearer), revoked (DELETE /api/tokens/ID); bob signs in again every 5 min,
             as tokens are made only soon after a sign-in (--tokens-max-auth-age)
    watch    a watch of alice's pods (/api/k8s/...?watch=1&timeoutSeconds=20) read to its end,
             then reopened
    notebook every 1 s: /notebook/alice/nb1/api/status and api/contents (Jupyter)
    mlflow   every 2 s: experiments/search and experiments/get-by-name in workspace alice
    predict  every 1 s: V2 infer on alice's iris-classifier (/serving/alice/iris-classifier/...)
    ws       every 5 s: a WebSocket to a Jupyter kernel (made once) opened, 1+1 computed, closed

A failure is a connection error, a timeout, a 5xx, or an answer other than the one expected
(e.g. a 401 where the session should hold); each is counted, and the first ones of each kind are
printed. Long-lived sessions count their renewals (a new kfdash_session cookie).

Every --interval seconds (30; 5 when the run is 5 minutes or shorter) a row: requests/s (all
kinds and per kind), p99 latency of the interval (ms), failures, kfdash's RSS (VmRSS of
/proc/PID/status), its open fds (/proc/PID/fd) and the database (STATE/kfdash.db + -wal + -shm).
At the end: the table again, each kind's totals, the growth check, an SVG plot (--svg) and the
rows as CSV (--csv).

The growth rule (why: a leak grows about linearly for as long as the traffic lasts; a cache,
an allocator's arenas, SQLite's WAL fill up and then stay):
  * the first third of the run is warm-up (caches, connection pools, the WAL filling) and is
    left out; over the rest W (at least 4 samples), a least-squares line y = a + b*t;
  * its growth over one run length, G = b * duration, is compared with the median level M of W;
  * a metric FAILS when G > 25 % of M (a quarter more every run length: a leak that a day of
    traffic would turn into several times the memory), and G is more than a floor that
    ignores noise (RSS 4 MiB, fds 8, database 256 KiB), and it is still rising: the slope
    over the last half of W is at least half of b (a curve that levels off has a late slope
    well under its average one; a leak keeps its slope);
  * the metrics: RSS, fds, the database's main file. Its WAL is judged apart: with SQLite's
    default autocheckpoint (1,000 pages) the WAL file grows to about 4 MiB, is then written
    from its start again and never shrinks, which over a short run looks like linear growth;
    it fails when it outgrows twice that (checkpoints not keeping up, e.g. a read transaction
    left open). The table and plot show the database with its WAL (-wal + -shm);
  * also failing the run: a failure ratio over 0.1 % of all requests, kfdash exiting before
    the end, or its not exiting cleanly (status 0) on SIGTERM at the end.
Failures during the first interval (kfdash and the peers warming up) are counted like the
others, and shown apart in the summary.

Exit status: 0 pass, 1 fail (the reasons printed last), 2 could not start.
"""
import argparse
import collections
import json
import math
import os
import shutil
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["signin", "read", "write", "watch", "notebook", "mlflow", "predict", "ws"]
NB1 = "/notebook/alice/nb1/"
MODEL = "iris-classifier"
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4],
             [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5], [5.8, 2.7, 5.1, 1.9]]
INFER = {"inputs": [{"name": "input-0", "shape": [len(IRIS_ROWS), 4], "datatype": "FP64",
                     "data": [x for row in IRIS_ROWS for x in row]}]}
RECHECK_S = 60
GROWTH_LIMIT = 0.25
FLOORS = {"rss_kib": 4096, "fds": 8, "db_main_kib": 256}
MAX_FAIL_RATIO = 0.001


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--env", required=True, help="the stack's env file")
    p.add_argument("--bin", required=True, help="the kfdash binary")
    p.add_argument("--duration", type=float, default=float(os.environ.get("SOAK_DURATION", 1800)))
    p.add_argument("--interval", type=float, default=float(os.environ.get("SOAK_INTERVAL", 0)))
    p.add_argument("--svg", default=str(ROOT / "build-release" / "soak.svg"))
    p.add_argument("--csv", default=str(ROOT / "build-release" / "soak.csv"))
    p.add_argument("--log", default=str(ROOT / "build-release" / "soak-kfdash.log"),
                   help="where kfdash's stderr is copied at the end")
    a = p.parse_args()
    if a.interval <= 0:
        a.interval = 5 if a.duration <= 300 else 30
    return a


ARGS = parse_args()
# kfdash_process reads KFDASH_BIN when imported (through conftest).
os.environ["KFDASH_BIN"] = ARGS.bin
sys.path.insert(0, str(ROOT / "tests" / "integration" / "stack"))
import requests  # noqa: E402
import websocket  # noqa: E402
from conftest import (execute_on_kernel, plain_session, read_env, sign_in,  # noqa: E402
                      signin_kfdash)


# ---------------------------------------------------------------- counting


class Stats:
    """Per kind: the latencies of the current interval, and totals."""

    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {k: [] for k in KINDS}
        self.total_ok = collections.Counter()
        self.total_fail = collections.Counter()
        self.fail_reasons = collections.Counter()
        self.fail_examples = collections.defaultdict(list)
        self.interval_fail = collections.Counter()
        self.early_fail = 0
        self.renewals = 0
        self.all_lat = {k: [] for k in KINDS}  # (t, ms) for the first/last third p99
        self.t0 = time.monotonic()

    def ok(self, kind, ms):
        with self.lock:
            self.lat[kind].append(ms)
            self.all_lat[kind].append((time.monotonic() - self.t0, ms))
            self.total_ok[kind] += 1

    def fail(self, kind, why, ms=None):
        with self.lock:
            if ms is not None:
                self.lat[kind].append(ms)
            self.total_fail[kind] += 1
            self.interval_fail[kind] += 1
            short = why.split(":")[0]
            self.fail_reasons[f"{kind}: {short}"] += 1
            if len(self.fail_examples[kind]) < 5:
                self.fail_examples[kind].append(f"t={time.monotonic() - self.t0:.0f}s {why[:300]}")
            if time.monotonic() - self.t0 < FIRST_INTERVAL:
                self.early_fail += 1

    def take(self):
        with self.lock:
            lat, self.lat = self.lat, {k: [] for k in KINDS}
            fails, self.interval_fail = self.interval_fail, collections.Counter()
            return lat, fails


FIRST_INTERVAL = ARGS.interval
STATS = Stats()
STOP = threading.Event()


def p99(values):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, math.ceil(0.99 * len(v)) - 1)]


def call(kind, session, method, url, expect=(200,), **kw):
    """One request, timed and counted; the response if it was as expected, else None."""
    kw.setdefault("timeout", 30)
    t = time.monotonic()
    try:
        r = session.request(method, url, **kw)
    except requests.RequestException as e:
        STATS.fail(kind, f"connection: {method} {url}: {type(e).__name__}: {e}")
        return None
    ms = (time.monotonic() - t) * 1000
    if r.status_code >= 500:
        STATS.fail(kind, f"{r.status_code}: {method} {url}: {r.text[:200]!r}", ms)
        return None
    if r.status_code not in expect:
        STATS.fail(kind, f"unexpected {r.status_code}: {method} {url}: {r.text[:200]!r}", ms)
        return None
    if "kfdash_session=" in ";".join(r.raw.headers.getlist("Set-Cookie")) and kind != "signin":
        with STATS.lock:
            STATS.renewals += 1
    STATS.ok(kind, ms)
    return r


def timed(kind, what, fn):
    """fn() as one counted operation (several requests: a sign-in, a WebSocket's round)."""
    t = time.monotonic()
    try:
        out = fn()
    except (requests.RequestException, websocket.WebSocketException, OSError, AssertionError,
            KeyError, ValueError) as e:
        ms = (time.monotonic() - t) * 1000
        STATS.fail(kind, f"{what}: {type(e).__name__}: {str(e)[:250]}", ms)
        return None
    STATS.ok(kind, (time.monotonic() - t) * 1000)
    return out


def every(period, step, name):
    """A worker: step() every `period` seconds until STOP (never faster, never overlapping)."""
    def run():
        nxt = time.monotonic()
        while not STOP.is_set():
            try:
                step()
            except Exception as e:  # a bug of this script must not end the worker silently
                STATS.fail(name, f"soak.py: {type(e).__name__}: {e}")
            nxt += period
            STOP.wait(max(0.0, nxt - time.monotonic()))
            nxt = max(nxt, time.monotonic() - period)
    return threading.Thread(target=run, name=name, daemon=True)


# ---------------------------------------------------------------- the traffic


class Traffic:
    def __init__(self, k, env):
        self.k, self.env, self.url = k, env, k.url
        self.pw = {u: env[f"KFDASH_DEMO_PASSWORD_{u.upper()}"] for u in ("alice", "bob", "carol", "admin")}
        self.turn = 0
        self.kernel = None
        self.sessions = {}

    def session(self, user, jar_of=None):
        """A browser signed in as user, with the headers a same-origin page sends. jar_of: a
        session whose cookies (one browser's jar, shared by its tabs) this one uses instead."""
        if jar_of is None:
            s, _ = sign_in(self.k, f"{user}@example.com", self.pw[user])
        else:
            s = plain_session()
            s.cookies = jar_of.cookies  # http.cookiejar locks itself: safe across threads
        s.headers.update({"Origin": self.url, "X-CSRF-Token": s.cookies["kfdash_csrf"]})
        return s

    def start(self):
        # Dex keeps one refresh token per user and client: a second sign-in of a user revokes
        # the first session's, which then ends at its next renewal. So, as a real user's
        # browser does, alice's workers share one session (one cookie jar, as tabs do), bob's
        # token-making worker has its own, and the sign-in worker uses carol and admin only.
        alice = self.session("alice")
        for name in ("read", "notebook", "mlflow", "predict", "ws", "watch"):
            self.sessions[name] = self.session("alice", jar_of=alice)
        self.sessions["write"] = self.session("bob")
        self.write_signed_in = time.monotonic()
        return [every(10, self.signin, "signin"), every(1, self.read, "read"),
                every(4, self.write, "write"), every(1, self.watch, "watch"),
                every(1, self.notebook, "notebook"), every(2, self.mlflow, "mlflow"),
                every(1, self.predict, "predict"), every(5, self.ws, "ws")]

    def signin(self):
        user = ("carol", "admin")[self.turn % 2]
        self.turn += 1
        got = timed("signin", f"sign-in of {user}",
                    lambda: sign_in(self.k, f"{user}@example.com", self.pw[user])[0])
        if got is None:
            return
        me = call("signin", got, "GET", self.url + "/api/whoami")
        if me is not None and me.json().get("email") != f"{user}@example.com":
            STATS.fail("signin", f"whoami: {me.text[:200]}")
        call("signin", got, "GET", self.url + "/auth/logout", expect=(302,), allow_redirects=False)
        got.close()

    def read(self):
        s = self.sessions["read"]
        for path in ("/api/whoami", "/api/workgroup/env-info", "/api/namespaces/alice/notebooks",
                     "/api/k8s/api/v1/namespaces/alice/pods"):
            call("read", s, "GET", self.url + path)

    def write(self):
        s = self.sessions["write"]
        if time.monotonic() - self.write_signed_in > 300:
            fresh = timed("write", "sign-in of bob", lambda: self.session("bob"))
            if fresh is not None:
                call("write", s, "GET", self.url + "/auth/logout", expect=(302,), allow_redirects=False)
                s.close()
                self.sessions["write"] = s = fresh
                self.write_signed_in = time.monotonic()
        made = call("write", s, "POST", self.url + "/api/tokens", expect=(201,),
                    json={"name": f"soak-{uuid.uuid4().hex[:8]}", "expires_in_days": 1})
        if made is None:
            return
        body = made.json()
        me = call("write", plain_session(), "GET", self.url + "/api/whoami",
                  headers={"Authorization": f"Bearer {body['token']}"})
        if me is not None and me.json().get("source") != "personal-token":
            STATS.fail("write", f"whoami with the token: {me.text[:200]}")
        call("write", s, "DELETE", f"{self.url}/api/tokens/{body['id']}", expect=(204,))

    def watch(self):
        s = self.sessions["watch"]
        url = self.url + "/api/k8s/api/v1/namespaces/alice/pods?watch=1&timeoutSeconds=20"
        t = time.monotonic()
        try:
            with s.get(url, stream=True, timeout=(10, 60)) as r:
                ms = (time.monotonic() - t) * 1000
                if r.status_code != 200:
                    STATS.fail("watch", f"{r.status_code}: GET {url}: {r.text[:200]!r}", ms)
                    return
                STATS.ok("watch", ms)  # the time to the answer's head: the stream then stays open
                for line in r.iter_lines():
                    if line:
                        json.loads(line)
                    if STOP.is_set():
                        return
        except (requests.RequestException, ValueError) as e:
            STATS.fail("watch", f"connection: watch: {type(e).__name__}: {e}")

    def notebook(self):
        s = self.sessions["notebook"]
        call("notebook", s, "GET", self.url + NB1 + "api/status")
        call("notebook", s, "GET", self.url + NB1 + "api/contents")

    def mlflow(self):
        s = self.sessions["mlflow"]
        ws = {"X-MLFLOW-WORKSPACE": "alice"}
        call("mlflow", s, "POST", self.url + "/mlflow/api/2.0/mlflow/experiments/search",
             json={"max_results": 100}, headers=ws)
        call("mlflow", s, "GET", self.url + "/mlflow/ajax-api/2.0/mlflow/experiments/get-by-name",
             params={"experiment_name": self.env.get("MLFLOW_EXPERIMENT", "iris")}, headers=ws)

    def predict(self):
        r = call("predict", self.sessions["predict"], "POST",
                 f"{self.url}/serving/alice/{MODEL}/v2/models/{MODEL}/infer", json=INFER)
        if r is not None and len(r.json()["outputs"][0]["data"]) != len(IRIS_ROWS):
            STATS.fail("predict", f"answer: {r.text[:200]}")

    def ws(self):
        s = self.sessions["ws"]
        if self.kernel is None:
            if call("ws", s, "GET", self.url + NB1 + "lab") is None:
                return
            s.headers["X-XSRFToken"] = s.cookies.get("_xsrf", "")
            r = call("ws", s, "POST", self.url + NB1 + "api/kernels", expect=(201,),
                     json={"name": "python3"}, timeout=90)
            if r is None:
                return
            self.kernel = r.json()["id"]

        def round_trip():
            ws = websocket.create_connection(
                self.url.replace("http", "ws", 1) + NB1 + f"api/kernels/{self.kernel}/channels",
                header=[f"Origin: {self.url}"], timeout=30,
                cookie="; ".join(f"{c.name}={c.value}" for c in s.cookies))
            try:
                got = execute_on_kernel(ws, "1+1")
                assert got == ["2"], got
            finally:
                ws.close()
        timed("ws", "kernel 1+1 over the WebSocket", round_trip)

    def close(self):
        s = self.sessions.get("ws")
        if self.kernel and s is not None:
            try:
                s.delete(self.url + NB1 + f"api/kernels/{self.kernel}", timeout=30)
            except requests.RequestException:
                pass
        for s in self.sessions.values():
            try:
                s.get(self.url + "/auth/logout", allow_redirects=False, timeout=10)
            except requests.RequestException:
                pass
            s.close()


# ---------------------------------------------------------------- sampling


def proc_figures(pid, state_dir):
    """kfdash's RSS (KiB), open fds, and the database: (main file, WAL + shared memory) in KiB."""
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    size = {}
    for suffix in ("", "-wal", "-shm"):
        p = Path(state_dir) / ("kfdash.db" + suffix)
        size[suffix] = p.stat().st_size if p.exists() else 0
    return rss, fds, size[""] // 1024, (size["-wal"] + size["-shm"]) // 1024


def wal_bound_kib(state_dir):
    """What SQLite's WAL stays under while checkpoints happen: the default autocheckpoint of
    1,000 pages (the WAL is then written from its start again, never shrunk), twice over for
    the transaction that crosses the mark and the -shm index."""
    try:
        with open(Path(state_dir) / "kfdash.db", "rb") as f:
            head = f.read(18)
        page = int.from_bytes(head[16:18], "big")
        page = 65536 if page == 1 else page
    except (OSError, ValueError):
        page = 4096
    return 2 * 1000 * (page or 4096) // 1024


COLS = ["t_s", "req_s", "p99_ms", "fail", "rss_mib", "fds", "db_kib", "db_main_kib", "wal_kib"] + \
    [f"{k}_rps" for k in KINDS]


def header():
    return ("   t(s)  req/s  p99ms fail  RSS(MiB)  fds  DB(KiB) (WAL) | " +
            " ".join(f"{k[:8]:>8}" for k in KINDS))


def fmt(row):
    return (f"{row['t_s']:7.0f} {row['req_s']:6.1f} {row['p99_ms']:6.0f} {row['fail']:4d} "
            f"{row['rss_kib'] / 1024:9.1f} {row['fds']:4d} {row['db_kib']:8d} {row['wal_kib']:5d} | " +
            " ".join(f"{row[k + '_rps']:8.2f}" for k in KINDS))


def sample(t_run, dt, pid, state_dir):
    lat, fails = STATS.take()
    everything = [ms for k in KINDS for ms in lat[k]]
    rss, fds, db, wal = proc_figures(pid, state_dir)
    row = {"t_s": t_run, "req_s": len(everything) / dt, "p99_ms": p99(everything),
           "fail": sum(fails.values()), "rss_kib": rss, "rss_mib": rss / 1024, "fds": fds,
           "db_kib": db + wal, "db_main_kib": db, "wal_kib": wal}
    for k in KINDS:
        row[k + "_rps"] = len(lat[k]) / dt
        row[k + "_p99"] = p99(lat[k])
    return row


# ---------------------------------------------------------------- the growth check


def slope(points):
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return 0.0 if var == 0 else sum((t - mt) * (y - my) for t, y in points) / var


def growth(rows, key, duration):
    """(verdict line, failed?) for one metric, by the rule of the header comment."""
    w = [(r["t_s"], r[key]) for r in rows if r["t_s"] >= duration / 3]
    if len(w) < 4:
        return f"{key}: too few samples after the warm-up ({len(w)}) to judge", False
    b = slope(w)
    late = slope(w[len(w) // 2:]) if len(w) >= 4 else b
    level = statistics.median(y for _, y in w)
    g = b * duration
    rel = g / level if level else 0.0
    rising = b > 0 and late >= b / 2
    failed = g > GROWTH_LIMIT * level and g > FLOORS[key] and rising
    unit = {"rss_kib": "KiB", "fds": "", "db_main_kib": "KiB"}[key]
    line = (f"{key}: level {level:.0f}{unit}, trend after warm-up {b * 60:+.2f}{unit}/min "
            f"-> {g:+.0f}{unit} over {duration:.0f}s ({rel * 100:+.1f} %), last half "
            f"{late * 60:+.2f}{unit}/min: " +
            ("FAIL: grows more than 25 % per run length and still rising" if failed else "ok"))
    return line, failed


# ---------------------------------------------------------------- the plot


def svg(rows, path, title):
    panels = [(("req_s",), "requests/s"), (("p99_ms",), "p99 (ms)"), (("rss_mib",), "RSS (MiB)"),
              (("fds",), "open fds"),
              (("db_kib", "db_main_kib"), "database (KiB): with the WAL (blue), the main file (orange)")]
    colours = ("#1f6fb4", "#e8770e")
    w, ph, left, right, top = 760, 130, 70, 20, 40
    h = top + len(panels) * (ph + 30) + 20
    t_max = max(r["t_s"] for r in rows) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">{title}</text>']
    for i, (keys, label) in enumerate(panels):
        y0 = top + i * (ph + 30)
        vals = [r[key] for key in keys for r in rows if not math.isnan(r[key])]
        lo, hi = (min(vals), max(vals)) if vals else (0, 1)
        lo = min(lo, 0)
        hi = hi if hi > lo else lo + 1
        hi += (hi - lo) * 0.05
        x = lambda t: left + (w - left - right) * t / t_max  # noqa: E731
        y = lambda v: y0 + ph - ph * (v - lo) / (hi - lo)  # noqa: E731
        out.append(f'<rect x="{left}" y="{y0}" width="{w - left - right}" height="{ph}" '
                   f'fill="none" stroke="#999"/>')
        out.append(f'<text x="{left + 4}" y="{y0 + 13}" font-weight="bold">{label}</text>')
        for v in (lo, (lo + hi) / 2, hi):
            out.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.4g}</text>')
        # the warm-up third, shaded
        out.append(f'<rect x="{left}" y="{y0}" width="{x(t_max / 3) - left:.1f}" height="{ph}" '
                   f'fill="#000" fill-opacity="0.04"/>')
        for key, colour in zip(keys, colours):
            pts = " ".join(f"{x(r['t_s']):.1f},{y(r[key]):.1f}" for r in rows if not math.isnan(r[key]))
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for t in (0, t_max / 2, t_max):
            out.append(f'<text x="{x(t):.1f}" y="{y0 + ph + 13}" text-anchor="middle">{t:.0f}s</text>')
    out.append("</svg>")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(out) + "\n")


# ---------------------------------------------------------------- main


def free_signin_port(env):
    import socket
    base = int(env.get("KFDASH_SIGNIN_PORT_BASE", "18555"))
    for port in range(base, base + 5):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit(f"soak: the stack's five sign-in ports from {base} are all taken")


def say(msg):
    print(f"soak: {msg}", flush=True)


def main():
    env = read_env(ARGS.env)
    for key in ("DEX_ISSUER", "MLFLOW_URL", "KFDASH_CONNECT_TO", "KFDASH_DEMO_PASSWORD_ALICE"):
        if not env.get(key):
            say(f"{ARGS.env} has no {key}: a stack from tests/stack/stack.sh up is needed")
            return 2
    import tempfile
    state = tempfile.mkdtemp(prefix="kfdash-soak-state-")
    port = free_signin_port(env)
    # Each worker is one user's browser; per-user limits stay kfdash's defaults.
    k = signin_kfdash(env, port, state, "--session-recheck", str(RECHECK_S))
    ready = k.get("/readyz")
    if ready.status_code != 200:
        say(f"kfdash not ready: {ready.status_code} {ready.text[:300]}")
        k.stop()
        return 2
    pid = k.proc.pid
    say(f"kfdash {k.url} (pid {pid}, state {state}, log {k.stderr_path}); "
        f"{ARGS.duration:.0f} s, a sample every {ARGS.interval:.0f} s")
    traffic = Traffic(k, env)
    try:
        workers = traffic.start()
    except (AssertionError, requests.RequestException, KeyError) as e:
        say(f"the first sign-ins failed: {e}\n{k.log()[-2000:]}")
        k.stop()
        return 2
    STATS.t0 = time.monotonic()
    for t in workers:
        t.start()
    rows, problems = [], []
    print(header(), flush=True)
    t_start = last = time.monotonic()
    try:
        while True:
            nxt = min(last + ARGS.interval, t_start + ARGS.duration)
            time.sleep(max(0.0, nxt - time.monotonic()))
            now = time.monotonic()
            if k.proc.poll() is not None:
                problems.append(f"kfdash exited with status {k.proc.returncode} at "
                                f"t={now - t_start:.0f}s")
                break
            row = sample(now - t_start, now - last, pid, state)
            rows.append(row)
            print(fmt(row), flush=True)
            last = now
            if now - t_start >= ARGS.duration - 0.5:
                break
    except KeyboardInterrupt:
        problems.append("interrupted")
    STOP.set()
    for t in workers:
        t.join(timeout=30)
    traffic.close()
    exit_problem = None
    if k.proc.poll() is None:
        try:
            k.stop()
        except AssertionError as e:
            exit_problem = f"kfdash did not stop cleanly: {str(e)[:500]}"
    if exit_problem:
        problems.append(exit_problem)
    try:
        shutil.copyfile(k.stderr_path, ARGS.log)
        shutil.rmtree(k.dir, ignore_errors=True)  # Kfdash's temporary dir: only that log
    except OSError:
        pass
    report(rows, problems, state)
    shutil.rmtree(state, ignore_errors=True)
    return 1 if problems else 0


def report(rows, problems, state):
    dur = rows[-1]["t_s"] if rows else 0
    print("\n==== soak: the samples ====")
    print(header())
    for r in rows:
        print(fmt(r))
    print("\n==== per kind (whole run) ====")
    print(f"{'kind':9} {'ok':>7} {'failed':>6} {'req/s':>6} {'p99 ms':>7} "
          f"{'p99 1st third':>13} {'p99 last third':>14}")
    ok_all = sum(STATS.total_ok.values())
    fail_all = sum(STATS.total_fail.values())
    for kd in KINDS:
        pts = STATS.all_lat[kd]
        first = [ms for t, ms in pts if t < dur / 3]
        lastt = [ms for t, ms in pts if t >= dur * 2 / 3]
        print(f"{kd:9} {STATS.total_ok[kd]:7d} {STATS.total_fail[kd]:6d} "
              f"{STATS.total_ok[kd] / dur if dur else 0:6.2f} {p99([ms for _, ms in pts]):7.0f} "
              f"{p99(first):13.0f} {p99(lastt):14.0f}")
    ratio = fail_all / max(1, ok_all + fail_all)
    print(f"all: {ok_all} ok, {fail_all} failed ({ratio * 100:.3f} %; {STATS.early_fail} of them "
          f"in the first {FIRST_INTERVAL:.0f} s); session renewals seen: {STATS.renewals}")
    if fail_all:
        print("failures:")
        for why, n in STATS.fail_reasons.most_common():
            print(f"  {n:5d}  {why}")
        for kd, ex in STATS.fail_examples.items():
            for e in ex:
                print(f"    {kd}: {e}")
    if ratio > MAX_FAIL_RATIO:
        problems.append(f"failure ratio {ratio * 100:.3f} % > {MAX_FAIL_RATIO * 100:.1f} %")
    print("\n==== growth (the first third is warm-up) ====")
    for key in ("rss_kib", "fds", "db_main_kib"):
        line, failed = growth(rows, key, dur)
        print(line)
        if failed:
            problems.append(line)
    bound = wal_bound_kib(state)
    wal_max = max((r["wal_kib"] for r in rows), default=0)
    line = (f"wal_kib: largest {wal_max}KiB, bound {bound}KiB (2 x SQLite's 1,000-page "
            f"autocheckpoint): " + ("FAIL: checkpoints are not keeping up" if wal_max > bound else "ok"))
    print(line)
    if wal_max > bound:
        problems.append(line)
    if rows:
        with open(ARGS.csv, "w") as f:
            keys = COLS + [k + "_p99" for k in KINDS]
            f.write(",".join(keys) + "\n")
            for r in rows:
                f.write(",".join(f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c])
                                 for c in keys) + "\n")
        svg(rows, ARGS.svg, f"kfdash soak: {dur:.0f} s, a sample every {ARGS.interval:.0f} s "
                            f"({time.strftime('%Y-%m-%d %H:%M')})")
        print(f"\nplot: {ARGS.svg}; rows: {ARGS.csv}; kfdash's log: {ARGS.log}")
    if problems:
        print("\nsoak: FAIL")
        for p in problems:
            print(f"  - {p}")
    else:
        print("\nsoak: PASS")


if __name__ == "__main__":
    sys.exit(main())
