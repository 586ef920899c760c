"""GET /performance and GET /analytics on the moto server, fed by the real aggregator from the leads stream.

The figures are checked against a naive computation from a scan of the tenant's leads, written here from the
definitions (not from the aggregation code), after a random mix of scores, re-scores, conversions, deletes
and redelivered stream batches.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr

from leadscoring.data.aggregates import counters_of
from leadscoring.data.keys import lead_item_key
from leadscoring.demo_data import generate
from leadscoring.domain.aggregation import lead_delta
from leadscoring.resources import AGGREGATES, LEADS

from .conftest import MODEL_ID, Tenant
from .support import Api, Tables, assert_error

COSTS: dict[str, Any] = {"default": 20.0, "by_source": {"webinar": 45.0, "referral": 5.0}}
THRESHOLDS = {"qualified": 50.0, "high_priority": 75.0, "low_priority": 25.0}


# --- naive figures, from the definitions ------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _cost(leads: list[dict[str, Any]]) -> float:
    return sum(COSTS["by_source"].get(lead["source"], COSTS["default"]) for lead in leads)


def _bin(score: float) -> int:
    return min(int(score), 99)


def naive_metrics(leads: list[dict[str, Any]]) -> dict[str, Any]:
    converted = [lead for lead in leads if lead["conversion_status"] == "converted"]
    lost = [lead for lead in leads if lead["conversion_status"] == "lost"]
    pairs = [(p, n) for p in converted for n in lost]
    wins = sum(1.0 if _bin(p["score"]) > _bin(n["score"]) else 0.5 if _bin(p["score"]) == _bin(n["score"]) else 0.0 for p, n in pairs)
    qualified_outcomes = [lead for lead in converted + lost if lead["qualified"]]
    revenue = sum(lead.get("revenue") or 0.0 for lead in converted)
    cost = _cost(leads)
    return {
        "lead_volume": len(leads),
        "average_score": _ratio(sum(lead["score"] for lead in leads), len(leads)),
        "high_quality_leads": sum(lead["qualified"] for lead in leads),
        "high_quality_share": _ratio(sum(lead["qualified"] for lead in leads), len(leads)),
        "conversions": len(converted),
        "conversion_rate": _ratio(len(converted), len(leads)),
        "score_accuracy": {
            "roc_auc": _ratio(wins, len(pairs)),
            "precision": _ratio(sum(lead["conversion_status"] == "converted" for lead in qualified_outcomes), len(qualified_outcomes)),
            "recall": _ratio(sum(lead["qualified"] for lead in converted), len(converted)),
            "based_on": len(converted) + len(lost),
            "converted": len(converted),
            "lost": len(lost),
        },
        "revenue": revenue,
        "revenue_per_lead": _ratio(revenue, len(leads)),
        "cost": cost,
        "cost_per_conversion": _ratio(cost, len(converted)),
        "roi": _ratio(revenue - cost, cost),
    }


def naive_analytics(leads: list[dict[str, Any]], start: date, end: date, bin_width: int) -> dict[str, Any]:
    order = ["new", "contacted", "qualified", "converted"]
    statuses = [lead["conversion_status"] for lead in leads]
    funnel: list[dict[str, Any]] = [
        {"stage": s, "leads": len(leads) if i == 0 else sum(st in order[i:] for st in statuses), "share": None} for i, s in enumerate(order)
    ]
    funnel.append({"stage": "lost", "leads": statuses.count("lost"), "share": None})
    for stage in funnel:
        stage["share"] = _ratio(stage["leads"], len(leads))
    bands = []
    bounds = {
        "A": (THRESHOLDS["high_priority"], 100.0),
        "B": (THRESHOLDS["qualified"], THRESHOLDS["high_priority"]),
        "C": (THRESHOLDS["low_priority"], THRESHOLDS["qualified"]),
        "D": (0.0, THRESHOLDS["low_priority"]),
    }
    for band, (lower, upper) in bounds.items():
        members = [lead for lead in leads if lead["grade"] == band]
        won = [lead for lead in members if lead["conversion_status"] == "converted"]
        revenue, cost = sum(lead.get("revenue") or 0.0 for lead in won), _cost(members)
        bands.append(
            {
                "band": band,
                "lower": lower,
                "upper": upper,
                "leads": len(members),
                "conversions": len(won),
                "conversion_rate": _ratio(len(won), len(members)),
                "revenue": revenue,
                "cost": cost,
                "roi": _ratio(revenue - cost, cost),
            }
        )
    weeks: dict[date, list[dict[str, Any]]] = {}
    day = start
    while day <= end:
        weeks.setdefault(max(day - timedelta(days=day.weekday()), start), [])
        day += timedelta(days=1)
    for lead in leads:
        created = datetime.fromisoformat(lead["created_at"]).date()
        weeks[max(created - timedelta(days=created.weekday()), start)].append(lead)
    trends = [
        {
            "period_start": week.isoformat(),
            "lead_volume": len(members),
            "average_score": _ratio(sum(m["score"] for m in members), len(members)),
            "conversions": sum(m["conversion_status"] == "converted" for m in members),
            "conversion_rate": _ratio(sum(m["conversion_status"] == "converted" for m in members), len(members)),
        }
        for week, members in sorted(weeks.items())
    ]
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lead in leads:
        by_source[lead["source"]].append(lead)
        by_region[((lead.get("attributes") or {}).get("demographic") or {}).get("country") or "unknown"].append(lead)
    sources = []
    for source, members in by_source.items():
        won = [m for m in members if m["conversion_status"] == "converted"]
        revenue, cost = sum(m.get("revenue") or 0.0 for m in won), _cost(members)
        sources.append(
            {
                "source": source,
                "leads": len(members),
                "average_score": sum(m["score"] for m in members) / len(members),
                "high_quality_share": sum(m["qualified"] for m in members) / len(members),
                "conversions": len(won),
                "conversion_rate": len(won) / len(members),
                "revenue": revenue,
                "roi": _ratio(revenue - cost, cost),
            }
        )
    regions = [
        {
            "region": region,
            "leads": len(members),
            "average_score": sum(m["score"] for m in members) / len(members),
            "high_quality_share": sum(m["qualified"] for m in members) / len(members),
            "conversions": sum(m["conversion_status"] == "converted" for m in members),
            "conversion_rate": sum(m["conversion_status"] == "converted" for m in members) / len(members),
        }
        for region, members in by_region.items()
    ]
    histogram = [
        {
            "lower": float(lo),
            "upper": float(lo + bin_width),
            "leads": sum(lo <= _bin(lead["score"]) < lo + bin_width for lead in leads),
            "conversions": sum(lo <= _bin(lead["score"]) < lo + bin_width and lead["conversion_status"] == "converted" for lead in leads),
        }
        for lo in range(0, 100, bin_width)
    ]
    return {
        "score_distribution": histogram,
        "funnel": funnel,
        "score_bands": bands,
        "trends": trends,
        "top_sources": sorted(sources, key=lambda s: (-s["average_score"], s["source"])),
        "geography": sorted(regions, key=lambda r: (-r["leads"], r["region"])),
    }


def same(actual: Any, expected: Any) -> None:
    """Equal, numbers within float rounding."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) >= set(expected), (actual, expected)
        for k, v in expected.items():
            same(actual[k], v)
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected, strict=True):
            same(a, e)
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9), (actual, expected)
    else:
        assert actual == expected, (actual, expected)


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def scan_leads(client_id: str, start: date, end: date, **only: Any) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(LEADS.local_name)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"FilterExpression": Attr("client_id").eq(client_id)}
    while True:
        page = table.scan(**kwargs)
        items.extend(plain(i) for i in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    inside = [i for i in items if start.isoformat() <= i["created_at"][:10] <= end.isoformat()]
    return [i for i in inside if all(i.get(k) == v for k, v in only.items())]


def stored_aggregates(client_id: str) -> dict[tuple[str, str], dict[str, Decimal]]:
    """Every counter item of the tenant (markers left out), zeros dropped."""
    table = boto3.resource("dynamodb").Table(AGGREGATES.local_name)
    found: dict[tuple[str, str], dict[str, Decimal]] = {}
    kwargs: dict[str, Any] = {"FilterExpression": Attr("series").begins_with(f"{client_id}|") & Attr("bucket").ne("applied")}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            counters = {k: v for k, v in counters_of(item).items() if v != 0}
            if counters:
                found[(str(item["series"]), str(item["bucket"]))] = counters
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def recomputed_aggregates(client_id: str) -> dict[tuple[str, str], dict[str, Decimal]]:
    """The aggregates from scratch: every stored lead inserted once into empty counters."""
    table = boto3.resource("dynamodb").Table(LEADS.local_name)
    total: dict[tuple[str, str], dict[str, Decimal]] = {}
    kwargs: dict[str, Any] = {"FilterExpression": Attr("client_id").eq(client_id)}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            for key, counters in lead_delta(None, item).items():
                into = total.setdefault(key, {})
                for name, value in counters.items():
                    into[name] = into.get(name, Decimal(0)) + value
        if "LastEvaluatedKey" not in page:
            return {k: {n: v for n, v in c.items() if v != 0} for k, c in total.items()}
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- fixtures ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def costed(make_tenant: Callable[..., Tenant], api: Api) -> Tenant:
    tenant = make_tenant("analytics")
    reply = api.put("/config", tenant.admin, body={"thresholds": THRESHOLDS, "currency": "EUR", "cost_per_lead": COSTS})
    assert reply.status == 200, reply.body
    assert reply.body["currency"] == "EUR" and reply.body["cost_per_lead"] == COSTS
    return tenant


def _backdate(client_id: str, lead_id: str, created: datetime) -> None:
    boto3.resource("dynamodb").Table(LEADS.local_name).update_item(
        Key=lead_item_key(client_id, lead_id),
        UpdateExpression="SET created_at = :c",
        ExpressionAttributeValues={":c": created.isoformat()},
    )


# --- THE test ------------------------------------------------------------------------------------------------------


def test_aggregates_stay_exact_through_a_random_mix_and_redeliveries(
    api: Api, costed: Tenant, stream: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20261126)
    delivered: list[list[dict[str, Any]]] = []  # every batch the aggregator is handed, as Lambda hands it
    handler = stream._handler

    def recording(event: dict[str, Any], context: Any) -> Any:
        delivered.append(list(event["Records"]))
        return handler(event, context)

    monkeypatch.setattr(stream, "_handler", recording)
    today = datetime.now(UTC).date()
    demo = generate(60, seed=5)
    ids: list[str] = []
    emails: list[str] = []
    for n, d in enumerate(demo):
        body = {**d.lead, "email": f"mix{n}.{costed.client_id}@example.com", "external_id": None}
        reply = api.post("/score", costed.integration, body=body)
        assert reply.status == 200, reply.body
        ids.append(reply.body["id"])
        emails.append(body["email"])
        if rng.random() < 0.7:  # spread over three weeks: each move shifts the lead between days
            _backdate(costed.client_id, reply.body["id"], datetime.now(UTC) - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23)))
        if n % 20 == 19:
            stream.drain()  # some records delivered mid-way, as Lambda would
    # Re-scores: other attributes and another source, so score, grade, source and series all move.
    for n in rng.sample(range(len(demo)), 15):
        other = demo[(n + 7) % len(demo)].lead
        body = {**other, "email": emails[n], "external_id": None, "source": rng.choice(["webinar", "referral", "partner"])}
        assert api.post("/score", costed.integration, body=body).status == 200
    # Conversions, allowed and refused.
    for lead_id in ids:
        for target in rng.sample(["contacted", "qualified", "converted", "lost"], rng.randint(0, 3)):
            conversion: dict[str, Any] = {"conversion_status": target}
            if target == "converted" and rng.random() < 0.8:
                conversion["revenue"] = round(rng.uniform(100, 5000), 2)
            assert api.post(f"/leads/{lead_id}/conversion", costed.integration, body=conversion).status in (200, 409)
    # A delete (a REMOVE record) and a lead with no country.
    boto3.resource("dynamodb").Table(LEADS.local_name).delete_item(Key=lead_item_key(costed.client_id, ids[0]))
    assert stream.drain() > 0

    recomputed = recomputed_aggregates(costed.client_id)
    assert stored_aggregates(costed.client_id) == recomputed

    # Redelivery as Lambda makes it (no bisection): a batch again from its first record, as after a crash once its
    # writes were in, as it was or reading on into the next batch's records. Nothing changes.
    from local_stack.lambda_context import LocalLambdaContext

    batches = list(delivered)
    for n, batch in enumerate(batches):
        again = batch if n % 2 else batch + (batches[n + 1] if n + 1 < len(batches) else [])
        assert handler({"Records": again[:1000]}, LocalLambdaContext("aggregator")) == {"batchItemFailures": []}
    assert sum(len(b) for b in batches) > 100
    assert stored_aggregates(costed.client_id) == recomputed

    # The endpoints equal the naive figures computed from a scan of the leads.
    start_day, end_day = today - timedelta(days=24), today
    query = {"from": start_day.isoformat(), "to": end_day.isoformat(), "granularity": "week"}
    leads = scan_leads(costed.client_id, start_day, end_day)
    assert len(leads) == len(demo) - 1
    performance = api.get("/performance", costed.analyst, query=query)
    assert performance.status == 200, performance.body
    same(performance.body["totals"], naive_metrics(leads))
    assert performance.body["currency"] == "EUR" and performance.body["qualified_threshold"] == 50.0
    assert sum(p["metrics"]["lead_volume"] for p in performance.body["series"]) == len(leads)
    analytics = api.get("/analytics", costed.admin, query={**query, "bin_width": "5"})
    assert analytics.status == 200, analytics.body
    same(analytics.body, naive_analytics(leads, start_day, end_day, 5))

    # Filtered by source and by model version: the same figures over the matching leads only.
    for filters, only in (
        ({"source": "webinar"}, {"source": "webinar"}),
        ({"model_id": MODEL_ID, "model_version": "1"}, {"model_version": "1"}),
    ):
        reply = api.get("/performance", costed.analyst, query={**query, **filters})
        assert reply.status == 200, reply.body
        same(reply.body["totals"], naive_metrics(scan_leads(costed.client_id, start_day, end_day, **only)))


