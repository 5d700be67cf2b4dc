#!/usr/bin/env python3
"""The cost of opening an application on a host of its own (apps.domain), for tests/bench/apps.sh.

Usage: apps_handover.py APPS_URL PATH_URL EMAIL PASSWORD-ENV ROUNDS OUT.json

Signs EMAIL in through Dex at both kfdash processes (APPS_URL runs with apps.domain=localhost,
PATH_URL without), then opens the notebook alice/nb1 ROUNDS times in each, as a browser does
when it follows a link from the dashboard (a fresh connection per round, as a new tab makes):
  apps: the dashboard's 302 with a hand-over code, the application host's 302 that trades it for
        the host's cookie, then the application's answer (JupyterLab's api/status);
  path: the application's answer straight from the dashboard's origin.
Writes the round-trip times (ms: p50, p90, p99 of each step and of the whole) and the cookies the
wrk runs send (the session cookie for PATH_URL, the application host's for APPS_URL) to OUT.json.
"""
import json
import os
import socket
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_login import login  # noqa: E402

NB = "/notebook/alice/nb1/api/status"


def resolve_localhost():
    """*.localhost is loopback (RFC 6761), as browsers and curl resolve it."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kw):
        return real("127.0.0.1" if isinstance(host, str) and host.endswith(".localhost") else host,
                    *args, **kw)

    socket.getaddrinfo = resolve


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def summary(ms):
    return {"p50": round(pct(ms, 50), 2), "p90": round(pct(ms, 90), 2), "p99": round(pct(ms, 99), 2),
            "mean": round(statistics.mean(ms), 2)}


def session_with(url, cookies):
    s = requests.Session()
    s.trust_env = False
    host = urllib.parse.urlsplit(url).hostname
    for name, value in cookies.items():
        s.cookies.set(name, value, domain=host)
    return s


def main():
    apps, path, email, password_env, rounds, out = sys.argv[1:7]
    rounds = int(rounds)
    password = os.environ[password_env]
    resolve_localhost()
    a_cookie = login(apps + "/auth/login?rd=/", email, password, ["kfdash_session"])
    p_cookie = login(path + "/auth/login?rd=/", email, password, ["kfdash_session"])
    steps = {"dashboard_302": [], "host_302": [], "application": [], "apps_total": [], "path_total": []}
    app_cookie = None
    for i in range(rounds):
        # Alternate which goes first, so drift on a busy machine hits both alike.
        for side in (("apps", "path") if i % 2 == 0 else ("path", "apps")):
            if side == "path":
                s = session_with(path, p_cookie)
                t0 = time.perf_counter()
                r = s.get(path + NB, timeout=30)
                steps["path_total"].append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (r.status_code, r.text[:200])
                continue
            s = session_with(apps, a_cookie)
            t0 = time.perf_counter()
            r = s.get(apps + NB, allow_redirects=False, timeout=30)
            t1 = time.perf_counter()
            assert r.status_code == 302 and "/_kfdash/enter?code=" in r.headers["Location"], r.text[:200]
            host = urllib.parse.urlsplit(r.headers["Location"])
            r = s.get(r.headers["Location"], allow_redirects=False, timeout=30)
            t2 = time.perf_counter()
            assert r.status_code == 302, r.text[:200]
            r = s.get(f"{host.scheme}://{host.netloc}{r.headers['Location']}", timeout=30)
            t3 = time.perf_counter()
            assert r.status_code == 200, (r.status_code, r.text[:200])
            app_cookie = s.cookies.get("kfdash_app")
            steps["dashboard_302"].append((t1 - t0) * 1000)
            steps["host_302"].append((t2 - t1) * 1000)
            steps["application"].append((t3 - t2) * 1000)
            steps["apps_total"].append((t3 - t0) * 1000)
    Path(out).write_text(json.dumps({
        "rounds": rounds, "ms": {k: summary(v) for k, v in steps.items()},
        "path_cookie": p_cookie["kfdash_session"], "app_cookie": app_cookie}))


if __name__ == "__main__":
    main()
