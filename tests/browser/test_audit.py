"""Lead Scoring Audit in a real browser: the trail is the API's, newest first, filtered by type and lead (kept in
the address bar), a page at a time; a decision's details show what it was decided on."""

from __future__ import annotations

import json
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import API, Stack

from .conftest import Watched, sign_in

AUDIT = "/lead-scoring-audit"


def _api(stack: Stack, method: str, path: str, key: str, body: Any = None) -> Any:
    reply = stack.request(method, f"{API}{path}", key, body)
    assert 200 <= reply.status < 300, (method, path, reply.status, reply.raw[:500])
    return reply.json


def _fresh_admin(stack: Stack) -> str:
    created = stack.cli("create-key", "--client", f"audit-{uuid.uuid4().hex[:8]}", "--role", "admin", "--label", "browser audit tests")
    assert created.returncode == 0, created.stderr
    return str(json.loads(created.stdout.strip().splitlines()[-1])["api_key"])


def _shown(watched: Watched) -> list[str]:
    watched.page.wait_for_function("() => !document.querySelector('#audit-table[aria-busy]')")
    return list(watched.page.locator("#audit-rows tr[data-event]").evaluate_all("rows => rows.map(r => r.dataset.event)"))


def _open(watched: Watched, key: str, path: str = AUDIT) -> None:
    sign_in(watched, key, path)
    expect(watched.page.get_by_role("heading", level=1)).to_have_text("Lead Scoring Audit")
    expect(watched.page.locator("#audit-status")).not_to_have_text("Loading…")


def test_the_trail_is_the_apis_newest_first(page: Watched, stack: Stack) -> None:
    _open(page, stack.api_key)
    expected = _api(stack, "GET", "/audit/events?limit=25", stack.api_key)
    assert _shown(page) == [e["event_id"] for e in expected["items"]]
    assert len(expected["items"]) == 25 and expected["next_cursor"]  # the demo tenant has more than a page
    expect(page.page.locator("#audit-more")).to_be_visible()
    page.screenshot("audit")


def test_a_leads_decisions_by_deep_link_with_their_details(page: Watched, stack: Stack) -> None:
    body = {"email": f"audit.{uuid.uuid4().hex[:8]}@example.com", "name": "Audit Lead", "source": "webinar"}
    first = _api(stack, "POST", "/score", stack.api_key, body)
    _api(stack, "POST", "/score", stack.api_key, body)
    _open(page, stack.api_key, f"{AUDIT}?lead_id={first['id']}")
    expected = _api(stack, "GET", f"/audit/events?lead_id={first['id']}", stack.api_key)["items"]
    assert len(expected) == 2 and _shown(page) == [e["event_id"] for e in expected]
    expect(page.page.locator("#audit-lead")).to_have_value(first["id"])
    row = page.page.locator(f"#audit-rows tr[data-event='{expected[0]['event_id']}']")
    expect(row.locator("td").nth(1)).to_have_text("Scoring decisions")
    expect(row.locator("td").nth(5)).to_have_text(f"{first['score']:.1f}")
    expect(row.locator(".audit-summary")).to_contain_text(f"grade {first['grade']}")

    row.get_by_role("button", name=f"Details of event {expected[0]['event_id']}").click()
    details = page.page.locator("#audit-rows tr.audit-details:visible pre")
    expect(details).to_contain_text(expected[0]["input_hash"])
    assert "audit." not in details.inner_text()  # no email in the record

    # Another filter on top: this lead made no configuration change.
    page.page.get_by_label("Type").select_option("config_change")
    expect(page.page.locator("#audit-status")).to_have_text("No events match these filters.")
    assert "type=config_change" in page.page.url and f"lead_id={first['id']}" in page.page.url
    page.page.reload()
    expect(page.page.locator("#audit-type")).to_have_value("config_change")


