"""WebSocket measures for tests/bench/notebooks.sh: Jupyter through kfdash vs Jupyter directly.

    ws_bench.py rtt  --kfdash URL --direct URL --user EMAIL [--n 2000] [--rounds 4]
                     [--bulk-mib 4] [--bulk-rounds 6]
    ws_bench.py hold --kfdash URL --user EMAIL --pid KFDASH_PID [--count 1000] [--cycles 2]

URLs are the notebook's base (.../notebook/<ns>/<name>/), through kfdash and straight to the
Jupyter server. Every request through kfdash carries the trusted gateway's kubeflow-userid.

rtt: starts a kernel through kfdash (POST api/kernels with Jupyter's _xsrf cookie echoed in
X-XSRFToken, and an Origin of kfdash's for kfdash's own CSRF check), then sends N
kernel_info_request messages one after another on api/kernels/<id>/channels and times each
until its kernel_info_reply: N/rounds per round, alternating kfdash and direct (one WebSocket
open at a time, a few untimed messages first), so drift on a busy machine hits both alike.
After the kernel messages, as many WebSocket pings on the same connection (answered by
Jupyter's tornado itself: the relay without the kernel). Deletes the kernel at the end. Prints
"RTT|PING <kfdash|direct> <n> <p50> <p90> <p99> <max> <mean>" (ms). Then throughput, on the
same kernel: UP sends execute_requests whose code is a BULK_MIB MiB comment (client to
Jupyter), DOWN asks for a user expression whose value is a BULK_MIB MiB string (it comes back in
the execute_reply, on the shell channel: Jupyter's iopub rate limit does not apply); each timed
from the send to the reply, alternating sides. Prints "BULK <UP|DOWN> <kfdash|direct> <n>
<median MiB/s> <min> <max>".

hold: opens COUNT WebSockets through kfdash to Jupyter's api/events/subscribe, checks every
one relays (a ping answered by its pong), and reads kfdash's VmRSS and open descriptors
before, with them open, and after closing them; CYCLES times. Prints
"HOLD <cycle> <count> <open_s> <rss_before_kb> <rss_open_kb> <rss_after_kb> <fds_before>
<fds_open> <fds_after>". Exits non-zero when a connection is refused or does not relay.
"""

import argparse
import json
import os
import resource
import sys
import time
import uuid

import requests
import websocket


def ws_url(base, path):
    return base.replace("http", "ws", 1) + path


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {key} in /proc/{pid}/status (did kfdash exit?)")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# ---------------------------------------------------------------- rtt


