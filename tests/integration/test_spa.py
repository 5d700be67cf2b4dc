"""The built-in web app and Kubeflow's dashboard-config routes."""
import gzip
import json
import os
import re

import requests

LINKS = {
    "menuLinks": [
        {"type": "item", "link": "/jupyter/", "text": "Notebooks-IT", "icon": "book"},
        {"type": "section", "text": "Pipelines-IT", "icon": "x",
         "items": [{"type": "item", "link": "/pipeline/#/runs", "text": "Runs-IT"}]},
    ],
    "externalLinks": [{"type": "item", "iframe": False, "link": "https://example.org", "text": "Ext-IT"}],
    "quickLinks": [{"desc": "d", "link": "/jupyter/new?ns={ns}", "text": "Quick-IT"}],
    "documentationItems": [{"desc": "d", "link": "https://docs.example", "text": "Docs-IT"}],
}


def embedded_asset(kfdash):
    index = kfdash.get("/").text
    m = re.search(r'src="(/assets/[^"]+\.js)"', index)
    assert m, index
    return m.group(1)


def test_index_html_is_served_for_the_root_and_for_app_routes(kfdash):
    root = kfdash.get("/")
    assert root.status_code == 200
    assert root.headers["Content-Type"].startswith("text/html")
    assert root.headers["Cache-Control"] == "no-cache"
    for path in ["/_/jupyter/", "/some/deep/page", "/home?ns=alice"]:
        r = kfdash.get(path)
        assert r.status_code == 200 and r.text == root.text, path


def test_hashed_assets_are_immutable_and_gzipped_when_accepted(kfdash):
    path = embedded_asset(kfdash)
    plain = kfdash.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["Content-Type"].startswith("text/javascript")
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Encoding" not in plain.headers
    raw = requests.get(kfdash.url + path, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5)
    packed = raw.raw.read(decode_content=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert raw.headers["Vary"] == "Accept-Encoding"
    assert len(packed) < len(plain.content)
    assert gzip.decompress(packed) == plain.content


def test_etag_revalidation_answers_304_without_a_body(kfdash):
    path = embedded_asset(kfdash)
    first = kfdash.get(path)
    etag = first.headers["ETag"]
    again = kfdash.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    changed = kfdash.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_missing_asset_is_404_not_the_app(kfdash):
    r = kfdash.get("/assets/nope-123.js")
    assert r.status_code == 404 and r.json() == {"error": "no such file"}


def test_unknown_api_route_is_404_json(kfdash):
    for method in ("GET", "POST", "DELETE"):
        r = requests.request(method, kfdash.url + "/api/does-not-exist", timeout=5)
        assert r.status_code == 404
        assert r.json() == {"error": "no such API route"}


def test_non_get_on_an_app_route_is_405_with_allow(kfdash):
    r = requests.post(kfdash.url + "/some/page", timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"


def test_dashboard_links_and_settings_come_from_the_config_file(start):
    k = start(config={"dashboard": {"links": LINKS, "settings": {"DASHBOARD_FORCE_IFRAME": False}}})
    assert k.get("/api/dashboard-links").json() == LINKS
    assert k.get("/api/dashboard-settings").json() == {"DASHBOARD_FORCE_IFRAME": False}


def test_dashboard_config_dir_reads_mounted_configmap_files(start, tmp_path):
    (tmp_path / "links").write_text(json.dumps(LINKS))
    (tmp_path / "settings").write_text('{"DASHBOARD_FORCE_IFRAME": true}')
    k = start(env={"KFDASH_DASHBOARD_CONFIG_DIR": str(tmp_path)})
    assert k.get("/api/dashboard-links").json()["quickLinks"][0]["text"] == "Quick-IT"
    assert k.get("/api/dashboard-settings").json() == {"DASHBOARD_FORCE_IFRAME": True}


def test_web_dir_serves_files_from_disk_with_fallback_to_index(start, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<p>dev index</p>")
    (tmp_path / "assets" / "dev-1.js").write_text("dev();")
    k = start(args=["--web-dir", str(tmp_path)])
    assert k.get("/assets/dev-1.js").text == "dev();"
    assert k.get("/a/route").text == "<p>dev index</p>"
    assert k.get("/assets/missing.js").status_code == 404
    etag = k.get("/").headers["ETag"]
    assert k.get("/", headers={"If-None-Match": etag}).status_code == 304
