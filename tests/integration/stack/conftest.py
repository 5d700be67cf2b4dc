"""Fixtures of the stack suite: the real peers of tests/stack/stack.sh, started once per session.

The stack lives in its own state dir, ${KFDASH_STACK_TEST_DIR:-${KFDASH_CACHE:-~/.cache/kfdash}/stack-test},
never in make demo's (~/.cache/kfdash/stack), so a running demo is not torn down by the tests.
KFDASH_STACK_DIR is deliberately not read: `source ~/.cache/kfdash/stack/env` exports it.

    KFDASH_STACK_KEEP=1    leave the stack running at the end (then `source <state dir>/env`)
    KFDASH_STACK_REUSE=1   use the stack already running in the state dir, if it answers,
                           and leave it running; else start one as usual

Fixtures: stack (the env file as a dict), admin, as_user, as_token, dex_login, demo_password,
jwt_claims, http.
"""
import base64
import collections
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kfdash_process import Kfdash  # noqa: E402

ROOT = Path(os.environ.get("KFDASH_SOURCE_ROOT") or Path(__file__).resolve().parents[3])
STACK_SH = ROOT / "tests" / "stack" / "stack.sh"
CACHE = Path(os.environ.get("KFDASH_CACHE") or Path.home() / ".cache" / "kfdash")
# The sign-in ports the stack's Dex accepts redirects to: five from KFDASH_SIGNIN_PORT_BASE
# (tests/stack/k8s-up.sh), so two suites with stacks of their own can run at once.
SIGNIN_BASE = int(os.environ.get("KFDASH_SIGNIN_PORT_BASE", "18555"))


def signin_port(i):
    """The i-th (0-4) port whose /auth/callback the stack's Dex accepts."""
    return SIGNIN_BASE + i

STATE = Path(os.environ.get("KFDASH_STACK_TEST_DIR") or CACHE / "stack-test")
ENV_FILE = STATE / "env"
# The last line stack.sh up appends: its presence means the start-up went to the end.
COMPLETE_KEY = "KFDASH_STACK_KFDASH_TOKEN_FILE"
DEFAULT_REDIRECT = "http://127.0.0.1:8080/oauth2/callback"  # k8s-up.sh's first default


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    # SIGTERM (a kill, or meson's timeout) unwinds like Ctrl-C, so the session's finalizer
    # still stops the stack.
    signal.signal(signal.SIGTERM, _interrupt)


def read_env(path):
    """`export K=V` / `K=V` lines (values shell-quoted) -> dict."""
    env = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            words = shlex.split(m[2])
            env[m[1]] = words[0] if words else ""
    return env


def plain_session():
    """A Session that ignores REQUESTS_CA_BUNDLE, proxies and .netrc (trust_env would let
    REQUESTS_CA_BUNDLE override session.verify)."""
    s = requests.Session()
    s.trust_env = False
    return s


class ApiSession(requests.Session):
    """A Session to the stack's kube-apiserver: paths starting with '/' are relative to it."""

    def __init__(self, env):
        super().__init__()
        self.trust_env = False
        self.base = env["KFDASH_APISERVER"].rstrip("/")
        self.verify = env["KFDASH_STACK_CA"]
        self.headers["Accept"] = "application/json"

    def request(self, method, url, *args, **kw):
        kw.setdefault("timeout", 15)
        if url.startswith("/"):
            url = self.base + url
        return super().request(method, url, *args, **kw)


def admin_session(env):
    s = ApiSession(env)
    s.cert = (env["KFDASH_STACK_ADMIN_CERT"], env["KFDASH_STACK_ADMIN_KEY"])
    return s


class _Impersonate(HTTPAdapter):
    """Adds Impersonate-User and one Impersonate-Group header per group. requests keeps headers
    in a dict (one value per name), so the repeated header is added here, on urllib3's
    multi-valued HTTPHeaderDict, which urllib3 sends as one line per value."""

    def __init__(self, user, groups):
        super().__init__()
        self.user, self.groups = user, list(groups)

    def send(self, request, *args, **kw):
        headers = HTTPHeaderDict(request.headers)
        headers["Impersonate-User"] = self.user
        for g in self.groups:
            headers.add("Impersonate-Group", g)
        request.headers = headers
        return super().send(request, *args, **kw)