# --- known leads ---------------------------------------------------------------------------------------------------


def test_figures_for_a_known_set_of_leads(api: Api, make_tenant: Callable[..., Tenant], stream: Any) -> None:
    tenant = make_tenant("known")
    assert api.put("/config", tenant.admin, body={"cost_per_lead": {"default": 10.0}}).status == 200
    scored = []
    for n, d in enumerate(generate(4, seed=17)):
        reply = api.post("/score", tenant.integration, body={**d.lead, "email": f"k{n}.{tenant.client_id}@example.com"})
        assert reply.status == 200
        scored.append(reply.body)
    assert (
        api.post(f"/leads/{scored[0]['id']}/conversion", tenant.integration, body={"conversion_status": "converted", "revenue": 100}).status
        == 200
    )
    assert api.post(f"/leads/{scored[1]['id']}/conversion", tenant.integration, body={"conversion_status": "lost"}).status == 200
    stream.drain()
    reply = api.get("/performance", tenant.analyst)
    assert reply.status == 200
    totals = reply.body["totals"]
    assert (totals["lead_volume"], totals["conversions"], totals["revenue"], totals["cost"]) == (4, 1, 100.0, 40.0)
    assert totals["conversion_rate"] == 0.25 and totals["roi"] == pytest.approx((100 - 40) / 40) and totals["cost_per_conversion"] == 40.0
    assert totals["average_score"] == pytest.approx(sum(s["score"] for s in scored) / 4)
    expected_auc = (
        1.0 if int(scored[0]["score"]) > int(scored[1]["score"]) else 0.5 if int(scored[0]["score"]) == int(scored[1]["score"]) else 0.0
    )
    assert totals["score_accuracy"] == {
        "roc_auc": expected_auc,
        "precision": None
        if not scored[0]["qualified"] and not scored[1]["qualified"]
        else (1.0 if scored[0]["qualified"] else 0.0) / (scored[0]["qualified"] + scored[1]["qualified"]),
        "recall": 1.0 if scored[0]["qualified"] else 0.0,
        "based_on": 2,
        "converted": 1,
        "lost": 1,
    }
    # Default period: the last 30 days to today, by day.
    period = reply.body["period"]
    assert period["to"] == datetime.now(UTC).date().isoformat() and period["granularity"] == "day" and len(reply.body["series"]) == 30
    assert reply.body["series"][-1]["metrics"]["lead_volume"] == 4
    analytics = api.get("/analytics", tenant.analyst).body
    assert [b["leads"] for b in analytics["score_distribution"]] == [
        sum(10 * i <= min(int(s["score"]), 99) < 10 * (i + 1) for s in scored) for i in range(10)
    ]
    assert [(f["stage"], f["leads"]) for f in analytics["funnel"]] == [
        ("new", 4),
        ("contacted", 1),
        ("qualified", 1),
        ("converted", 1),
        ("lost", 1),
    ]
    # An empty tenant: zeros and nulls, never an error.
    empty = make_tenant("empty")
    nothing = api.get("/performance", empty.analyst)
    assert nothing.status == 200 and nothing.body["totals"]["lead_volume"] == 0 and nothing.body["totals"]["average_score"] is None


