#!/usr/bin/env python3
"""A browser's sign-in through Dex's password form, for the bench and the tests.

Usage:
  browser_login.py START_URL --email EMAIL (--password PASSWORD | --password-env VAR)
                   --cookie NAME [--cookie NAME ...] [--max-steps N] [--timeout S] [--verbose]

Starts at START_URL (e.g. kfdash's http://127.0.0.1:8080/auth/login?rd=/ or oauth2-proxy's
http://127.0.0.1:4180/oauth2/start?rd=/), follows redirects one by one as a browser would
(keeping every cookie), fills in the first form with a password field it meets (Dex's
/auth/local/login: fields `login` and `password`, plus any hidden inputs), grants access if Dex
shows its approval screen (a client that forces the prompt, as oauth2-proxy's default
--approval-prompt=force does, gets it despite skipApprovalScreen), follows the redirects back
to the client's callback, and stops as soon as every cookie named by --cookie has been set.
Prints each cookie's value on a line of its own, in the order given. --verbose writes each
step to stderr: method, URL, status, Location and the names of the cookies set.

Fails (exit status 1, one message on stderr) when Dex shows its form again after the password
was posted (wrong email or password), when a step answers neither a redirect nor the form,
when the redirects go on for more than --max-steps, or when the flow ends without the cookies;
the message names the URL, the status and the start of the body.

From Python (tests): `from browser_login import login, LoginRefused, LoginError`;
login(start_url, email, password, ["kfdash_session"]) -> {"kfdash_session": "..."}.

Needs `requests` only. The session ignores the environment (trust_env = False): proxies,
.netrc and REQUESTS_CA_BUNDLE stay out of it.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import re
import sys
import urllib.parse

import requests

REDIRECTS = (301, 302, 303, 307, 308)


class LoginError(Exception):
    """The flow did not end with the cookies asked for."""


class LoginRefused(LoginError):
    """The provider showed its password form again: wrong email or password."""


class _Forms(html.parser.HTMLParser):
    """Each <form>: method, action (entities decoded) and its inputs (name, type, value)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._open = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(),
                               "action": a.get("action"), "inputs": []})
            self._open = True
        elif tag == "input" and self._open:
            self.forms[-1]["inputs"].append(
                ((a.get("name") or ""), (a.get("type") or "text").lower(), a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = False


def password_form(text: str) -> dict | None:
    """The first form of the page with a password input, or None."""
    p = _Forms()
    try:
        p.feed(text)
    except Exception:  # a page that is not HTML has no form
        return None
    for f in p.forms:
        if any(t == "password" for _, t, _ in f["inputs"]):
            return f
    return None


def approval_form(text: str) -> dict | None:
    """Dex's approval screen: the form whose hidden input approval is "approve", or None."""
    p = _Forms()
    try:
        p.feed(text)
    except Exception:
        return None
    for f in p.forms:
        if ("approval", "hidden", "approve") in f["inputs"]:
            return f
    return None


def _excerpt(r: requests.Response, n: int = 300) -> str:
    text = re.sub(r"<[^>]*>", " ", r.text or "")
    return re.sub(r"\s+", " ", text).strip()[:n]


def _describe(r: requests.Response) -> str:
    return f"{r.request.method} {r.url} answered {r.status_code}: {_excerpt(r)!r}"


def _found(jar: requests.cookies.RequestsCookieJar, names: list[str]) -> dict[str, str] | None:
    got: dict[str, str] = {}
    for c in jar:  # not jar.get(): the same name may sit on several paths (login cookies)
        if c.name in names and c.value:
            got[c.name] = c.value
    return got if all(n in got for n in names) else None


def login(start_url: str, email: str, password: str, cookies: list[str], *,
          session: requests.Session | None = None, max_steps: int = 20,
          timeout: float = 10, trace=None) -> dict[str, str]:
    """Runs the sign-in; returns {cookie name: value} for every name in cookies. trace, when
    given, is called with one line per step."""
    s = session or requests.Session()
    if session is None:
        s.trust_env = False
    url, method, data = start_url, "GET", None
    posted = approved = False
    for _ in range(max_steps):
        r = s.request(method, url, data=data, allow_redirects=False, timeout=timeout)
        if trace:
            set_names = [h.split("=", 1)[0] for h in r.raw.headers.getlist("Set-Cookie")]
            trace(f"{method} {url} -> {r.status_code}"
                  + (f" Location: {r.headers['Location']}" if "Location" in r.headers else "")
                  + (f" Set-Cookie: {', '.join(set_names)}" if set_names else ""))
        got = _found(s.cookies, cookies)
        if got:
            return got
        if r.status_code in REDIRECTS and "Location" in r.headers:
            url, method, data = urllib.parse.urljoin(r.url, r.headers["Location"]), "GET", None
            continue
        form = password_form(r.text) if r.status_code in (200, 400, 401, 403) else None
        if form and posted:
            raise LoginRefused(f"the password form came back after posting it (wrong email or "
                               f"password for {email}?): {_describe(r)}")
        if form:
            data = {name: value for name, t, value in form["inputs"] if name and t != "password"}
            names = [name for name, _, _ in form["inputs"]]
            user_field = "login" if "login" in names else next(
                (n for n, t, _ in form["inputs"] if t in ("text", "email") and n), "login")
            pw_field = next(n for n, t, _ in form["inputs"] if t == "password")
            data[user_field], data[pw_field] = email, password
            url = urllib.parse.urljoin(r.url, form["action"]) if form["action"] else r.url
            method, posted = ("POST" if form["method"] == "post" else "GET"), True
            if method == "GET":
                url = url.split("?")[0] + "?" + urllib.parse.urlencode(data)
                data = None
            continue
        approve = approval_form(r.text) if posted and r.status_code == 200 else None
        if approve and not approved:
            data = {name: value for name, _, value in approve["inputs"] if name}
            url = urllib.parse.urljoin(r.url, approve["action"]) if approve["action"] else r.url
            method, approved = "POST", True
            continue
        if posted and r.status_code == 200:
            # The flow ended on a page (e.g. the app behind the callback) without the cookies.
            have = sorted({c.name for c in s.cookies})
            raise LoginError(f"signed in but no cookie {', '.join(cookies)} was set (cookies: "
                             f"{', '.join(have) or 'none'}); last step: {_describe(r)}")
        raise LoginError(f"neither a redirect nor a password form: {_describe(r)}")
    raise LoginError(f"more than {max_steps} steps without the cookies {', '.join(cookies)}; "
                     f"last URL {url}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("start_url")
    ap.add_argument("--email", required=True)
    pw = ap.add_mutually_exclusive_group(required=True)
    pw.add_argument("--password")
    pw.add_argument("--password-env", metavar="VAR", help="read the password from this variable")
    ap.add_argument("--cookie", action="append", required=True, metavar="NAME")
    ap.add_argument("--max-steps", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--verbose", action="store_true", help="each step on stderr")
    a = ap.parse_args(argv)
    password = a.password
    if a.password_env:
        password = os.environ.get(a.password_env)
        if password is None:
            print(f"browser_login: ${a.password_env} is not set", file=sys.stderr)
            return 2
    try:
        got = login(a.start_url, a.email, password, a.cookie, max_steps=a.max_steps,
                    timeout=a.timeout,
                    trace=(lambda line: print(line, file=sys.stderr)) if a.verbose else None)
    except LoginError as e:
        print(f"browser_login: {e}", file=sys.stderr)
        return 1
    except requests.RequestException as e:
        print(f"browser_login: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    for name in a.cookie:
        print(got[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
