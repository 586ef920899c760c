"""`make run` keeps the analytics current: the seeded history is aggregated before the URL is printed, and a lead
posted to /score shows in GET /performance shortly after (the stream poller feeds the real aggregator)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .conftest import API, Stack

SEEDED_DAYS = 60


def _totals(stack: Stack, days: int) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    query = f"from={(today - timedelta(days=days - 1)).isoformat()}&to={today.isoformat()}&granularity=week"
    reply = stack.request("GET", f"{API}/performance?{query}", stack.api_key)
    assert reply.status == 200, reply.raw[:500]
    return dict(reply.json["totals"])


def test_the_seeded_history_fills_the_performance_figures(stack: Stack) -> None:
    totals = _totals(stack, SEEDED_DAYS + 2)
    assert totals["lead_volume"] >= 200  # every demo lead, spread over two months
    assert totals["conversions"] > 0 and totals["revenue"] > 0
    assert totals["score_accuracy"]["based_on"] > 0 and totals["score_accuracy"]["roc_auc"] is not None
    analytics = stack.request("GET", f"{API}/analytics", stack.api_key)
    assert analytics.status == 200
    body = analytics.json
    assert len({p["period_start"] for p in body["trends"] if p["lead_volume"]}) > 10  # history, not one day
    assert {s["stage"] for s in body["funnel"] if s["leads"]} == {"new", "contacted", "qualified", "converted", "lost"}
    assert len(body["geography"]) > 3 and len(body["top_sources"]) > 3


def test_a_new_lead_appears_in_the_figures(stack: Stack) -> None:
    before = _totals(stack, 1)["lead_volume"]
    lead = {"email": f"live.{uuid.uuid4().hex[:8]}@example.com", "name": "Live Lead", "source": "webinar"}
    assert stack.request("POST", f"{API}/score", stack.api_key, lead).status == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _totals(stack, 1)["lead_volume"] == before + 1:
            return
        time.sleep(0.5)
    raise AssertionError("the new lead never reached GET /performance")
