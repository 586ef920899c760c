"""The dashboard in Chromium against the real local stack: sign-in, the Performance page's numbers and charts
against the API, filters, the live feed, deep links, storage of the key, phone width, every state's screenshot.

The live-feed test scores a lead, so it runs last: until then the demo tenant holds only its seeded leads.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Response, expect

from tests.e2e.conftest import API, Stack

from .conftest import KEY_STORAGE, PHONE, Watched, api_get, chart, json_attribute, sign_in, wait_for_report

pytestmark = pytest.mark.e2e

PAGES = {
    "/": "Lead Scoring Performance",
    "/lead-scoring": "Lead Scoring Performance",
    "/lead-scoring-settings": "Lead Scoring Settings",
    "/lead-scoring-audit": "Lead Scoring Audit",
}
KPI_METRICS = ["lead_volume", "average_score", "high_quality_share", "conversion_rate", "score_accuracy", "revenue"]
SECONDARY_METRICS = ["revenue_per_lead", "cost_per_conversion", "roi"]
EMPTY_PERIOD = "period=custom&from=2020-01-01&to=2020-01-31&granularity=week"


def _js_number(value: float) -> str:
    """How JavaScript prints a number in a label (10.0 -> "10")."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _is_report(name: str) -> Callable[[Response], bool]:
    return lambda response: urlsplit(response.url).path == f"{API}/{name}" and response.request.method == "GET"


def _open_report(page: Watched, stack: Stack, path: str = "/lead-scoring") -> tuple[dict[str, Any], dict[str, Any]]:
    """Sign in on path; the reports the page received, re-read from the API with the very same query."""
    with (
        page.page.expect_response(_is_report("performance")) as performance,
        page.page.expect_response(_is_report("analytics")) as analytics,
    ):
        sign_in(page, stack.api_key, path)
    wait_for_report(page)
    return _same_as_api(stack, performance.value, analytics.value)


def _same_as_api(stack: Stack, performance: Response, analytics: Response) -> tuple[dict[str, Any], dict[str, Any]]:
    assert performance.status == 200 and analytics.status == 200
    assert parse_qs(urlsplit(performance.url).query) == parse_qs(urlsplit(analytics.url).query), "both reports share the filters"
    from_api = api_get(stack, performance.url), api_get(stack, analytics.url)
    assert (performance.json(), analytics.json()) == from_api
    return from_api


def _assert_kpis(page: Watched, report: dict[str, Any]) -> None:
    totals = report["totals"]
    for metric in KPI_METRICS + SECONDARY_METRICS:
        expected = totals["score_accuracy"]["roc_auc"] if metric == "score_accuracy" else totals[metric]
        assert json_attribute(page, f'[data-kpi="{metric}"]', "data-value") == expected, metric
    text = {m: page.page.locator(f'[data-kpi="{m}"] .kpi-value').inner_text() for m in KPI_METRICS + SECONDARY_METRICS}
    assert text["lead_volume"] == f"{totals['lead_volume']:,}"
    assert json_attribute(page, '[data-kpi="score_accuracy"]', "data-based-on") == totals["score_accuracy"]["based_on"]
    based_on = totals["score_accuracy"]["based_on"]
    expect(page.page.locator('[data-kpi="score_accuracy"] .kpi-sub')).to_contain_text(f"on {based_on:,} outcomes")
    for metric, shown in (("average_score", "{:.1f}"), ("high_quality_share", "{:.1%}"), ("conversion_rate", "{:.1%}"), ("roi", "{:.1%}")):
        assert text[metric] == ("—" if totals[metric] is None else shown.format(totals[metric])), metric
    for metric in ("revenue", "revenue_per_lead", "cost_per_conversion"):
        value = totals[metric]
        assert (f"{abs(value):,.2f}" in text[metric]) if value is not None else text[metric] == "—", metric


