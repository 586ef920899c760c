"""`make run` does what the issue says it does: scores, lists, refuses, isolates tenants, documents itself."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadscoring.routes import ROUTES

from .conftest import API, ROOT, Reply, Stack, run_cli

pytestmark = pytest.mark.e2e

DASHBOARD_PAGES = ["/", "/lead-scoring", "/lead-scoring-settings", "/lead-scoring-audit"]


def _lead(tag: str) -> dict[str, Any]:
    return {
        "email": f"e2e.{tag}@example.com",
        "name": f"E2E {tag}",
        "company": "Endtoend Ltd",
        "source": "referral",
        "attributes": {
            "behavioral": {"email_open_rate": 0.6, "page_views": 14, "form_submissions": 2},
            "demographic": {"industry": "software", "country": "DE", "job_seniority": "director", "company_size": 250},
            "firmographic": {"company_stage": "growth", "uses_marketing_automation": True},
            "engagement": {"meeting_attendance_rate": 0.8, "previous_purchases": 1},
        },
    }


def _assert_error(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.raw[:500])
    body = reply.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["details"], list)
    if code:
        assert body["error"]["code"] == code, body
    return dict(body["error"])


def _all_lead_ids(stack: Stack, key: str) -> list[str]:
    ids: list[str] = []
    path = f"{API}/leads?limit=100"
    for _ in range(50):
        reply = stack.request("GET", path, key)
        assert reply.status == 200, reply.raw[:500]
        page = reply.json
        ids.extend(item["id"] for item in page["items"])
        if not page["next_cursor"]:
            return ids
        path = f"{API}/leads?limit=100&cursor={page['next_cursor']}"
    pytest.fail("GET /leads never reached its last page")


@pytest.fixture(scope="module")
def scored(stack: Stack) -> dict[str, Any]:
    reply = stack.request("POST", f"{API}/score", stack.api_key, _lead(uuid.uuid4().hex[:8]))
    assert reply.status == 200, reply.raw[:500]
    return dict(reply.json)


def test_score_with_the_demo_key(scored: dict[str, Any]) -> None:
    assert scored["client_id"] == "demo"
    assert 0 <= scored["score"] <= 100
    assert 0 <= scored["score_confidence"] <= 1
    assert isinstance(scored["qualified"], bool)
    assert scored["model_id"] and scored["model_version"]


def test_the_scored_lead_is_listed_and_readable(stack: Stack, scored: dict[str, Any]) -> None:
    assert scored["id"] in _all_lead_ids(stack, stack.api_key)
    one = stack.request("GET", f"{API}/leads/{scored['id']}", stack.api_key)
    assert one.status == 200 and one.json == scored


def test_the_demo_tenant_was_seeded(stack: Stack) -> None:
    assert len(_all_lead_ids(stack, stack.api_key)) > 100
    models = stack.request("GET", f"{API}/models", stack.api_key)
    assert models.status == 200
    assert [m["is_active"] for m in models.json["items"]].count(True) == 1


def test_no_key_is_401(stack: Stack) -> None:
    _assert_error(stack.request("POST", f"{API}/score", None, _lead("nokey")), 401, "UNAUTHORIZED")
    _assert_error(stack.request("GET", f"{API}/leads"), 401, "UNAUTHORIZED")
    _assert_error(stack.request("GET", f"{API}/leads", "lsk_not_a_key"), 401, "UNAUTHORIZED")


def _cli_available() -> bool:
    return run_cli("create-key", "--help").returncode == 0


def test_another_tenant_cannot_see_the_lead_and_has_no_model(stack: Stack, scored: dict[str, Any]) -> None:
    if not _cli_available():
        pytest.skip("`python -m leadscoring.cli create-key` is not available, so a second tenant's key cannot be made")
    # The suite's stack keeps its state in its own folder, so a `make run` beside it keeps its own.
    assert stack.state_dir is not None
    state = json.loads((stack.state_dir / f"stack-{stack.port}.json").read_text())
    assert state["api"] == stack.base
    assert not (ROOT / ".local" / f"stack-{stack.port}.json").exists()

    client = f"e2e-{uuid.uuid4().hex[:8]}"
    created = stack.cli("create-key", "--client", client, "--role", "admin", "--label", "e2e second tenant")
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout.strip().splitlines()[-1])
    assert (issued["client_id"], issued["role"]) == (client, "admin")
    other_key = issued["api_key"]

    _assert_error(stack.request("GET", f"{API}/leads/{scored['id']}", other_key), 404, "NOT_FOUND")
    listed = stack.request("GET", f"{API}/leads", other_key)
    assert listed.status == 200 and listed.json["items"] == []
    _assert_error(stack.request("POST", f"{API}/score", other_key, _lead("other-" + client)), 409, "NO_ACTIVE_MODEL")
    # The demo tenant still sees its own lead.
    assert stack.request("GET", f"{API}/leads/{scored['id']}", stack.api_key).status == 200


def test_the_openapi_document_lists_every_route(stack: Stack) -> None:
    reply = stack.request("GET", f"{API}/openapi.json")
    assert reply.status == 200
    document = reply.json
    assert document["openapi"].startswith("3.")
    for route in ROUTES:
        assert route.full_path in document["paths"], route
        assert route.method.lower() in document["paths"][route.full_path], route
    assert "ScoreRequest" in json.dumps(document["components"]["schemas"])  # POST /score's body: the lead and its event_id


def test_swagger_ui_and_its_assets_load(stack: Stack) -> None:
    page = stack.request("GET", f"{API}/docs")
    assert page.status == 200 and page.content_type.startswith("text/html")
    html = page.raw.decode()
    assert f"{API}/openapi.json" in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert scripts and styles
    for src in scripts:
        asset = stack.request("GET", src)
        assert asset.status == 200, src
        assert "javascript" in asset.content_type
        assert b"SwaggerUIBundle" in asset.raw
    for href in styles:
        asset = stack.request("GET", href)
        assert asset.status == 200 and asset.content_type.startswith("text/css"), href


@pytest.mark.parametrize("path", DASHBOARD_PAGES)
def test_the_dashboard_pages_return_the_html_page(stack: Stack, path: str) -> None:
    reply = stack.request("GET", path)
    assert reply.status == 200
    assert reply.content_type.startswith("text/html")
    assert reply.raw == (Path(ROOT) / "build" / "dashboard" / "index.html").read_bytes()
    assert b"<html" in reply.raw.lower()


def test_an_unknown_api_path_is_404_json(stack: Stack) -> None:
    reply = stack.request("GET", f"{API}/no-such-endpoint", stack.api_key)
    _assert_error(reply, 404, "NOT_FOUND")
    assert reply.content_type.startswith("application/json")
    _assert_error(stack.request("GET", "/no-such-page"), 404, "NOT_FOUND")


def test_api_responses_are_declared_json(stack: Stack, scored: dict[str, Any]) -> None:
    reply = stack.request("GET", f"{API}/leads/{scored['id']}", stack.api_key)
    assert reply.status == 200
    assert reply.content_type.startswith("application/json")


def test_the_daily_audit_reports_are_recorded_once_per_run(stack: Stack) -> None:
    """`leadscoring --local record-reports` does what the deployed schedule does: the demo tenant's three reports
    land in its trail; the same run's time again records nothing."""
    today = datetime.now(UTC).date()
    at = f"{today.isoformat()}T05:00:00Z"
    first = stack.cli("record-reports", "--at", at)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["tenants"] >= 1 and summary["events_written"] == 3 * summary["tenants"] and summary["failed"] == []
    again = json.loads(stack.cli("record-reports", "--at", at).stdout.strip().splitlines()[-1])
    assert again["events_written"] == 0

    events = stack.request("GET", f"{API}/audit/events?type=monitoring_report&limit=100", stack.api_key).json["items"]
    recorded = [e for e in events if e["at"].startswith(f"{today.isoformat()}T05:00")]
    assert sorted(e["details"]["report"] for e in recorded) == ["bias", "data_quality", "drift"]
    period = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    assert all(e["details"]["period"] == period and e["details"]["leads"] > 0 for e in recorded)