# --- bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/performance", "/analytics"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "to"),
        ({"from": "March"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"granularity": "hour"}, "granularity"),
        ({"model_id": "not-ours"}, "model_id"),
        ({"model_version": "1"}, "model_id"),
        ({"model_id": MODEL_ID, "model_version": "99"}, "model_version"),
        ({"source": ""}, "source"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_parameter(api: Api, tenant: Tenant, path: str, query: dict[str, str], field: str) -> None:
    error = assert_error(api.get(path, tenant.analyst, query=query), 422)
    assert field in [d["field"] for d in error["details"]], error


@pytest.mark.parametrize("bin_width", ["0", "-5", "3", "7.5", "101", "wide"])
def test_bad_bin_widths(api: Api, tenant: Tenant, bin_width: str) -> None:
    error = assert_error(api.get("/analytics", tenant.analyst, query={"bin_width": bin_width}), 422)
    assert [d["field"] for d in error["details"]] == ["bin_width"]


def test_another_tenants_model_is_refused(api: Api, tenant: Tenant, other_tenant: Tenant, make_tenant: Callable[..., Tenant]) -> None:
    modelless = make_tenant("nomodel", with_model=False)
    error = assert_error(api.get("/performance", modelless.analyst, query={"model_id": MODEL_ID}), 422)
    assert error["details"][0]["field"] == "model_id"
    assert api.get("/performance", tenant.analyst, query={"model_id": MODEL_ID}).status == 200


def test_readers_only(api: Api, tenant: Tenant) -> None:
    for path in ("/performance", "/analytics"):
        assert_error(api.get(path, tenant.integration), 403, "FORBIDDEN")
        assert api.get(path, tenant.admin).status == 200
        assert api.get(path, tenant.analyst).status == 200


def test_cost_configuration_is_validated_and_audited(api: Api, make_tenant: Callable[..., Tenant], tables: Tables) -> None:
    tenant = make_tenant("costs")
    for body, field in (
        ({"currency": "euro"}, "currency"),
        ({"cost_per_lead": {"default": -1}}, "cost_per_lead.default"),
        ({"cost_per_lead": {"by_source": {"web": "free"}}}, "cost_per_lead.by_source.web"),
        ({}, "body"),
    ):
        error = assert_error(api.put("/config", tenant.admin, body=body), 422)
        assert field in [d["field"] for d in error["details"]], error
    assert api.put("/config", tenant.admin, body={"currency": "GBP"}).status == 200
    config = api.get("/config", tenant.analyst).body
    assert config["currency"] == "GBP" and config["cost_per_lead"] == {"default": 0.0, "by_source": {}}
    changes = api.get("/audit/events", tenant.admin, query={"type": "config_change"}).body["items"]
    assert any(c["details"]["after"]["currency"] == "GBP" and c["details"]["before"]["currency"] == "USD" for c in changes)