def _assert_charts(page: Watched, analytics: dict[str, Any]) -> None:
    bins, funnel, trends, bands = analytics["score_distribution"], analytics["funnel"], analytics["trends"], analytics["score_bands"]
    periods = [t["period_start"] for t in trends]
    expected = {
        "chart-distribution": (
            [f"{_js_number(b['lower'])}-{_js_number(b['upper'])}" for b in bins],
            [[b["leads"] for b in bins], [b["conversions"] for b in bins]],
        ),
        "chart-funnel": ([s["stage"] for s in funnel], [[s["leads"] for s in funnel]]),
        "chart-volume": (periods, [[t["lead_volume"] for t in trends]]),
        "chart-average-score": (periods, [[t["average_score"] for t in trends]]),
        "chart-conversions": (periods, [[t["conversions"] for t in trends], [t["conversion_rate"] for t in trends]]),
        "chart-bands": ([f"{b['band']} (" for b in bands], [[b["conversion_rate"] for b in bands], [b["roi"] for b in bands]]),
    }
    for canvas, (labels, series) in expected.items():
        drawn = chart(page, canvas)
        assert drawn, f"no Chart.js instance on #{canvas}"
        assert [d["data"] for d in drawn["datasets"]] == series, canvas
        if canvas == "chart-bands":
            assert all(label.startswith(prefix) for label, prefix in zip(drawn["labels"], labels, strict=True)), drawn["labels"]
        else:
            assert drawn["labels"] == labels, canvas
        assert drawn["drawn"] == [len(s) for s in series] and drawn["width"] > 0 and drawn["height"] > 0, canvas
    rows = page.page.locator("#table-sources tbody tr")
    assert [rows.nth(i).get_attribute("data-source") for i in range(rows.count())] == [s["source"] for s in analytics["top_sources"]]
    rows = page.page.locator("#table-geography tbody tr")
    assert [rows.nth(i).get_attribute("data-region") for i in range(rows.count())] == [r["region"] for r in analytics["geography"]]


def _breadcrumb(page: Watched) -> str:
    return " > ".join(page.page.locator(".breadcrumb li").all_inner_texts())


# -- sign-in ------------------------------------------------------------------------------------------


def test_signed_out_shows_the_sign_in_form(page: Watched) -> None:
    page.page.goto("/lead-scoring")
    expect(page.page.get_by_role("heading", name="Sign in to Lead Scoring")).to_be_visible()
    expect(page.page.get_by_label("API key")).to_be_focused()
    expect(page.page.locator("#nav")).to_be_hidden()
    page.screenshot("signed-out")


def test_a_wrong_key_is_refused_with_a_clear_message(page: Watched) -> None:
    page.expect(r"HTTP 401: GET /api/v1/leadscoring/config")
    page.expect(r"console error: Failed to load resource: the server responded with a status of 401")
    page.page.goto("/")
    page.page.get_by_label("API key").fill("lsk_not_a_real_key_" + secrets.token_urlsafe(8))
    page.page.get_by_label("API key").press("Enter")
    expect(page.page.locator("#sign-in-error")).to_have_text(re.compile("not recognised"))
    assert page.page.evaluate("() => sessionStorage.length + localStorage.length") == 0
    page.screenshot("signed-out-wrong-key")


def test_the_key_lives_in_session_storage_only_and_sign_out_forgets_it(page: Watched, stack: Stack) -> None:
    sign_in(page, stack.api_key)
    wait_for_report(page)
    assert page.page.evaluate(f"() => sessionStorage.getItem('{KEY_STORAGE}')") == stack.api_key
    assert page.page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 1]
    assert page.page.context.cookies() == []
    assert stack.api_key not in page.page.url
    # Another tab has its own session storage: it must sign in itself.
    other = page.page.context.new_page()
    other.goto("/lead-scoring")
    expect(other.get_by_label("API key")).to_be_visible()
    other.close()
    page.page.get_by_role("button", name="Sign out").click()
    expect(page.page.get_by_label("API key")).to_be_visible()
    assert page.page.evaluate("() => sessionStorage.length + localStorage.length") == 0


# -- the Performance page against the API -------------------------------------------------------------


def test_every_kpi_and_chart_equals_the_api(page: Watched, stack: Stack) -> None:
    performance, analytics = _open_report(page, stack)
    assert performance["totals"]["lead_volume"] > 0, "the demo tenant is seeded"
    assert _breadcrumb(page) == "Lead Scoring > Lead Scoring Performance"
    _assert_kpis(page, performance)
    _assert_charts(page, analytics)
    expect(page.page.locator("#report-empty")).to_be_hidden()
    page.screenshot("performance-filled")


