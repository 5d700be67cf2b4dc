"""What operators see: metrics, access log, request ids, health and security headers."""
import json

import requests
from prometheus_client.parser import text_string_to_metric_families


def families(kfdash):
    r = kfdash.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def test_metrics_parse_and_count_requests_by_route_and_status(kfdash):
    for _ in range(3):
        kfdash.get("/healthz")
    kfdash.get("/api/nope")
    fams = families(kfdash)
    samples = {(s.labels.get("route"), s.labels.get("code")): s.value
               for s in fams["kfdash_http_requests"].samples if s.name.endswith("_total")}
    assert samples[("/healthz", "200")] >= 3
    assert samples[("/api/*", "404")] == 1
    hist = fams["kfdash_http_request_duration_seconds"]
    counts = [s for s in hist.samples if s.name.endswith("_count") and s.labels["route"] == "/healthz"]
    assert counts and counts[0].value >= 3
    assert fams["kfdash_build_info"].samples[0].labels["version"]
    assert fams["kfdash_http_requests_in_flight"].samples[0].value >= 1
    assert fams["process_resident_memory_bytes"].samples[0].value > 0


def test_access_log_has_one_json_line_per_request_without_the_query(kfdash):
    kfdash.get("/healthz?token=secret-value", headers={"X-Request-Id": "it-log-1"})
    kfdash.get("/metrics")
    lines = [l for l in kfdash.log_lines() if l.get("msg") == "request"]
    mine = [l for l in lines if l["request_id"] == "it-log-1"]
    assert len(mine) == 1
    entry = mine[0]
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert entry["bytes"] == 15 and entry["us"] >= 0 and entry["time"].endswith("Z")
    assert "secret-value" not in kfdash.log()


def test_request_id_is_echoed_when_sane_and_generated_otherwise(kfdash):
    assert kfdash.get("/healthz", headers={"X-Request-Id": "abc-123_x.y"}).headers["X-Request-Id"] == "abc-123_x.y"
    for bad in ["has space", "a" * 65, "semi;colon", ""]:
        rid = kfdash.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert rid != bad and len(rid) == 24 and all(c in "0123456789abcdef" for c in rid)
    a = kfdash.get("/healthz").headers["X-Request-Id"]
    b = kfdash.get("/healthz").headers["X-Request-Id"]
    assert a != b


def test_security_headers_on_every_kind_of_response(kfdash):
    responses = [kfdash.get("/"), kfdash.get("/healthz"), kfdash.get("/api/nope"),
                 kfdash.get("/assets/missing.js"), requests.post(kfdash.url + "/healthz", timeout=5),
                 kfdash.get("/x", headers={"X-Big": "a" * 20000})]
    for r in responses:
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"


def test_readyz_lists_each_dependency(kfdash):
    r = kfdash.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is True
    names = {c["name"]: c for c in body["checks"]}
    assert names["server"]["ready"] and names["web"]["ready"]
    assert "files built in" in names["web"]["detail"]
