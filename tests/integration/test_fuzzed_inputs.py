"""Inputs a schemathesis run against the local stack answered with a 500 (each is a 4xx now, and changes nothing),
and a model update that left a model unreadable."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import Tenant
from .support import Api, Tables, assert_error, lead_body

TINY = 1e-200  # below what a DynamoDB number can hold (about 1e-130)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/score"), ("POST", "/batch-score"), ("PUT", "/config"), ("POST", "/models"), ("POST", "/leads/any-lead/conversion")],
)
def test_a_body_that_is_not_utf8_is_a_400(api: Api, tenant: Tenant, tables: Tables, method: str, path: str) -> None:
    before = tables.counts()
    call = api.post if method == "POST" else api.put
    reply = call(path, tenant.admin, raw=b'{"email": "\xff"}')
    assert_error(reply, 400, "MALFORMED_REQUEST")
    assert tables.counts() == before


def test_numbers_too_small_to_store_are_a_422(api: Api, make_tenant: Callable[..., Tenant], tables: Tables, unique: str) -> None:
    tenant = make_tenant()
    lead = api.post("/score", tenant.integration, body=lead_body(f"tiny.{unique}@example.com")).body
    before = tables.counts()
    refusals = [
        api.get("/leads", tenant.analyst, query={"min_score": TINY}),
        api.get("/leads", tenant.analyst, query={"max_score": TINY}),
        api.post(f"/leads/{lead['id']}/conversion", tenant.integration, body={"conversion_status": "converted", "revenue": TINY}),
        api.put("/config", tenant.admin, body={"cost_per_lead": {"default": TINY, "by_source": {}}}),
        api.put("/config", tenant.admin, body={"thresholds": {"qualified": TINY, "high_priority": 75, "low_priority": 0}}),
        api.post("/models", tenant.admin, body={"name": "tiny", "model_type": "logistic_regression", "thresholds": {"qualified": TINY}}),
    ]
    for reply in refusals:
        assert_error(reply, 422, "VALIDATION_ERROR")
        assert reply.body["error"]["details"][0]["type"] == "number_range", reply.body
    assert tables.counts() == before
    assert api.get("/leads", tenant.analyst, query={"min_score": 0.0}).status == 200  # 0 itself is fine


@pytest.mark.parametrize("field", ["name", "thresholds", "time_budget_seconds"])
def test_a_model_field_cannot_be_set_to_null(api: Api, make_tenant: Callable[..., Tenant], field: str) -> None:
    tenant = make_tenant()
    created = api.post("/models", tenant.admin, body={"name": f"Null {field}", "model_type": "logistic_regression"})
    assert created.status == 201, created.body
    model_id = created.body["id"]

    reply = api.put(f"/models/{model_id}", tenant.admin, body={field: None})

    assert_error(reply, 422, "VALIDATION_ERROR")
    assert reply.body["error"]["details"][0]["field"] == field
    shown = api.get(f"/models/{model_id}", tenant.admin)  # was a 500 for good after a null name
    assert shown.status == 200 and shown.body["definition"]["name"] == f"Null {field}"
    cleared = api.put(f"/models/{model_id}", tenant.admin, body={"description": None, "features": None})  # these may be cleared
    assert cleared.status == 200 and cleared.body["description"] is None