def test_changing_the_source_and_the_period_refetches_and_redraws(page: Watched, stack: Stack) -> None:
    everything, analytics = _open_report(page, stack)
    source = analytics["top_sources"][-1]["source"]
    with page.page.expect_response(_is_report("performance")) as performance, page.page.expect_response(_is_report("analytics")) as fresh:
        page.page.get_by_label("Source", exact=True).select_option(source)
    wait_for_report(page)
    assert parse_qs(urlsplit(performance.value.url).query)["source"] == [source]
    filtered, filtered_analytics = _same_as_api(stack, performance.value, fresh.value)
    assert filtered["totals"]["lead_volume"] < everything["totals"]["lead_volume"]
    _assert_kpis(page, filtered)
    _assert_charts(page, filtered_analytics)
    assert f"source={source}" in page.page.url, "the filters are in the address bar"

    with page.page.expect_response(_is_report("performance")) as performance, page.page.expect_response(_is_report("analytics")) as fresh:
        page.page.get_by_label("Period", exact=True).select_option("12m")
    wait_for_report(page)
    query = parse_qs(urlsplit(performance.value.url).query)
    assert query["granularity"] == ["month"] and query["source"] == [source]
    monthly, monthly_analytics = _same_as_api(stack, performance.value, fresh.value)
    _assert_kpis(page, monthly)
    _assert_charts(page, monthly_analytics)
    # A reload keeps the filtered view.
    with page.page.expect_response(_is_report("performance")) as performance:
        page.page.reload()
    assert parse_qs(urlsplit(performance.value.url).query) == query


def test_a_period_without_leads_shows_the_empty_state(page: Watched, stack: Stack) -> None:
    performance, _ = _open_report(page, stack, f"/lead-scoring?{EMPTY_PERIOD}")
    assert performance["totals"]["lead_volume"] == 0
    expect(page.page.locator("#report-empty")).to_contain_text("No leads in this period")
    expect(page.page.locator("#report-charts")).to_be_hidden()
    _assert_kpis(page, performance)
    page.screenshot("performance-empty-period")


def test_a_start_after_the_end_is_refused_before_any_request(page: Watched, stack: Stack) -> None:
    _open_report(page, stack)
    requests: list[str] = []
    page.page.on("request", lambda request: requests.append(request.url) if "/performance" in request.url else None)
    page.page.get_by_label("To", exact=True).fill("2020-01-01")  # before the period's start
    expect(page.page.locator("#filter-error")).to_contain_text("start date must be on or before the end date")
    assert requests == []


