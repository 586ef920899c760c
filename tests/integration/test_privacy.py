"""Nothing personal reaches the logs: not the lead's email, name or phone, and not the caller's API key."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leadscoring.routes import FUNCTIONS

from .conftest import Tenant
from .support import Api, assert_error


@pytest.fixture
def everything_logged(gateway: object, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    """All the process writes while the test runs: stream handlers (Powertools' JSON logger is one), stdout and
    stderr (EMF metrics are printed), and every log record at INFO or above (DEBUG for the functions' logger)."""
    buffer = io.StringIO()
    swapped: list[tuple[logging.StreamHandler[Any], object]] = []
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    for lg in loggers:
        for handler in lg.handlers:
            if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest"):
                swapped.append((handler, handler.setStream(buffer)))
    # Each function logs as its own service (its name): every one of them at DEBUG.
    services = [logging.getLogger(name) for name in sorted({*FUNCTIONS, "authorizer"})]
    levels = [service.level for service in services]
    for service in services:
        service.setLevel(logging.DEBUG)
    caplog.set_level(logging.INFO)
    try:
        yield lambda: buffer.getvalue() + "\n".join(capfd.readouterr()) + "\n" + caplog.text
    finally:
        for service, level in zip(services, levels, strict=True):
            service.setLevel(level)
        for handler, stream in swapped:
            handler.setStream(stream)


def test_scoring_listing_and_refusing_leads_logs_no_pii(
    api: Api, tenant: Tenant, unique: str, everything_logged: Callable[[], str]
) -> None:
    email = f"zelda.sentinel.{unique}@pii-canary.example"
    name = f"Zelda Quixotic-Sentinel {unique}"
    phone = "+44 7700 900 461"
    company = f"Canary{unique} Holdings"
    lead = {"email": email, "name": name, "phone": phone, "company": company, "source": "webinar"}

    scored = api.post("/score", tenant.integration, body=lead)
    assert scored.status == 200
    assert api.post("/score", tenant.integration, body={**lead, "attributes": {"behavioral": {"page_views": 4}}}).status == 200
    lead_id = scored.body["id"]
    assert api.get(f"/leads/{lead_id}", tenant.analyst).body["email"] == email
    assert any(i["id"] == lead_id for i in api.get("/leads", tenant.analyst, query={"limit": 100}).body["items"])
    assert api.get("/leads", tenant.analyst, query={"source": name}).status == 200
    assert api.get("/audit/events", tenant.analyst, query={"lead_id": lead_id}).status == 200

    refusals = [
        {**lead, "phone": f"call {phone} after five"},
        {**lead, "email": email.replace("@", " at ")},
        {**lead, "name": name * 20},
        {**lead, "nickname": name},
        {**lead, "attributes": {"demographic": {"country": name}}},
        {**lead, "attributes": {"behavioral": {"page_views": -1}}},
        {**lead, "score": 99},
    ]
    for body in refusals:
        assert_error(api.post("/score", tenant.integration, body=body), 422)
    batch = api.post("/batch-score", tenant.integration, body={"leads": [lead, {**lead, "email": name}, {**lead, "phone": "x"}]})
    assert batch.status == 200 and batch.body["summary"]["invalid"] == 2
    redelivered = api.post("/score", tenant.integration, body=lead, headers={"Idempotency-Key": f"privacy-{unique}"})
    assert redelivered.status == 200
    assert_error(api.post("/score", tenant.integration, raw=f'{{"email": "{email}", "name": "{name}", '), 400)
    assert_error(
        api.post("/score", tenant.integration, raw=f'{{"email": "{email}", "name": "{name}", "pad": "' + "x" * 1_100_000 + '"}'), 413
    )

    logged = everything_logged()
    # The capture is real: it holds the gateway's access log and the scoring metrics.
    assert "POST /api/v1/leadscoring/score 200" in logged
    assert "LeadsScored" in logged
    digits = "".join(c for c in phone if c.isdigit())
    for secret in (
        email,
        email.lower(),
        email.split("@")[0],
        "pii-canary",
        name,
        f"Sentinel {unique}",
        phone,
        digits,
        phone.replace(" ", ""),
        company,
    ):
        assert secret not in logged, f"{secret!r} was logged"


def test_the_authorizer_never_logs_an_api_key(api: Api, tenant: Tenant, unique: str, everything_logged: Callable[[], str]) -> None:
    unknown = f"lsk_canary_{unique}_not_a_real_key"
    assert_error(api.get("/leads", unknown), 401)
    assert_error(api.get("/leads", headers={"X-Api-Key": unknown + "2"}), 401)
    assert_error(api.post("/score", tenant.analyst, body={}), 403)
    assert api.get("/leads", tenant.admin).status == 200
    assert api.get("/models", tenant.analyst).status == 200

    logged = everything_logged()
    assert "Request refused" in logged  # the authorizer's own log line was captured
    for key in (unknown, tenant.admin, tenant.analyst):
        assert key not in logged, "an API key was logged"
        assert key[4:] not in logged