def _apiserver_answers(env):
    try:
        return admin_session(env).get("/readyz", timeout=3).status_code == 200
    except (requests.RequestException, KeyError, OSError):
        return False


def _reusable():
    """(env, None) if the stack recorded in STATE can be reused, else (None, why not)."""
    if not ENV_FILE.is_file():
        return None, f"no {ENV_FILE}"
    env = read_env(ENV_FILE)
    if COMPLETE_KEY not in env:
        return None, f"{ENV_FILE} is from a start-up that did not finish"
    if not _apiserver_answers(env):
        return None, f"the apiserver of {ENV_FILE} ({env.get('KFDASH_APISERVER')}) does not answer"
    return env, None


class _Terminal:
    """Writes around pytest's output capture, so stack.sh's progress shows while it runs."""

    def __init__(self, config):
        self.capman = config.pluginmanager.getplugin("capturemanager")

    def write(self, text):
        if self.capman is None:
            sys.stderr.write(text)
            sys.stderr.flush()
            return
        with self.capman.global_and_fixture_disabled():
            sys.stderr.write(text)
            sys.stderr.flush()


def _stack_env():
    env = dict(os.environ)
    env["KFDASH_STACK_DIR"] = str(STATE)
    # Dex rotates its signing key every 20 s here, so a rotation happens within a test.
    env.setdefault("KFDASH_DEX_SIGNING_KEYS_EXPIRY", "20s")
    return env


def _run_stack(cmd, term, log_name):
    """Runs `stack.sh CMD` in a session of its own, its output going to the terminal and to
    logs/LOG_NAME in the state dir. Returns (exit code, seconds, last lines, log path)."""
    # stack.sh up wipes the state dir while it runs: write next to it, move it in at the end.
    STATE.parent.mkdir(parents=True, exist_ok=True)
    tmp = STATE.parent / f".{STATE.name}-{log_name}"
    tail = collections.deque(maxlen=60)
    t0 = time.monotonic()
    term.write(f"\n[stack suite] tests/stack/stack.sh {cmd} (state dir {STATE})\n")
    argv, kw = [str(STACK_SH), cmd], dict(stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=_stack_env(),
                                           start_new_session=True)
    with open(tmp, "w") as log:
        if cmd == "down":
            # Straight into the file: if pytest is killed meanwhile (meson's timeout sends SIGTERM,
            # then SIGKILL 0.5 s later), the stop still runs to its end.
            rc = subprocess.Popen(argv, stdout=log, **kw).wait()
            lines = tmp.read_text(errors="replace").splitlines(keepends=True)
            tail.extend(lines)
            term.write("".join("  " + line for line in lines))
        else:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, errors="replace", **kw)
            try:
                for line in proc.stdout:
                    log.write(line)
                    log.flush()
                    tail.append(line)
                    term.write("  " + line)
                rc = proc.wait()
            except BaseException:
                # stack.sh and its helpers; the peers run in sessions of their own, recorded in
                # the state dir, and the `down` that follows stops them.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
    dt = time.monotonic() - t0
    dest = STATE / "logs" / log_name
    if (STATE / ".kfdash-stack").exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    else:
        dest = tmp
    term.write(f"[stack suite] stack.sh {cmd}: exit {rc} after {dt:.1f}s (log: {dest})\n")
    return rc, dt, "".join(tail), dest


def _named_component_log(output):
    """The tail of the last component log the output names (k8s-up.sh says "(log: PATH)",
    ml-peers.py "see PATH"), else the list of logs in the state dir."""
    named = [Path(p) for p in re.findall(r"(/\S+?\.log)\b", output)]
    named = [p for p in named if p.is_file() and not p.name.startswith("stack-")]
    if named:
        lines = named[-1].read_text(errors="replace").splitlines()[-25:]
        return f"--- last lines of {named[-1]} ---\n" + "\n".join(lines)
    logs = sorted(p for d in (STATE / "logs", STATE / "ml" / "logs") if d.is_dir() for p in d.glob("*.log"))
    return "--- component logs ---\n" + "\n".join(map(str, logs)) if logs else ""


