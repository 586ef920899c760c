"""Analytics speed: GET /performance and GET /analytics cost O(days), not O(leads).

On the local stack (a moto server in this process, the real tables from the resource spec), two tenants share
the leads table: one with 1,000 leads and one with 100,000 (ANALYTICS_BENCH_LEADS overrides the larger size),
created over the last 90 days in time order, from seven sources and ten countries, with outcomes
(contacted, qualified, converted with revenue, lost). Leads are written with BatchWriteItem and the leads
stream is delivered to the real aggregator handler by the local stream poller, in Lambda-sized batches.

Timed, per tenant, in interleaved rounds so machine noise falls on every path alike:
- the real analytics handler (functions/analytics `lambda_handler`, a REST proxy event built by the local
  gateway's own code, as its authorizer allowed it) for GET /performance and GET /analytics over 90 days by week;
- the same figures computed naively: a Query of every lead of the tenant, then the figures from the leads
  (one run at the large size: it takes minutes on moto).
The naive result is checked to equal the endpoint's, so both compute the same thing.

Target (the issue's): p50 at 100,000 leads / p50 at 1,000 leads < 2 for both endpoints. moto is not DynamoDB:
these are the local stack's figures; on AWS a read is a Query of ~90 small items either way.
"""

from __future__ import annotations

import functools
import json
import os
import random
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from benchmarks.stdout_redirect import stdout_discarded

SMALL = 1_000
LARGE = int(os.environ.get("ANALYTICS_BENCH_LEADS", "100000"))
DAYS = 90
ROUNDS = 15
NAIVE_ROUNDS_LARGE = 1  # a naive read of 100,000 leads from moto takes minutes
SOURCES = ("organic_search", "paid_search", "referral", "webinar", "social", "trade_show", "partner")
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "CA", "NL")
TARGET_RATIO = 2.0


def _lead_items(client_id: str, count: int, seed: int, today: date) -> Iterator[dict[str, Any]]:
    """Stored leads as the score function writes them (minus PII-free extras), oldest first."""
    from leadscoring.data.keys import lead_item_key

    rng = random.Random(seed)
    start = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    span = timedelta(days=DAYS) - timedelta(seconds=1)
    for n in range(count):
        created = start + span * (n / count)
        score = round(min(100.0, max(0.0, rng.gauss(45, 20))), 2)
        grade = "A" if score >= 75 else "B" if score >= 50 else "C" if score >= 25 else "D"
        status = rng.choices(["new", "contacted", "qualified", "converted", "lost"], [3, 2, 2, 2, 3])[0]
        item: dict[str, Any] = {
            **lead_item_key(client_id, f"{client_id}-{n:07d}"),
            "client_id": client_id,
            "email": f"lead{n}@example.com",
            "name": "Bench Lead",
            "source": rng.choice(SOURCES),
            "score": Decimal(str(score)),
            "score_confidence": Decimal("0.8"),
            "qualified": score >= 50,
            "grade": grade,
            "priority": "high" if grade == "A" else "medium" if grade in "BC" else "low",
            "conversion_status": status,
            "created_at": created.isoformat(),
            "updated_at": created.isoformat(),
            "scored_at": created.isoformat(),
            "model_id": "baseline",
            "model_version": "1",
            "attributes": {"demographic": {"country": rng.choice(COUNTRIES)}, "behavioral": {}, "firmographic": {}, "engagement": {}},
        }
        if status == "converted":
            item["revenue"] = Decimal(str(round(rng.lognormvariate(8.5, 0.6), 2)))
        yield item


def _write(items: Iterator[dict[str, Any]]) -> int:
    import boto3

    from leadscoring.resources import LEADS

    written = 0
    with boto3.resource("dynamodb").Table(LEADS.local_name).batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
            written += 1
    return written


def _event(client_id: str, path: str, query: dict[str, str]) -> dict[str, Any]:
    from leadscoring import API_PREFIX
    from leadscoring.routes import Role
    from local_stack.gateway import LocalGateway

    full = f"{API_PREFIX}{path}"
    request = Request(EnvironBuilder(method="GET", path=full, query_string=urlencode(query)).get_environ())
    decision = {"principalId": "bench-key", "context": {"client_id": client_id, "role": Role.ANALYST.value, "key_id": "bench-key"}}
    return LocalGateway._proxy_event(request, full, {}, b"", decision)


