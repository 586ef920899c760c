"""POST /score through the gateway: a valid lead is scored without the resolver, and a refused one by it."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Tenant
from .support import Api, Tables, assert_error, lead_body


def test_a_valid_lead_skips_the_resolver_and_an_invalid_one_gets_its_error(
    api: Api, gateway: Any, tenant: Tenant, tables: Tables, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = gateway.functions["score"].app
    resolved: list[str] = []
    resolve = app.resolve

    def counted(event: dict[str, Any], context: Any) -> dict[str, Any]:
        resolved.append(f"{event['httpMethod']} {event['resource']}")
        return resolve(event, context)

    monkeypatch.setattr(app, "resolve", counted)

    scored = api.post("/score", tenant.integration, body=lead_body(f"direct.{unique}@example.com"))
    assert scored.status == 200 and 0 <= scored.body["score"] <= 100, scored.body
    assert scored.headers["Content-Type"] == "application/json"
    assert resolved == []

    before = tables.counts()
    refused = api.post("/score", tenant.integration, body=lead_body("not-an-email"))
    error = assert_error(refused, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "email"
    assert resolved == ["POST /api/v1/leadscoring/score"]
    assert tables.counts() == before

    assert api.get(f"/leads/{scored.body['id']}", tenant.analyst).status == 200  # other routes: the resolver
    assert resolved[-1] == "GET /api/v1/leadscoring/leads/{id}"