@pytest.fixture(scope="session")
def stack(pytestconfig):
    """The running stack: its env file ($STATE/env) as a dict."""
    term = _Terminal(pytestconfig)
    keep = os.environ.get("KFDASH_STACK_KEEP") == "1"
    if os.environ.get("KFDASH_STACK_REUSE") == "1":
        env, why_not = _reusable()
        if env is not None and int(env.get("KFDASH_SIGNIN_PORT_BASE", "18555")) != SIGNIN_BASE:
            env, why_not = None, (f"its sign-in ports start at {env.get('KFDASH_SIGNIN_PORT_BASE', '18555')}, "
                                  f"these tests' at {SIGNIN_BASE} (KFDASH_SIGNIN_PORT_BASE)")
        if env is not None:
            term.write(f"\n[stack suite] reusing the stack in {STATE} (apiserver {env['KFDASH_APISERVER']}); "
                       "it stays running\n")
            yield env
            return
        term.write(f"\n[stack suite] KFDASH_STACK_REUSE=1 but not reusing: {why_not}\n")

    try:
        rc, dt, tail, log = _run_stack("up", term, "stack-up.log")
    except BaseException:
        if not keep:
            _run_stack("down", term, "stack-down.log")
        raise
    if rc != 0:
        component = _named_component_log(tail)
        if not keep:
            _run_stack("down", term, "stack-down.log")
        term.write(f"\n[stack suite] FAILED: tests/stack/stack.sh up exited {rc} after {dt:.0f}s "
                   f"(state dir {STATE}; full output in {log})\n--- last lines of its output ---\n"
                   f"{tail}{component}\n")
        # Stop the session: every test needs the stack, and one message says more than 45 errors.
        pytest.exit(f"tests/stack/stack.sh up failed (exit {rc}); its output and the tail of the logs "
                    f"are above; full output in {log}", returncode=1)
    env = read_env(ENV_FILE)
    try:
        yield env
    finally:
        if keep:
            term.write(f"\n[stack suite] KFDASH_STACK_KEEP=1: the stack stays up; source {ENV_FILE}; "
                       f"stop it with KFDASH_STACK_DIR={STATE} {STACK_SH} down\n")
        else:
            _run_stack("down", term, "stack-down.log")


@pytest.fixture(scope="session")
def admin(stack):
    """A Session to the apiserver as the admin (client certificate, O=system:masters)."""
    s = admin_session(stack)
    yield s
    s.close()


@pytest.fixture(scope="session")
def as_user(stack):
    """as_user(email, groups=()) -> a Session to the apiserver acting as that user: the admin's
    certificate with Impersonate-User / Impersonate-Group, as kfdash calls into namespaces."""
    sessions = []

    def make(email, groups=()):
        s = admin_session(stack)
        adapter = _Impersonate(email, groups)
        s.mount("https://", adapter)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


@pytest.fixture(scope="session")
def as_token(stack):
    """as_token(token) -> a Session to the apiserver authenticated by a bearer token only."""
    sessions = []

    def make(token):
        s = ApiSession(stack)
        s.headers["Authorization"] = f"Bearer {token}"
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


class LoginRefused(AssertionError):
    """Dex answered the password form without redirecting to the client (e.g. wrong password)."""

    def __init__(self, status, body):
        super().__init__(f"Dex did not log in: HTTP {status}: {body[:300]!r}")
        self.status, self.body = status, body


def _jwt_claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture(scope="session")
def dex_login(stack):
    """dex_login(email, password) -> the id_token of a real authorization-code login through
    Dex's password form. Raises LoginRefused if Dex shows the form again instead of
    redirecting to the client (wrong password)."""
    issuer = stack["DEX_ISSUER"]
    redirect = (stack.get("DEX_REDIRECT_URIS") or DEFAULT_REDIRECT).split()[0]

    def login(email, password):
        s = plain_session()
        state, nonce = os.urandom(8).hex(), os.urandom(8).hex()
        q = urllib.parse.urlencode({
            "client_id": stack["DEX_CLIENT_ID"], "redirect_uri": redirect, "response_type": "code",
            "scope": "openid email profile groups", "state": state, "nonce": nonce})
        # /auth -> /auth/local -> /auth/local/login?back=&state=<request id>: the password form.
        r = s.get(f"{issuer}/auth?{q}", timeout=10)
        assert r.status_code == 200 and "/auth/local/login" in r.url, (r.status_code, r.url, r.text[:300])
        # The form posts back to its own URL; success answers 303 to /approval, which (with
        # skipApprovalScreen) redirects to the client's redirect URI with the code.
        r = s.post(r.url, data={"login": email, "password": password}, allow_redirects=False, timeout=10)
        if r.status_code not in (301, 302, 303, 307, 308):
            raise LoginRefused(r.status_code, r.text)
        location = urllib.parse.urljoin(r.url, r.headers["Location"])
        for _ in range(5):
            if location.startswith(redirect):
                break
            r = s.get(location, allow_redirects=False, timeout=10)
            assert r.status_code in (301, 302, 303, 307, 308), (r.status_code, location, r.text[:300])
            location = urllib.parse.urljoin(r.url, r.headers["Location"])
        else:
            raise AssertionError(f"no redirect to {redirect}; last Location {location}")
        params = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
        assert params.get("state") == [state], params
        assert "code" in params, params
        r = s.post(f"{issuer}/token", auth=(stack["DEX_CLIENT_ID"], stack["DEX_CLIENT_SECRET"]), timeout=10,
                   data={"grant_type": "authorization_code", "code": params["code"][0], "redirect_uri": redirect})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        id_token = r.json()["id_token"]
        claims = _jwt_claims(id_token)
        assert claims["iss"] == issuer and claims["nonce"] == nonce, claims
        return id_token

    login.Refused = LoginRefused
    return login


