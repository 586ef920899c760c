"""Redelivered webhooks (Idempotency-Key header or CRM event id) and synchronous batches, through the gateway against moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from leadscoring.demo_data import generate
from leadscoring.resources import IDEMPOTENCY

from .conftest import Tenant
from .support import Api, Tables, assert_error, lead_body


def _demo(unique: str, index: int) -> dict[str, Any]:
    body = dict(generate(index + 1, seed=777)[index].lead)
    body.pop("external_id", None)
    return {**body, "email": f"batch{index}.{unique}@example.com", "name": f"Batch {index} {unique}"}


def _idempotency_records(tables: Tables) -> list[dict[str, Any]]:
    return list(tables.resource.Table(IDEMPOTENCY.local_name).scan()["Items"])


# -- Idempotency-Key ------------------------------------------------------------------------------------------


def test_a_redelivery_with_the_same_key_scores_once(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    body = _demo(unique, 0)
    headers = {"Idempotency-Key": f"delivery-{unique}"}
    before = tables.counts()
    records_before = len(_idempotency_records(tables))

    first = api.post("/score", tenant.integration, body=body, headers=headers)
    again = api.post("/score", tenant.integration, body=body, headers=headers)

    assert first.status == 200 and again.status == 200
    assert again.body == first.body
    assert tables.counts() == (before[0] + 1, before[1] + 1), "a redelivery must not write a second decision"
    assert len(_idempotency_records(tables)) == records_before + 1
    # The stored response holds no personal data: the redelivery's own (checked) lead fills it back in.
    [record] = [r for r in _idempotency_records(tables) if first.body["id"] in json.dumps(r, default=str)]
    for personal in filter(None, (body["email"], body["name"], body.get("phone"))):
        assert personal.lower() not in json.dumps(record, default=str).lower()


def test_the_same_key_with_another_lead_is_refused(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    headers = {"Idempotency-Key": f"reused-{unique}"}
    assert api.post("/score", tenant.integration, body=_demo(unique, 0), headers=headers).status == 200
    before = tables.counts()

    reply = api.post("/score", tenant.integration, body=_demo(unique, 1), headers=headers)

    assert_error(reply, 422, "IDEMPOTENCY_KEY_REUSED")
    assert tables.counts() == before


def test_idempotency_keys_are_scoped_to_the_tenant(api: Api, tenant: Tenant, other_tenant: Tenant, unique: str) -> None:
    headers = {"Idempotency-Key": f"shared-{unique}"}
    mine = api.post("/score", tenant.integration, body=_demo(unique, 0), headers=headers)
    theirs = api.post("/score", other_tenant.integration, body=_demo(unique, 1), headers=headers)
    assert mine.status == 200 and theirs.status == 200
    assert (mine.body["client_id"], theirs.body["client_id"]) == (tenant.client_id, other_tenant.client_id)
    assert theirs.body["email"] == _demo(unique, 1)["email"]


def test_an_overlong_idempotency_key_is_422(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    before = tables.counts()
    reply = api.post("/score", tenant.integration, body=_demo(unique, 0), headers={"Idempotency-Key": "k" * 201})
    assert_error(reply, 422, "VALIDATION_ERROR")
    assert tables.counts() == before


def test_an_idempotency_record_expires_with_the_invocation(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    known = {r["id"] for r in _idempotency_records(tables)}
    assert api.post("/score", tenant.integration, body=_demo(unique, 0), headers={"Idempotency-Key": f"expiry-{unique}"}).status == 200
    [record] = [r for r in _idempotency_records(tables) if r["id"] not in known]
    assert "in_progress_expiration" in record


# -- CRM event id ---------------------------------------------------------------------------------------------


def test_a_redelivery_with_the_same_event_id_scores_once(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    body = {**_demo(unique, 0), "event_id": f"crm-event-{unique}"}
    before = tables.counts()

    first = api.post("/score", tenant.integration, body=body)
    again = api.post("/score", tenant.integration, body=body)

    assert first.status == 200 and again.status == 200
    assert again.body == first.body
    assert "event_id" not in first.body  # the delivery's id, not the lead's
    assert tables.counts() == (before[0] + 1, before[1] + 1), "a redelivery must not write a second decision"


def test_the_decision_record_names_the_delivery_that_brought_the_lead(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    both = api.post(
        "/score", tenant.integration, body={**_demo(unique, 0), "event_id": f"evt-{unique}"}, headers={"Idempotency-Key": f"key-{unique}"}
    )
    plain = api.post("/score", tenant.integration, body=_demo(unique, 1))
    assert both.status == plain.status == 200
    decisions = {e["lead_id"]: e for e in tables.audit(tenant.client_id) if e.get("type") == "decision"}
    assert decisions[both.body["id"]]["details"]["delivery"] == {"idempotency_key": f"key-{unique}", "event_id": f"evt-{unique}"}
    assert "delivery" not in decisions[plain.body["id"]]["details"]


def test_the_same_event_id_with_another_lead_is_refused(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    event_id = f"crm-reused-{unique}"
    assert api.post("/score", tenant.integration, body={**_demo(unique, 0), "event_id": event_id}).status == 200
    before = tables.counts()

    reply = api.post("/score", tenant.integration, body={**_demo(unique, 1), "event_id": event_id})

    error = assert_error(reply, 422, "IDEMPOTENCY_KEY_REUSED")
    assert error["details"][0]["field"] == "event_id"
    assert tables.counts() == before


def test_event_ids_and_header_keys_are_separate_and_scoped_to_the_tenant(
    api: Api, tenant: Tenant, other_tenant: Tenant, tables: Tables, unique: str
) -> None:
    shared = f"same-text-{unique}"
    by_header = api.post("/score", tenant.integration, body=_demo(unique, 0), headers={"Idempotency-Key": shared})
    by_event = api.post("/score", tenant.integration, body={**_demo(unique, 1), "event_id": shared})
    theirs = api.post("/score", other_tenant.integration, body={**_demo(unique, 2), "event_id": shared})
    assert (by_header.status, by_event.status, theirs.status) == (200, 200, 200), (by_event.body, theirs.body)
    assert len({by_header.body["id"], by_event.body["id"], theirs.body["id"]}) == 3
    assert theirs.body["client_id"] == other_tenant.client_id

    # Both on one delivery: a redelivery names it by both.
    both = {**_demo(unique, 3), "event_id": f"both-{unique}"}
    first = api.post("/score", tenant.integration, body=both, headers={"Idempotency-Key": f"both-{unique}"})
    before = tables.counts()
    again = api.post("/score", tenant.integration, body=both, headers={"Idempotency-Key": f"both-{unique}"})
    assert first.status == again.status == 200 and again.body == first.body
    assert tables.counts() == before


@pytest.mark.parametrize("event_id", ["", "e" * 201, 17])
def test_a_bad_event_id_is_422_and_writes_nothing(api: Api, tenant: Tenant, tables: Tables, unique: str, event_id: Any) -> None:
    before = tables.counts()
    reply = api.post("/score", tenant.integration, body={**_demo(unique, 0), "event_id": event_id})
    error = assert_error(reply, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "event_id"
    assert tables.counts() == before


def test_an_event_id_in_a_batch_item_is_that_items_error(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    """A batch is not deduplicated by delivery: an event id there would be silently meaningless, so it is refused."""
    reply = api.post("/batch-score", tenant.integration, body={"leads": [{**_demo(unique, 0), "event_id": "e-1"}, _demo(unique, 1)]})
    assert reply.status == 200, reply.body
    assert reply.body["summary"]["scored"] == 1 and reply.body["summary"]["invalid"] == 1
    refused, scored = reply.body["results"]
    assert (refused["status"], scored["status"]) == ("invalid", "scored")
    assert [d["field"] for d in refused["error"]["details"]] == ["leads.0.event_id"]


# -- POST /batch-score ----------------------------------------------------------------------------------------


def test_a_batch_scores_the_valid_items_and_reports_each_invalid_one(
    api: Api, tenant: Tenant, other_tenant: Tenant, tables: Tables, unique: str
) -> None:
    valid = [_demo(unique, i) for i in range(3)]
    items = [
        *valid,
        {**_demo(unique, 3), "email": "not-an-email"},
        {**_demo(unique, 4), "attributes": {"behavioral": {"page_views": -5}}},
        {**valid[0], "name": "Same person again"},
    ]
    before = tables.counts()

    reply = api.post("/batch-score", tenant.integration, body={"leads": items})

    assert reply.status == 200, reply.body
    assert reply.body["summary"] == {"received": 6, "scored": 3, "invalid": 3, "failed": 0}
    results = reply.body["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["status"] for r in results] == ["scored"] * 3 + ["invalid"] * 3
    assert tables.counts() == (before[0] + 3, before[1] + 3)

    fields = [{d["field"] for d in r["error"]["details"]} for r in results[3:]]
    assert "leads.3.email" in fields[0]
    assert "leads.4.attributes.behavioral.page_views" in fields[1]
    assert [d["type"] for d in results[5]["error"]["details"]] == ["duplicate_in_batch"]

    # Every scored item is stored, and scored exactly as POST /score scores it (same model, other tenant).
    for body, result in zip(valid, results[:3], strict=True):
        lead = result["lead"]
        assert lead["client_id"] == tenant.client_id and lead["email"] == body["email"]
        assert api.get(f"/leads/{lead['id']}", tenant.analyst).body == lead
        single = api.post("/score", other_tenant.integration, body=body)
        assert single.status == 200
        assert (single.body["score"], single.body["qualified"], single.body["grade"]) == (lead["score"], lead["qualified"], lead["grade"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"leads": []}, 422, "VALIDATION_ERROR"),
        ({}, 422, "VALIDATION_ERROR"),
        ({"leads": "all of them"}, 422, "VALIDATION_ERROR"),
        ({"leads": [lead_body(f"x{i}@example.com") for i in range(1001)]}, 422, "VALIDATION_ERROR"),
        ({"leads": [lead_body("x@example.com")], "priority": "high"}, 422, "VALIDATION_ERROR"),
        ({"s3_key": "uploads/leads.csv"}, 422, "VALIDATION_ERROR"),
    ],
    ids=["empty", "no-leads", "not-a-list", "over-1000", "unknown-field", "old-s3-key-field"],
)
def test_bad_batches_are_refused_whole_and_write_nothing(
    api: Api, tenant: Tenant, tables: Tables, body: dict[str, Any], status: int, code: str
) -> None:
    before = tables.counts()
    assert_error(api.post("/batch-score", tenant.integration, body=body), status, code)
    assert tables.counts() == before


def test_a_batch_for_a_tenant_without_a_model_is_409(api: Api, make_tenant: Callable[..., Tenant], tables: Tables, unique: str) -> None:
    bare = make_tenant("bare-batch", with_model=False)
    before = tables.counts()
    assert_error(api.post("/batch-score", bare.integration, body={"leads": [_demo(unique, 0)]}), 409, "NO_ACTIVE_MODEL")
    assert tables.counts() == before
