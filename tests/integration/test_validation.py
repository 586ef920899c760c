"""Bad input is refused with the right status and field, and refused input writes nothing at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Tenant
from .support import Api, Tables, assert_error, error_fields, lead_body

EMAIL = "validation.case@example.com"


def _with(**changes: Any) -> str:
    return json.dumps({**lead_body(EMAIL), **changes})


def _attrs(**families: Any) -> str:  # anything: some cases send a family that is not an object
    return _with(attributes=families)


def _without(*fields: str) -> str:
    return json.dumps({k: v for k, v in lead_body(EMAIL).items() if k not in fields})


# (raw body, status, code, fields the error must name)
BAD_LEADS: dict[str, tuple[str, int, str, set[str]]] = {
    "malformed-json": ('{"email": "a@example.com", "name": ', 400, "MALFORMED_REQUEST", {"body"}),
    "not-json-at-all": ("email=a@example.com&name=A", 400, "MALFORMED_REQUEST", {"body"}),
    "empty-body": ("", 422, "VALIDATION_ERROR", {"body"}),
    "json-array": ("[]", 422, "VALIDATION_ERROR", {"body"}),
    "json-null": ("null", 422, "VALIDATION_ERROR", {"body"}),
    "name-not-a-string": (_with(name=123), 422, "VALIDATION_ERROR", {"name"}),
    "email-not-a-string": (_with(email=["a@example.com"]), 422, "VALIDATION_ERROR", {"email"}),
    "source-not-a-string": (_with(source={"a": 1}), 422, "VALIDATION_ERROR", {"source"}),
    "attributes-not-an-object": (_with(attributes="lots"), 422, "VALIDATION_ERROR", {"attributes"}),
    "family-not-an-object": (_attrs(behavioral=[1, 2]), 422, "VALIDATION_ERROR", {"attributes.behavioral"}),
    "missing-email": (_without("email"), 422, "VALIDATION_ERROR", {"email"}),
    "missing-everything": ("{}", 422, "VALIDATION_ERROR", {"email", "name", "source"}),
    "invalid-email": (_with(email="not-an-email"), 422, "VALIDATION_ERROR", {"email"}),
    "email-without-domain-dot": (_with(email="someone@localhost"), 422, "VALIDATION_ERROR", {"email"}),
    "invalid-phone": (_with(phone="call me maybe"), 422, "VALIDATION_ERROR", {"phone"}),
    "empty-name": (_with(name=""), 422, "VALIDATION_ERROR", {"name"}),
    "blank-name": (_with(name="   "), 422, "VALIDATION_ERROR", {"name"}),
    "name-too-long": (_with(name="n" * 201), 422, "VALIDATION_ERROR", {"name"}),
    "unknown-top-level-field": (_with(favourite_colour="teal"), 422, "VALIDATION_ERROR", {"favourite_colour"}),
    "unknown-family": (_attrs(psychographic={"mood": "good"}), 422, "VALIDATION_ERROR", {"attributes.psychographic"}),
    "unknown-attribute": (_attrs(behavioral={"unicorns_seen": 3}), 422, "VALIDATION_ERROR", {"attributes.behavioral.unicorns_seen"}),
    "attribute-in-wrong-family": (_attrs(demographic={"page_views": 3}), 422, "VALIDATION_ERROR", {"attributes.demographic.page_views"}),
    "attribute-name-pattern": (_attrs(behavioral={"Page-Views": 3}), 422, "VALIDATION_ERROR", {"attributes.behavioral.Page-Views.[key]"}),
    "numeric-attribute-as-string": (
        _attrs(behavioral={"page_views": "many"}),
        422,
        "VALIDATION_ERROR",
        {"attributes.behavioral.page_views"},
    ),
    "boolean-attribute-as-number": (
        _attrs(firmographic={"uses_marketing_automation": 1}),
        422,
        "VALIDATION_ERROR",
        {"attributes.firmographic.uses_marketing_automation"},
    ),
    "categorical-attribute-as-number": (_attrs(demographic={"industry": 7}), 422, "VALIDATION_ERROR", {"attributes.demographic.industry"}),
    "attribute-string-too-long": (
        _attrs(demographic={"industry": "x" * 501}),
        422,
        "VALIDATION_ERROR",
        {"attributes.demographic.industry"},
    ),
    "attribute-as-list": (_attrs(demographic={"industry": ["software"]}), 422, "VALIDATION_ERROR", {"attributes.demographic.industry"}),
    "attribute-not-finite": (
        '{"email": "a@example.com", "name": "A", "source": "web", "attributes": {"behavioral": {"page_views": NaN}}}',
        422,
        "VALIDATION_ERROR",
        {"attributes.behavioral.page_views"},
    ),
    "rule-min": (_attrs(behavioral={"page_views": -1}), 422, "VALIDATION_ERROR", {"attributes.behavioral.page_views"}),
    "rule-max": (_attrs(behavioral={"email_open_rate": 1.5}), 422, "VALIDATION_ERROR", {"attributes.behavioral.email_open_rate"}),
    "rule-allowed-values": (_attrs(demographic={"industry": "aerospace"}), 422, "VALIDATION_ERROR", {"attributes.demographic.industry"}),
    "rule-pattern": (_attrs(demographic={"country": "usa"}), 422, "VALIDATION_ERROR", {"attributes.demographic.country"}),
    "every-rule-at-once": (
        _attrs(behavioral={"page_views": -1, "email_open_rate": 1.5}, demographic={"industry": "aerospace", "country": "usa"}),
        422,
        "VALIDATION_ERROR",
        {
            "attributes.behavioral.page_views",
            "attributes.behavioral.email_open_rate",
            "attributes.demographic.industry",
            "attributes.demographic.country",
        },
    ),
}

SERVER_OWNED = {
    "id": "00000000-0000-0000-0000-000000000000",
    "client_id": "someone-else",
    "score": 99.0,
    "score_confidence": 1.0,
    "qualified": True,
    "conversion_status": "converted",
    "created_at": "2020-01-01T00:00:00Z",
    "scored_at": "2020-01-01T00:00:00Z",
    "model_id": "mine",
    "model_version": "42",
}


@pytest.fixture
def nothing_written(tables: Tables) -> Iterator[None]:
    """Counts every item in the leads and audit tables before and after the test: they must not move."""
    before = tables.counts()
    yield
    assert tables.counts() == before, "a refused request wrote to the leads or audit table"


@pytest.mark.parametrize("case", sorted(BAD_LEADS))
def test_bad_leads_are_refused_and_nothing_is_written(api: Api, tenant: Tenant, nothing_written: None, case: str) -> None:
    raw, status, code, fields = BAD_LEADS[case]
    reply = api.post("/score", tenant.integration, raw=raw)
    assert_error(reply, status, code)
    assert all(_names(reply, field) for field in fields), reply.body


def _names(reply: Any, field: str) -> bool:
    """Some detail is about `field` (or a part of it, such as a dict key)."""
    return any(f == field or f.startswith(field + ".") for f in error_fields(reply) if f)


@pytest.mark.parametrize("value", [["software"], {"name": "software"}, "x" * 501], ids=["list", "object", "string-over-500"])
def test_a_badly_typed_attribute_is_one_error_naming_the_attribute(api: Api, tenant: Tenant, nothing_written: None, value: Any) -> None:
    reply = api.post("/score", tenant.integration, raw=_attrs(demographic={"industry": value}))
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert [d["field"] for d in reply.body["error"]["details"]] == ["attributes.demographic.industry"]


@pytest.mark.parametrize("field", sorted(SERVER_OWNED))
def test_server_owned_fields_are_refused(api: Api, tenant: Tenant, nothing_written: None, field: str) -> None:
    reply = api.post("/score", tenant.integration, body={**lead_body(EMAIL), field: SERVER_OWNED[field]})
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert field in error_fields(reply)


def test_bodies_over_one_megabyte_are_413(api: Api, tenant: Tenant, nothing_written: None) -> None:
    limit = 1_048_576
    padded = json.dumps({**lead_body(EMAIL), "padding": ""})
    at_limit = padded.replace('"padding": ""', '"padding": "' + "x" * (limit - len(padded)) + '"')
    assert len(at_limit.encode()) == limit

    # At the limit the body is read (and refused for its unknown field); one byte more and it is not read at all.
    assert_error(api.post("/score", tenant.integration, raw=at_limit), 422, "VALIDATION_ERROR")
    over = at_limit.replace('"padding": "', '"padding": "x', 1)
    assert_error(api.post("/score", tenant.integration, raw=over), 413, "PAYLOAD_TOO_LARGE")
    assert_error(api.post("/score", tenant.integration, raw="x" * (3 * limit)), 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/leads", {"limit": "0"}, "limit"),
        ("/leads", {"limit": "101"}, "limit"),
        ("/leads", {"limit": "ten"}, "limit"),
        ("/leads", {"min_score": "200"}, "min_score"),
        ("/leads", {"min_score": "-1"}, "min_score"),
        ("/leads", {"max_score": "100.5"}, "max_score"),
        ("/leads", {"min_score": "high"}, "min_score"),
        ("/leads", {"min_score": "80", "max_score": "20"}, "min_score"),
        ("/leads", {"qualified": "maybe"}, "qualified"),
        ("/leads", {"conversion_status": "won"}, "conversion_status"),
        ("/leads", {"cursor": "c" * 4097}, "cursor"),
        ("/leads/" + "i" * 101, None, "id"),
        ("/audit/events", {"type": "gossip"}, "type"),
        ("/audit/events", {"limit": "0"}, "limit"),
    ],
)
def test_bad_query_parameters_are_422(api: Api, tenant: Tenant, path: str, query: dict[str, str] | None, field: str) -> None:
    reply = api.get(path, tenant.analyst, query=query)
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert field in error_fields(reply), reply.body


EXTREME = {
    "beyond-dynamodb-range": ({"behavioral": {"page_views": 1e200}}, "attributes.behavioral.page_views"),
    "beyond-dynamodb-precision": ({"behavioral": {"page_views": 10**40}}, "attributes.behavioral.page_views"),
    "below-dynamodb-range": ({"behavioral": {"email_open_rate": 1e-200}}, "attributes.behavioral.email_open_rate"),
    "overflows-float32": ({"demographic": {"company_revenue": 1e39}}, "attributes.demographic.company_revenue"),
}


@pytest.mark.parametrize("case", sorted(EXTREME))
def test_numbers_no_store_or_model_can_hold_are_422_not_500(api: Api, tenant: Tenant, nothing_written: None, case: str) -> None:
    attributes, field = EXTREME[case]
    reply = api.post("/score", tenant.integration, body=lead_body(EMAIL, attributes=attributes))
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert _names(reply, field), reply.body


@pytest.mark.parametrize("case", sorted(EXTREME))
def test_a_batch_reports_such_numbers_per_item(api: Api, tenant: Tenant, nothing_written: None, case: str) -> None:
    attributes, field = EXTREME[case]
    reply = api.post("/batch-score", tenant.integration, body={"leads": [lead_body(EMAIL, attributes=attributes)]})
    assert reply.status == 200, reply.body
    assert reply.body["summary"] == {"received": 1, "scored": 0, "invalid": 1, "failed": 0}
    assert f"leads.0.{field}" in {d["field"] for d in reply.body["results"][0]["error"]["details"]}


def test_the_largest_and_smallest_accepted_numbers_score_and_round_trip(api: Api, tenant: Tenant, unique: str) -> None:
    # Several features at the accepted maximum at once: the model must still give a probability, not NaN.
    attributes = {
        "behavioral": {"page_views": 1e15, "time_on_site_seconds": 1e15, "content_downloads": 10**15, "email_open_rate": 1e-30},
        "demographic": {"company_size": 1e15, "company_revenue": 1e15},
        "engagement": {"response_time_hours": 1e15, "previous_purchases": 1e15},
    }
    reply = api.post("/score", tenant.integration, body=lead_body(f"extremes.{unique}@example.com", attributes=attributes))
    assert reply.status == 200, reply.body
    assert 0 <= reply.body["score"] <= 100
    stored = api.get(f"/leads/{reply.body['id']}", tenant.analyst)
    assert stored.body["attributes"]["behavioral"] == attributes["behavioral"]
    assert stored.body["attributes"]["engagement"] == attributes["engagement"]