@pytest.fixture(scope="session")
def demo_password(stack):
    """demo_password('alice' or 'alice@example.com') -> that demo user's Dex password."""
    return lambda user: stack[f"KFDASH_DEMO_PASSWORD_{user.split('@')[0].upper()}"]


@pytest.fixture(scope="session")
def jwt_claims():
    """jwt_claims(token) -> the decoded payload (no signature check)."""
    return _jwt_claims


@pytest.fixture
def http():
    """A plain Session for the HTTP peers (no proxies from the environment)."""
    s = plain_session()
    yield s
    s.close()


def _dex_pid_file(stack):
    return Path(stack["KFDASH_STACK_DIR"]) / "run" / "dex.pid"


@contextlib.contextmanager
def dex_stopped(stack):
    """Dex killed for the duration (connections refused), then started again exactly as
    tests/stack/k8s-up.sh started it, and waited for."""
    pid_file = _dex_pid_file(stack)
    pid = int(pid_file.read_text())
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield
    finally:
        log = open(Path(stack["KFDASH_STACK_DIR"]) / "logs" / "dex.log", "ab")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
        log.close()
        pid_file.write_text(f"{proc.pid}\n")
        discovery = stack["DEX_ISSUER"] + "/.well-known/openid-configuration"
        deadline = time.monotonic() + 30
        while True:
            try:
                if plain_session().get(discovery, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "Dex did not come back"
            time.sleep(0.2)


@pytest.fixture
def dex_down(stack):
    """dex_down() -> a context manager: Dex stopped inside it, restarted after."""
    return lambda: dex_stopped(stack)


def dex_rotates_fast(stack):
    """True when the stack's Dex rotates its signing key within seconds (the stack suite starts
    it with KFDASH_DEX_SIGNING_KEYS_EXPIRY=20s; a reused demo stack keeps Dex's 6 h)."""
    text = (Path(stack["KFDASH_STACK_DIR"]) / "dex.yaml").read_text()
    m = re.search(r"signingKeys:\s*(\d+)s\b", text)
    return bool(m) and int(m[1]) <= 60


def until(check, what, seconds=5):
    """Polls check() until it returns a truthy value (returned) or the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.1)


def start_kfdash(stack, *args, port=None, env=None):
    """The real kfdash trusting the stack's Dex (plus args), once /readyz says ready."""
    kw = {"port": port, "listen": [f"127.0.0.1:{port}"]} if port else {}
    k = Kfdash(args=["--oidc-issuer", stack["DEX_ISSUER"], "--oidc-client-id", stack["DEX_CLIENT_ID"],
                     "--connect-to", stack["KFDASH_CONNECT_TO"],
                     *(["--mlflow-url", stack["MLFLOW_URL"]] if stack.get("MLFLOW_URL") else []),
                     *args], env=env, **kw)
    deadline = time.monotonic() + 15
    while k.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    return k


# kfdash's cluster admins: admin@ also holds cluster-admin in the stack (as a real platform's
# admins do: tests/stack/manifests/kfdash-stack.yaml); ops@ is one kfdash names and the cluster
# does not, to prove the API server still decides for it.
GATEWAY_CLUSTER_ADMIN = "admin@example.com"
UNBOUND_ADMIN = "ops@example.com"


def gateway_kfdash(stack, *args):
    """kfdash behind a trusted gateway (users named by `kubeflow-userid` from 127.0.0.1) with the
    stack's API server, admin@example.com a cluster admin (plus args). The caller stops it."""
    return start_kfdash(stack, "--trusted-header-peers", "127.0.0.1/32",
                        "--kube-api", stack["KFDASH_APISERVER"],
                        "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                        "--kube-ca-file", stack["KFDASH_STACK_CA"],
                        "--cluster-admins", f"{GATEWAY_CLUSTER_ADMIN},{UNBOUND_ADMIN}", *args)


def call_as(k, user, method, path, **kw):
    """A same-origin call to kfdash k as the gateway names `user` (no one when None)."""
    headers = {"kubeflow-userid": user, "Origin": k.url, **kw.pop("headers", {})}
    kw.setdefault("timeout", 15)
    return plain_session().request(method, k.url + path, headers=headers, **kw)


def execute_on_kernel(ws, code, timeout=30):
    """Sends `code` to a Jupyter kernel's channels WebSocket; returns the text/plain results."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "stack-test",
                   "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False}}))
    replies = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        replies.append((msg["msg_type"], msg["content"]))
        if msg["msg_type"] in ("execute_result", "error"):
            break
    results = [c["data"]["text/plain"] for t, c in replies if t == "execute_result"]
    assert results or not replies or replies[-1][0] != "error", replies
    return results


# ---------------------------------------------------------------- browser sign-in through Dex


def signin_kfdash(stack, port, state_dir, *extra):
    """kfdash on a port Dex accepts as a redirect, able to sign browsers in."""
    return start_kfdash(stack, "--state-dir", state_dir, "--kube-api", stack["KFDASH_APISERVER"],
                        "--kube-token-file", stack["KFDASH_STACK_KFDASH_TOKEN_FILE"],
                        "--kube-ca-file", stack["KFDASH_STACK_CA"], *extra, port=port,
                        env={"KFDASH_OIDC_CLIENT_SECRET": stack["DEX_CLIENT_SECRET"]})


class Refused(Exception):
    """Dex showed its form again: the password was wrong."""


def begin(session, k, rd="/"):
    """GET /auth/login: returns Dex's URL for this attempt."""
    r = session.get(f"{k.url}/auth/login", params={"rd": rd}, allow_redirects=False, timeout=10)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    return r.headers["Location"]


def finish(session, k, dex_url, email, password):
    """Dex's form, then back to kfdash's callback: returns the callback's answer."""
    r = session.get(dex_url, timeout=10)
    assert r.status_code == 200 and "/auth/local/login" in r.url, (r.status_code, r.url)
    r = session.post(r.url, data={"login": email, "password": password}, allow_redirects=False,
                     timeout=10)
    if r.status_code not in (302, 303):
        raise Refused(r.text)  # Dex shows its form again, with its error
    location = urllib.parse.urljoin(r.url, r.headers["Location"])
    while not location.startswith(k.url):
        r = session.get(location, allow_redirects=False, timeout=10)
        assert r.status_code in (302, 303), (r.status_code, location, r.text[:300])
        location = urllib.parse.urljoin(r.url, r.headers["Location"])
    assert location.startswith(f"{k.url}/auth/callback?"), location
    return session.get(location, allow_redirects=False, timeout=10)


def sign_in(k, email, password, rd="/"):
    s = plain_session()
    answer = finish(s, k, begin(s, k, rd), email, password)
    assert answer.status_code == 302, (answer.status_code, answer.text[:500])
    return s, answer


def whoami(k, session=None, **kw):
    kw.setdefault("timeout", 10)
    return (session or plain_session()).get(f"{k.url}/api/whoami", **kw)


def set_cookies(answer):
    return answer.raw.headers.getlist("Set-Cookie")


def personal_token(k, dex_login, email, password, name="tests", days=1):
    """A personal access token of email, made as a script would: with a Dex ID token just
    issued (kfdash makes tokens only right after a sign-in at Dex)."""
    id_token = dex_login(email, password)
    made = plain_session().post(k.url + "/api/tokens", json={"name": name, "expires_in_days": days},
                                headers={"Authorization": f"Bearer {id_token}"}, timeout=15)
    assert made.status_code == 201, made.text
    return made.json()["token"]