def test_changes_are_listed_by_type_a_page_at_a_time(page: Watched, stack: Stack) -> None:
    key = _fresh_admin(stack)
    for k in range(26):  # 26 threshold changes and one feature: two pages of 25
        _api(stack, "PUT", "/config", key, {"thresholds": {"qualified": 50 + k % 2, "high_priority": 75, "low_priority": 25}})
    _api(stack, "POST", "/features", key, {"name": "trial_days", "type": "numerical", "family": "engagement"})
    _open(page, key, f"{AUDIT}?type=config_change")
    expected = _api(stack, "GET", "/audit/events?type=config_change&limit=25", key)
    assert _shown(page) == [e["event_id"] for e in expected["items"]]
    expect(page.page.locator("#audit-rows tr[data-event]").first.locator(".audit-summary")).to_have_text("feature trial_days created")
    page.page.get_by_role("button", name="Load more").click()
    expect(page.page.locator("#audit-status")).to_have_text("27 events")
    assert len(set(_shown(page))) == 27
    expect(page.page.locator("#audit-more")).to_be_hidden()

    page.page.get_by_label("Type").select_option("decision")
    expect(page.page.locator("#audit-status")).to_have_text("No events match these filters.")
    # This tenant has no model: the drift report says so instead of failing (no request is refused).
    expect(page.page.locator("#drift-none")).to_be_visible()


def _report_loaded(watched: Watched, name: str) -> None:
    watched.page.wait_for_function(f"() => !document.querySelector('#{name}-panel[aria-busy]')")


def test_the_reports_are_the_apis(page: Watched, stack: Stack) -> None:
    _open(page, stack.api_key)
    for name in ("quality", "drift", "bias"):
        _report_loaded(page, name)
    today = page.page.evaluate("() => new Date().toISOString().slice(0, 10)")
    start = page.page.evaluate("() => { const d = new Date(); d.setUTCDate(d.getUTCDate() - 29); return d.toISOString().slice(0, 10); }")
    period = f"from={start}&to={today}"

    drift = _api(stack, "GET", f"/audit/drift?{period}", stack.api_key)
    expect(page.page.locator("#drift-status")).to_have_attribute("data-status", drift["status"])
    shown = page.page.locator("#drift-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.feature)")
    assert shown == [f["feature"] for f in drift["features"]] and len(shown) == 26
    assert page.page.locator("#drift-findings li").count() == len(drift["findings"])

    quality = _api(stack, "GET", f"/audit/data-quality?{period}", stack.api_key)
    expect(page.page.locator("#quality-report")).to_contain_text(f"{quality['sample']['leads']} leads created {start} to {today}")
    assert page.page.locator("#quality-table tbody tr").count() == len(quality["features"])

    # Grouping the bias report by a feature reloads it alone.
    page.page.get_by_label("Group by").select_option("industry")
    page.page.wait_for_function("() => document.querySelector('#bias-report')?.textContent.includes('grouped by industry')")
    _report_loaded(page, "bias")
    bias = _api(stack, "GET", f"/audit/bias?{period}&attribute=industry", stack.api_key)
    groups = page.page.locator("#bias-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.group)")
    assert groups == [g["group"] for g in bias["groups"]]
    expect(page.page.locator("#bias-status")).to_have_attribute("data-status", bias["status"])
    page.screenshot("audit-reports")

    # The daily run puts them on the record: the trail lists them under their own type.
    recorded = stack.cli("record-reports", "--at", f"{today}T05:00:00Z")
    assert recorded.returncode == 0, recorded.stderr
    page.page.get_by_label("Type").select_option("monitoring_report")
    events = _api(stack, "GET", "/audit/events?type=monitoring_report", stack.api_key)["items"]
    assert len(events) == 3 and _shown(page) == [e["event_id"] for e in events]
    summaries = page.page.locator("#audit-rows .audit-summary").all_inner_texts()
    names = {"data_quality": "Data quality", "drift": "Model drift", "bias": "Bias"}
    for text, event in zip(summaries, events, strict=True):
        d = event["details"]
        assert text.startswith(f"{names[d['report']]}: {d['status'].replace('_', ' ')} · {d['leads']} leads · "), text
