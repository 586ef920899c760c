"""POST /leads/{id}/conversion and GET /leads/{id}/conversions through the local gateway, the real authorizer and
the score function, on the moto server: every allowed and refused transition, history, repeats, races, tenants."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadscoring.data.keys import lead_item_key
from leadscoring.resources import AUDIT, LEADS

from .conftest import Tenant
from .support import Api, Tables, assert_error, lead_body

STATUSES = ("new", "contacted", "qualified", "converted", "lost")
ALLOWED = {
    ("new", "contacted"),
    ("new", "qualified"),
    ("new", "converted"),
    ("new", "lost"),
    ("contacted", "qualified"),
    ("contacted", "converted"),
    ("contacted", "lost"),
    ("qualified", "converted"),
    ("qualified", "lost"),
}
# The shortest path from new to each status, to set a lead up.
PATH = {"new": [], "contacted": ["contacted"], "qualified": ["qualified"], "converted": ["converted"], "lost": ["lost"]}


def _lead(api: Api, tenant: Tenant, unique: str, tag: str = "") -> dict[str, Any]:
    reply = api.post("/score", tenant.integration, body=lead_body(f"conv.{tag}{unique}@example.com"))
    assert reply.status == 200, reply.body
    return reply.body


def _convert(api: Api, tenant: Tenant, lead_id: str, role: str = "integration", **body: Any) -> Any:
    return api.post(f"/leads/{lead_id}/conversion", tenant.key(role), body=body)


def _stored(tables: Tables, client_id: str, lead_id: str) -> dict[str, Any]:
    return tables.resource.Table(LEADS.local_name).get_item(Key=lead_item_key(client_id, lead_id))["Item"]


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_transition_is_allowed_or_refused(api: Api, tenant: Tenant, tables: Tables, unique: str, current: str, target: str) -> None:
    lead = _lead(api, tenant, unique, f"{current}.{target}.")
    for step in PATH[current]:
        assert _convert(api, tenant, lead["id"], conversion_status=step).status == 200
    before = _stored(tables, tenant.client_id, lead["id"])
    reply = _convert(api, tenant, lead["id"], conversion_status=target)
    if current == target:
        assert reply.status == 200 and reply.body["conversion_status"] == current  # a redelivery: nothing changes
        assert _stored(tables, tenant.client_id, lead["id"]) == before
    elif (current, target) in ALLOWED:
        assert reply.status == 200, reply.body
        assert reply.body["conversion_status"] == target and reply.body["id"] == lead["id"]
        assert _stored(tables, tenant.client_id, lead["id"])["conversion_status"] == target
    else:
        error = assert_error(reply, 409, "INVALID_TRANSITION")
        assert f"'{current}'" in error["message"] and f"'{target}'" in error["message"]
        assert error["details"][0]["field"] == "conversion_status"
        assert _stored(tables, tenant.client_id, lead["id"]) == before


def test_history_records_each_change_without_pii(api: Api, tenant: Tenant, unique: str) -> None:
    lead = _lead(api, tenant, unique)
    created = datetime.fromisoformat(lead["created_at"])
    contacted_at = (created + timedelta(seconds=1)).isoformat()
    assert _convert(api, tenant, lead["id"], conversion_status="contacted", conversion_date=contacted_at).status == 200
    converted = _convert(api, tenant, lead["id"], role="admin", conversion_status="converted", revenue=1250.5)
    assert converted.status == 200
    assert converted.body["revenue"] == 1250.5 and converted.body["conversion_date"] is not None

    history = api.get(f"/leads/{lead['id']}/conversions", tenant.analyst)
    assert history.status == 200
    assert history.body["lead_id"] == lead["id"] and history.body["conversion_status"] == "converted"
    items = history.body["items"]
    assert [(i["from_status"], i["to_status"], i["revenue"]) for i in items] == [
        ("new", "contacted", None),
        ("contacted", "converted", 1250.5),
    ]
    assert datetime.fromisoformat(items[0]["conversion_date"]) == datetime.fromisoformat(contacted_at)
    assert items[0]["actor"].startswith("key_") and items[0]["actor"] != items[1]["actor"]  # integration, then admin
    text = str(history.body)
    assert lead["email"] not in text and lead["name"] not in text
    # The change events are in the audit trail too, filterable by type.
    audit = api.get("/audit/events", tenant.admin, query={"type": "conversion", "lead_id": lead["id"]})
    assert audit.status == 200 and len(audit.body["items"]) == 2


def test_a_repeat_with_the_same_data_is_a_noop_and_with_other_data_a_conflict(
    api: Api, tenant: Tenant, tables: Tables, unique: str
) -> None:
    lead = _lead(api, tenant, unique)
    when = datetime.now(UTC).isoformat()
    first = _convert(api, tenant, lead["id"], conversion_status="converted", conversion_date=when, revenue=99.0)
    assert first.status == 200
    stored = _stored(tables, tenant.client_id, lead["id"])
    again = _convert(api, tenant, lead["id"], conversion_status="converted", conversion_date=when, revenue=99.0)
    assert again.status == 200 and again.body["revenue"] == 99.0
    without_date = _convert(api, tenant, lead["id"], conversion_status="converted", revenue=99.0)
    assert without_date.status == 200
    other = _convert(api, tenant, lead["id"], conversion_status="converted", conversion_date=when, revenue=100.0)
    assert_error(other, 409, "INVALID_TRANSITION")
    assert _stored(tables, tenant.client_id, lead["id"]) == stored
    history = api.get(f"/leads/{lead['id']}/conversions", tenant.admin).body["items"]
    assert len(history) == 1  # the repeats recorded nothing


def test_concurrent_changes_never_lose_an_update(api: Api, tenant: Tenant, unique: str) -> None:
    """Two callers move the same new lead at once to different stages: at most one wins, the other is told."""
    for attempt in range(3):
        lead = _lead(api, tenant, unique, f"race{attempt}.")
        replies: dict[str, Any] = {}

        def move(target: str, lead_id: str = lead["id"], into: dict[str, Any] = replies) -> None:
            into[target] = _convert(api, tenant, lead_id, conversion_status=target)

        threads = [threading.Thread(target=move, args=(t,)) for t in ("contacted", "lost")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        history = api.get(f"/leads/{lead['id']}/conversions", tenant.admin).body
        final = history["conversion_status"]
        winners = [t for t, r in replies.items() if r.status == 200]
        # Every 200 is in the history, in order, and the lead ends where the last recorded change put it.
        assert [i["to_status"] for i in history["items"]] == sorted(winners, key=lambda t: t != "contacted")
        assert final == history["items"][-1]["to_status"]
        for reply in replies.values():
            assert reply.status in (200, 409), reply.body
            if reply.status == 409:
                assert reply.error_code in ("INVALID_TRANSITION", "CONCURRENT_UPDATE")


def test_unknown_and_other_tenants_leads_are_404(api: Api, tenant: Tenant, other_tenant: Tenant, tables: Tables, unique: str) -> None:
    lead = _lead(api, tenant, unique)
    assert_error(_convert(api, other_tenant, lead["id"], conversion_status="contacted"), 404, "NOT_FOUND")
    assert_error(api.get(f"/leads/{lead['id']}/conversions", other_tenant.admin), 404, "NOT_FOUND")
    assert_error(_convert(api, tenant, "no-such-lead", conversion_status="contacted"), 404, "NOT_FOUND")
    assert _stored(tables, tenant.client_id, lead["id"])["conversion_status"] == "new"


def test_analysts_read_but_may_not_write(api: Api, tenant: Tenant, unique: str) -> None:
    lead = _lead(api, tenant, unique)
    assert_error(_convert(api, tenant, lead["id"], role="analyst", conversion_status="contacted"), 403, "FORBIDDEN")
    assert api.get(f"/leads/{lead['id']}/conversions", tenant.analyst).status == 200
    assert api.get(f"/leads/{lead['id']}/conversions", tenant.integration).status == 200
    assert_error(api.post(f"/leads/{lead['id']}/conversion", None, body={"conversion_status": "contacted"}), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "conversion_status"),
        ({"conversion_status": "won"}, "conversion_status"),
        ({"conversion_status": "contacted", "revenue": 10}, "revenue"),
        ({"conversion_status": "converted", "revenue": -1}, "revenue"),
        ({"conversion_status": "converted", "revenue": "lots"}, "revenue"),
        ({"conversion_status": "converted", "conversion_date": "yesterday"}, "conversion_date"),
        ({"conversion_status": "converted", "conversion_date": "2026-01-01T00:00:00"}, "conversion_date"),  # no timezone
        ({"conversion_status": "converted", "conversion_date": "2999-01-01T00:00:00Z"}, "conversion_date"),  # future
        ({"conversion_status": "converted", "conversion_date": "2001-01-01T00:00:00Z"}, "conversion_date"),  # before created
        ({"conversion_status": "converted", "id": "other"}, "id"),
    ],
)
def test_bad_bodies_are_422_naming_the_field_and_change_nothing(
    api: Api, tenant: Tenant, tables: Tables, unique: str, body: dict[str, Any], field: str
) -> None:
    lead = _lead(api, tenant, unique)
    before = _stored(tables, tenant.client_id, lead["id"])
    audit_before = tables.item_count(AUDIT.local_name)
    error = assert_error(_convert(api, tenant, lead["id"], **body), 422)
    assert field in [d["field"] for d in error["details"]], error
    assert _stored(tables, tenant.client_id, lead["id"]) == before
    assert tables.item_count(AUDIT.local_name) == audit_before


def test_a_rescore_keeps_the_conversion(api: Api, tenant: Tenant, unique: str) -> None:
    lead = _lead(api, tenant, unique)
    assert _convert(api, tenant, lead["id"], conversion_status="qualified").status == 200
    again = api.post("/score", tenant.integration, body=lead_body(lead["email"], source="referral"))
    assert again.status == 200 and again.body["id"] == lead["id"]
    assert again.body["conversion_status"] == "qualified"