def kernel_message(session, msg_type):
    msg_id = uuid.uuid4().hex
    return msg_id, json.dumps({
        "header": {"msg_id": msg_id, "username": "bench", "session": session,
                   "msg_type": msg_type, "version": "5.3",
                   "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell", "buffers": [],
    })


def ask_kernel_info(ws, session):
    """One kernel_info_request, waits for its reply; the seconds it took."""
    msg_id, text = kernel_message(session, "kernel_info_request")
    t0 = time.perf_counter()
    ws.send(text)
    while True:
        raw = ws.recv()
        # Replies to others (iopub status busy/idle) are skipped; the reply is the one whose
        # parent is our request on the shell channel.
        if msg_id in raw:
            m = json.loads(raw)
            if (m.get("channel") == "shell" and m["parent_header"].get("msg_id") == msg_id
                    and m["header"]["msg_type"] == "kernel_info_reply"):
                return time.perf_counter() - t0


def ping(ws):
    """One WebSocket ping, waits for its pong (Jupyter's tornado answers it, no kernel involved);
    the seconds it took."""
    payload = uuid.uuid4().bytes
    t0 = time.perf_counter()
    ws.ping(payload)
    while True:
        opcode, frame = ws.recv_data_frame(True)
        if opcode == websocket.ABNF.OPCODE_PONG and frame.data == payload:
            return time.perf_counter() - t0


def execute(ws, session, code, expressions):
    """One execute_request on the shell channel; waits for its execute_reply; the seconds it
    took and the reply's length in bytes."""
    msg_id = uuid.uuid4().hex
    text = json.dumps({
        "header": {"msg_id": msg_id, "username": "bench", "session": session,
                   "msg_type": "execute_request", "version": "5.3",
                   "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": True, "store_history": False,
                    "user_expressions": expressions, "allow_stdin": False},
    })
    t0 = time.perf_counter()
    ws.send(text)
    while True:
        raw = ws.recv()
        if msg_id not in raw:
            continue
        m = json.loads(raw)
        if m.get("channel") == "shell" and m["parent_header"].get("msg_id") == msg_id:
            if m["content"].get("status") != "ok":
                raise SystemExit(f"execute_request failed: {str(m['content'])[:300]}")
            return time.perf_counter() - t0, len(raw)


def bulk(paths, session, mib, rounds):
    """Throughput each way through each path (see the module's docstring)."""
    n = mib << 20
    up_code = "# " + "x" * (n - 2)
    down_expr = {"big": f"'y' * {n}"}
    rates = {(d, name): [] for d in ("UP", "DOWN") for name in paths}
    for rnd in range(rounds):
        order = ["kfdash", "direct"] if rnd % 2 == 0 else ["direct", "kfdash"]
        for name in order:
            url, headers = paths[name]
            ws = websocket.create_connection(url, header=headers, timeout=60)
            try:
                execute(ws, session, "pass", {})  # the connection warm
                t, _ = execute(ws, session, up_code, {})
                rates["UP", name].append(mib / t)
                t, size = execute(ws, session, "pass", down_expr)
                if size < n:
                    raise SystemExit(f"the DOWN reply has {size} bytes, fewer than {n}")
                rates["DOWN", name].append(mib / t)
            finally:
                ws.close()
    for (d, name), v in rates.items():
        v = sorted(v)
        print("BULK %s %s %d %.1f %.1f %.1f" % (d, name, len(v), v[len(v) // 2], v[0], v[-1]))


def wait_kernel_ready(url, headers, session, deadline_s=120):
    t_end = time.monotonic() + deadline_s
    while True:
        try:
            ws = websocket.create_connection(url, header=headers, timeout=10)
            try:
                ask_kernel_info(ws, session)
                return
            finally:
                ws.close()
        except (websocket.WebSocketException, OSError) as e:
            if time.monotonic() > t_end:
                raise SystemExit(f"the kernel did not answer within {deadline_s} s: {e}")
            time.sleep(0.5)


def rtt(args):
    gw = {"kubeflow-userid": args.user}
    origin = args.kfdash.split("/notebook/")[0]
    s = requests.Session()
    r = s.get(args.kfdash + "lab", headers=gw, timeout=30)
    if r.status_code != 200:
        raise SystemExit(f"GET {args.kfdash}lab through kfdash: {r.status_code} {r.text[:200]}")
    xsrf = s.cookies.get("_xsrf")
    if not xsrf:
        raise SystemExit(f"no _xsrf cookie from {args.kfdash}lab: {dict(s.cookies)}")
    state_headers = {**gw, "X-XSRFToken": xsrf, "Origin": origin}
    r = s.post(args.kfdash + "api/kernels", json={"name": "python3"}, headers=state_headers,
               timeout=60)
    if r.status_code != 201:
        raise SystemExit(f"POST api/kernels through kfdash: {r.status_code} {r.text[:300]}")
    kernel = r.json()["id"]
    try:
        session = uuid.uuid4().hex
        paths = {
            "kfdash": (ws_url(args.kfdash, f"api/kernels/{kernel}/channels"),
                       [f"kubeflow-userid: {args.user}"]),
            "direct": (ws_url(args.direct, f"api/kernels/{kernel}/channels"), []),
        }
        wait_kernel_ready(paths["direct"][0], [], session)
        times = {(kind, name): [] for kind in ("RTT", "PING") for name in paths}
        per_round = max(1, args.n // args.rounds)
        for rnd in range(args.rounds):
            order = ["kfdash", "direct"] if rnd % 2 == 0 else ["direct", "kfdash"]
            for name in order:
                url, headers = paths[name]
                ws = websocket.create_connection(url, header=headers, timeout=30)
                try:
                    for _ in range(args.warmup):
                        ask_kernel_info(ws, session)
                    n = per_round if rnd < args.rounds - 1 else args.n - per_round * rnd
                    times["RTT", name].extend(ask_kernel_info(ws, session) for _ in range(n))
                    times["PING", name].extend(ping(ws) for _ in range(n))
                finally:
                    ws.close()
        for kind, name in times:
            v = sorted(t * 1000 for t in times[kind, name])
            print("%s %s %d %.3f %.3f %.3f %.3f %.3f" % (
                kind, name, len(v), percentile(v, 50), percentile(v, 90), percentile(v, 99), v[-1],
                sum(v) / len(v)))
        if args.bulk_mib:
            bulk(paths, session, args.bulk_mib, args.bulk_rounds)
    finally:
        r = s.delete(args.kfdash + f"api/kernels/{kernel}", headers=state_headers, timeout=60)
        if r.status_code != 204:
            print(f"ws_bench: DELETE api/kernels/{kernel} through kfdash: {r.status_code} "
                  f"{r.text[:200]}", file=sys.stderr)
            sys.exit(1)


# ---------------------------------------------------------------- hold


def settle():
    time.sleep(2)


def close_all(conns):
    """The closing handshake on every connection at once, then the sockets shut."""
    for ws in conns:
        try:
            ws.send_close()
        except (websocket.WebSocketException, OSError):
            pass
    for ws in conns:
        try:
            ws.sock.settimeout(5)
            while ws.recv_data_frame(True)[0] != websocket.ABNF.OPCODE_CLOSE:
                pass
        except (websocket.WebSocketException, OSError, AttributeError):
            pass
        ws.shutdown()


def hold_cycle(args, cycle):
    url = ws_url(args.kfdash, "api/events/subscribe")
    headers = [f"kubeflow-userid: {args.user}"]
    settle()
    rss0, fds0 = proc_status(args.pid, "VmRSS"), open_fds(args.pid)
    conns = []
    t0 = time.perf_counter()
    try:
        for i in range(args.count):
            try:
                conns.append(websocket.create_connection(url, header=headers, timeout=30))
            except (websocket.WebSocketException, OSError) as e:
                raise SystemExit(f"WebSocket {i + 1} of {args.count} through kfdash failed: {e}")
        open_s = time.perf_counter() - t0
        # Every tunnel relays: a ping each way through kfdash, answered by Jupyter's pong.
        for ws in conns:
            ws.ping(b"bench")
        for i, ws in enumerate(conns):
            while True:
                opcode, frame = ws.recv_data_frame(True)
                if opcode == websocket.ABNF.OPCODE_PONG and frame.data == b"bench":
                    break
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    raise SystemExit(f"WebSocket {i + 1} was closed while held open")
        settle()
        rss1, fds1 = proc_status(args.pid, "VmRSS"), open_fds(args.pid)
    finally:
        close_all(conns)
    settle()
    rss2, fds2 = proc_status(args.pid, "VmRSS"), open_fds(args.pid)
    print("HOLD %d %d %.2f %d %d %d %d %d %d" % (cycle, args.count, open_s, rss0, rss1, rss2,
                                                 fds0, fds1, fds2), flush=True)


def hold(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.count + 256
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            raise SystemExit(f"open files limit {hard} is below the {want} needed")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    for cycle in range(1, args.cycles + 1):
        hold_cycle(args, cycle)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("rtt")
    a.add_argument("--kfdash", required=True)
    a.add_argument("--direct", required=True)
    a.add_argument("--user", required=True)
    a.add_argument("--n", type=int, default=2000)
    a.add_argument("--rounds", type=int, default=4)
    a.add_argument("--warmup", type=int, default=20)
    a.add_argument("--bulk-mib", type=int, default=4)
    a.add_argument("--bulk-rounds", type=int, default=6)
    b = sub.add_parser("hold")
    b.add_argument("--kfdash", required=True)
    b.add_argument("--user", required=True)
    b.add_argument("--pid", type=int, required=True)
    b.add_argument("--count", type=int, default=1000)
    b.add_argument("--cycles", type=int, default=2)
    args = p.parse_args()
    rtt(args) if args.cmd == "rtt" else hold(args)


if __name__ == "__main__":
    main()