def test_an_api_error_shows_the_error_state_naming_the_parameter(page: Watched, stack: Stack) -> None:
    # A hand-edited link with the period reversed: the API refuses it and the page says why.
    page.expect(r"HTTP 4\d\d: GET /api/v1/leadscoring/(performance|analytics)")
    page.expect(r"console error: Failed to load resource: the server responded with a status of 4\d\d")
    sign_in(page, stack.api_key, "/lead-scoring?period=custom&from=2026-03-10&to=2026-03-01")
    error = page.page.locator("#report-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("could not be loaded")
    expect(error).to_contain_text(re.compile(r"\b(from|to)\b"))
    expect(page.page.locator("#report")).to_be_hidden()
    expect(error).not_to_contain_text("null")  # nothing absent is drawn as text
    page.screenshot("performance-error")


def test_the_loading_state_is_shown_until_the_reports_arrive(page: Watched, stack: Stack) -> None:
    held: list[Any] = []
    page.page.route(re.compile(r"/api/v1/leadscoring/performance\?"), lambda route: held.append(route))
    sign_in(page, stack.api_key)
    expect(page.page.locator("#report-status")).to_have_text("Loading…")
    expect(page.page.locator("#report")).to_have_attribute("aria-busy", "true")
    page.screenshot("performance-loading")
    for route in held:
        route.continue_()
    page.page.unroute(re.compile(r"/api/v1/leadscoring/performance\?"))
    wait_for_report(page)
    expect(page.page.locator("#report-status")).to_have_text(re.compile("^Updated"))


# -- routes -------------------------------------------------------------------------------------------


def test_deep_links_reload_to_the_right_page(page: Watched, stack: Stack) -> None:
    sign_in(page, stack.api_key)
    for path, title in PAGES.items():
        page.page.goto(path)
        page.page.reload()
        expect(page.page.get_by_role("heading", level=1)).to_have_text(title)
        assert _breadcrumb(page) == f"Lead Scoring > {title}"
        expect(page.page.locator("#nav a[aria-current=page]")).to_have_text(title)
        if path == "/lead-scoring-settings":
            expect(page.page.locator("#thresholds-form")).to_be_visible()
        if path == "/lead-scoring-audit":
            expect(page.page.locator("#audit-table")).to_be_visible()


def test_navigation_changes_pages_without_a_reload(page: Watched, stack: Stack) -> None:
    sign_in(page, stack.api_key)
    page.page.evaluate("() => { window.sameDocument = true; }")
    for title in ("Lead Scoring Audit", "Lead Scoring Settings", "Lead Scoring Performance"):
        page.page.locator("#nav").get_by_role("link", name=title).click()
        expect(page.page.get_by_role("heading", level=1)).to_have_text(title)
    page.page.go_back()
    expect(page.page.get_by_role("heading", level=1)).to_have_text("Lead Scoring Settings")
    assert page.page.url.endswith("/lead-scoring-settings")
    assert page.page.evaluate("() => window.sameDocument") is True


def test_an_unknown_page_is_a_404_with_the_not_found_view(page: Watched, stack: Stack) -> None:
    page.expect(r"HTTP 404: GET /no-such-page")
    page.expect(r"console error: Failed to load resource: the server responded with a status of 404")
    sign_in(page, stack.api_key)
    response = page.page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page.page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_keyboard_reaches_sign_in_and_the_filters(page: Watched, stack: Stack) -> None:
    page.page.goto("/")
    page.page.keyboard.type(stack.api_key)  # the key field has the focus
    page.page.keyboard.press("Enter")
    wait_for_report(page)
    page.page.get_by_label("Period", exact=True).focus()
    page.page.keyboard.press("Tab")
    expect(page.page.get_by_label("From", exact=True)).to_be_focused()
    for label in ("Period", "From", "To", "Granularity", "Source"):
        expect(page.page.get_by_label(label, exact=True)).to_be_visible()


# -- phone width --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PAGES))
def test_phone_width_has_no_horizontal_overflow(open_page: Callable[..., Watched], stack: Stack, path: str) -> None:
    phone = open_page(PHONE)
    sign_in(phone, stack.api_key, path)
    if PAGES[path] == "Lead Scoring Performance":
        wait_for_report(phone)
        phone.page.locator("#feed-table tbody tr").first.wait_for()
    overflow = phone.page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {PHONE['width']}px"
    if path == "/lead-scoring":
        phone.screenshot("phone-performance")


# -- the live feed (scores a lead: keep last) ---------------------------------------------------------


def test_a_scored_lead_appears_in_the_live_feed_without_a_reload(page: Watched, stack: Stack) -> None:
    before, _ = _open_report(page, stack)
    page.page.locator("#feed-table tbody tr").first.wait_for()
    page.page.evaluate("() => { window.sameDocument = true; }")
    tag = secrets.token_hex(4)
    lead = {
        "email": f"live.{tag}@example.com",
        "name": f"Live Feed {tag}",
        "company": "Browser Test GmbH",
        "source": "webinar",
        "attributes": {"behavioral": {"page_views": 25}, "demographic": {"country": "DE", "company_size": 120}},
    }
    reply = stack.request("POST", f"{API}/score", stack.api_key, lead)
    assert reply.status == 200, reply.raw[:500]
    row = page.page.locator(f'#feed-table tr[data-lead-id="{reply.json["id"]}"]')
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile(r"\bis-new\b"))
    expect(row).to_contain_text(str(lead["name"]))
    expect(row).to_contain_text(f"{reply.json['score']:.1f}")
    assert page.page.evaluate("() => window.sameDocument") is True
    page.screenshot("performance-live-feed")
    # The arrival also redraws the report in place: the lead volume card follows the API's count.
    volume = before["totals"]["lead_volume"] + 1
    period = before["period"]
    url = f"{API}/performance?from={period['from']}&to={period['to']}&granularity={period['granularity']}"
    deadline = time.monotonic() + 30
    while api_get(stack, url)["totals"]["lead_volume"] != volume:  # the stream's aggregator runs asynchronously
        assert time.monotonic() < deadline, "the aggregates never counted the new lead"
        time.sleep(0.5)
    expect(page.page.locator('[data-kpi="lead_volume"]')).to_have_attribute("data-value", str(volume))
    assert page.page.evaluate("() => window.sameDocument") is True