def _naive(client_id: str, start: date, end: date, bin_width: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every lead of the tenant read, then the figures from them."""
    import boto3
    from boto3.dynamodb.conditions import Key

    from leadscoring.data.keys import shards
    from leadscoring.domain import analytics as figures
    from leadscoring.domain.aggregation import add_into, lead_counters
    from leadscoring.resources import LEADS
    from leadscoring.services import wiring

    table = boto3.resource("dynamodb").Table(LEADS.local_name)
    days: dict[date, dict[str, Decimal]] = {}
    for shard in shards(client_id):
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("shard").eq(shard)}
        while True:
            page = table.query(**kwargs)
            for item in page["Items"]:
                day = date.fromisoformat(str(item["created_at"])[:10])
                if start <= day <= end:
                    add_into(days.setdefault(day, {}), lead_counters(item))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    config = wiring.config_repository().get_config(client_id)
    total = figures.total(days.values())
    points = figures.by_period(days, start, end, "week")
    performance = figures.performance(total, config.cost_per_lead).model_dump(mode="json")
    analytics = {
        "score_distribution": [b.model_dump(mode="json") for b in figures.histogram(total, bin_width)],
        "funnel": [s.model_dump(mode="json") for s in figures.funnel(total)],
        "trends": [t.model_dump(mode="json") for t in figures.trend(points)],
        "top_sources": [s.model_dump(mode="json") for s in figures.source_stats(total, config.cost_per_lead)],
        "geography": [r.model_dump(mode="json") for r in figures.region_stats(total)],
    }
    return performance, analytics


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    return bool(a == b)


def run() -> dict[str, Any]:
    from local_stack.gateway import load_function
    from local_stack.lambda_context import LocalLambdaContext
    from local_stack.moto_stack import moto_stack
    from local_stack.streams import leads_stream_poller

    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=DAYS - 1), today
    query = {"from": start.isoformat(), "to": end.isoformat(), "granularity": "week"}
    tenants = {SMALL: "bench-1k", LARGE: "bench-large"}
    result: dict[str, Any] = {"leads": {str(n): c for n, c in tenants.items()}, "period_days": DAYS, "rounds": ROUNDS}
    quiet = {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    with moto_stack(quiet), stdout_discarded(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        stream = leads_stream_poller()
        seeding: dict[str, Any] = {}
        for count, client_id in tenants.items():
            seconds_write, written = _timed(functools.partial(_write, _lead_items(client_id, count, seed=count, today=today)))
            seconds_aggregate, delivered = _timed(stream.drain)
            seeding[str(count)] = {
                "leads_written": written,
                "write_seconds": round(seconds_write / 1000, 1),
                "stream_records_aggregated": delivered,
                "aggregate_seconds": round(seconds_aggregate / 1000, 1),
            }
        result["seeding"] = seeding

        handler = load_function("analytics").lambda_handler
        context = LocalLambdaContext("analytics")
        calls: dict[tuple[str, int], Callable[[], Any]] = {}

        def endpoint(client_id: str, path: str, params: dict[str, str]) -> Any:
            return json.loads(handler(_event(client_id, path, params), context)["body"])

        for count, client_id in tenants.items():
            calls[("performance", count)] = functools.partial(endpoint, client_id, "/performance", query)
            calls[("analytics", count)] = functools.partial(endpoint, client_id, "/analytics", {**query, "bin_width": "10"})
            calls[("naive", count)] = functools.partial(_naive, client_id, start, end, 10)
        # Equal figures: the endpoints and the naive computation agree for each tenant.
        agree = {}
        times: dict[tuple[str, int], list[float]] = {key: [] for key in calls}
        for count in tenants:
            perf, ana = calls[("performance", count)](), calls[("analytics", count)]()
            elapsed, (naive_perf, naive_ana) = _timed(calls[("naive", count)])
            times[("naive", count)].append(elapsed)  # at the large size this one run is the naive sample
            agree[str(count)] = _close(perf["totals"], naive_perf) and all(_close(ana[k], v) for k, v in naive_ana.items())
            assert perf["totals"]["lead_volume"] == count, perf["totals"]
        result["endpoints_equal_naive"] = agree

        for round_ in range(ROUNDS):
            for key, call in calls.items():
                if key == ("naive", LARGE) and round_ + 1 >= NAIVE_ROUNDS_LARGE:
                    continue
                times[key].append(_timed(call)[0])

    def p50(kind: str, count: int) -> float:
        return round(statistics.median(times[(kind, count)]), 2)

    figures: dict[str, Any] = {}
    for kind in ("performance", "analytics", "naive"):
        small, large = p50(kind, SMALL), p50(kind, LARGE)
        figures[kind] = {
            f"p50_ms_{SMALL}": small,
            f"p50_ms_{LARGE}": large,
            "ratio": round(large / small, 2),
            "samples": len(times[(kind, LARGE)]),
        }
    figures["naive"]["what"] = "Query every lead of the tenant, then the same figures (reference)"
    result["latency"] = figures
    result["target"] = f"p50 ratio {LARGE:,} / {SMALL:,} leads < {TARGET_RATIO} for GET /performance and GET /analytics"
    result["meets_target"] = (
        figures["performance"]["ratio"] < TARGET_RATIO
        and figures["analytics"]["ratio"] < TARGET_RATIO
        and all(result["endpoints_equal_naive"].values())
    )
    return result
