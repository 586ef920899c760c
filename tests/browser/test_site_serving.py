"""How the local gateway serves build/dashboard: the routes, the assets with their content types and caching,
the security headers of dashboard/site.json, and nothing outside the site folder."""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ROOT, Stack

pytestmark = pytest.mark.e2e

SITE = json.loads((ROOT / "dashboard" / "site.json").read_text())
BUILT_INDEX = ROOT / "build" / "dashboard" / "index.html"


def _asset_paths() -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', BUILT_INDEX.read_text())


@pytest.mark.parametrize("path", SITE["routes"] + ["/lead-scoring-settings/"])
def test_every_route_is_index_html_with_the_security_headers(stack: Stack, path: str) -> None:
    reply = stack.request("GET", path)
    assert reply.status == 200 and reply.content_type == "text/html; charset=utf-8"
    assert reply.raw == BUILT_INDEX.read_bytes()
    assert reply.headers["Cache-Control"] == "no-cache"
    for name, value in SITE["headers"].items():
        assert reply.headers[name] == value, name


def test_assets_have_their_content_types_and_are_cached_for_good(stack: Stack) -> None:
    paths = _asset_paths()
    expected = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
    assert {p[p.rindex(".") :] for p in paths} == set(expected)
    for path in paths:
        reply = stack.request("GET", path)
        assert reply.status == 200, path
        assert reply.content_type == expected[path[path.rindex(".") :]], path
        assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    # The ES modules the entry point imports sit beside it.
    entry = next(p for p in paths if p.endswith("/app.js"))
    for module in re.findall(r'from "\./([\w.]+\.js)"', stack.request("GET", entry).raw.decode()):
        assert stack.request("GET", entry.rsplit("/", 1)[0] + "/" + module).status == 200, module


OUTSIDE = ["/assets/../../pyproject.toml", "/assets/%2e%2e/%2e%2e/pyproject.toml", "/assets/nope.js", "/dashboard/site.json", "/index.htm"]


@pytest.mark.parametrize("path", OUTSIDE)
def test_nothing_outside_the_built_site_is_served(stack: Stack, path: str) -> None:
    reply = stack.request("GET", path)
    assert reply.status == 404, (path, reply.raw[:200])
    assert b"[project]" not in reply.raw


def test_an_unknown_page_is_the_apps_not_found_view_for_a_browser_and_json_otherwise(stack: Stack) -> None:
    connection = http.client.HTTPConnection(urlsplit(stack.base).netloc, timeout=30)
    connection.request("GET", "/no-such-page", headers={"Accept": "text/html,application/xhtml+xml"})
    response = connection.getresponse()
    assert response.status == 404 and response.read() == BUILT_INDEX.read_bytes()
    connection.close()
    reply = stack.request("GET", "/no-such-page")
    assert reply.status == 404 and reply.json["error"]["code"] == "NOT_FOUND"


def test_only_get_and_head_reach_the_site(stack: Stack) -> None:
    assert stack.request("HEAD", "/lead-scoring").status == 200
    assert stack.request("POST", "/lead-scoring", body={}).status == 405
