"""Each function logs and publishes metrics as its own service (its name, as CDK sets POWERTOOLS_SERVICE_NAME),
and a request that records no metric publishes nothing and raises no warning."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator

import pytest

from leadscoring.routes import FUNCTIONS

from .conftest import Tenant
from .support import Api, assert_error, lead_body

SERVICES = sorted({*FUNCTIONS, "authorizer"})


@pytest.fixture
def function_logs(gateway: object) -> Iterator[io.StringIO]:
    """What the functions' Powertools loggers (one per service) write while the test runs."""
    buffer = io.StringIO()
    swapped = []
    for service in SERVICES:
        for handler in logging.getLogger(service).handlers:
            if isinstance(handler, logging.StreamHandler):
                swapped.append((handler, handler.setStream(buffer)))
    assert swapped, "no function logger found"
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_each_function_logs_as_its_own_service(api: Api, tenant: Tenant, function_logs: io.StringIO) -> None:
    assert_error(api.get("/leads", "lsk_not_a_key"), 401)
    refused = [r for r in _json_lines(function_logs.getvalue()) if r.get("message") == "Request refused"]
    assert refused and {r["service"] for r in refused} == {"authorizer"}
    assert all(r["function_name"] == "authorizer" for r in refused)


def test_scoring_publishes_its_metrics_under_the_score_service(
    api: Api, tenant: Tenant, unique: str, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    assert api.post("/score", tenant.integration, body=lead_body(f"telemetry.{unique}@example.com")).status == 200
    published = [line for line in _json_lines(capfd.readouterr().out) if "_aws" in line]
    assert len(published) == 1, published
    assert published[0]["service"] == "score"
    assert published[0]["LeadsScored"] == [1.0]
    assert ["service"] in published[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"]  # type: ignore[index]


def test_a_request_that_records_no_metric_publishes_nothing_and_does_not_warn(
    api: Api, tenant: Tenant, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every warning, however often it was shown before
        assert api.get("/leads", tenant.analyst).status == 200
        assert api.get("/models", tenant.analyst).status == 200
        assert api.get("/config", tenant.analyst).status == 200
    assert [str(w.message) for w in caught if "metrics" in str(w.message)] == []
    assert [line for line in _json_lines(capfd.readouterr().out) if "_aws" in line] == []
