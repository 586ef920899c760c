"""Thresholds and model activation: a change shows on the very next score and is on the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadscoring.domain.auth import Principal
from leadscoring.routes import Role
from leadscoring.services import wiring

from .conftest import MODEL_ID, Tenant
from .support import Api, Tables, assert_error, lead_body


@pytest.fixture
def fresh(make_tenant: Callable[..., Tenant]) -> Tenant:
    return make_tenant("cfg")


def _config_changes(tables: Tables, client_id: str) -> list[dict[str, Any]]:
    return sorted((i for i in tables.audit(client_id) if i["type"] == "config_change"), key=lambda i: i["event_key"])


def _thresholds(qualified: float, low: float, high: float) -> dict[str, Any]:
    return {"thresholds": {"qualified": qualified, "low_priority": low, "high_priority": high}}


def test_new_thresholds_change_the_next_qualification_and_are_audited(api: Api, fresh: Tenant, tables: Tables, unique: str) -> None:
    lead = lead_body(f"threshold.{unique}@example.com")
    first = api.post("/score", fresh.integration, body=lead)
    assert first.status == 200
    score = first.body["score"]
    assert 0 < score < 100
    changes_before = len(_config_changes(tables, fresh.client_id))

    # Just below the lead's score: qualified.
    below = min(score, max(score - 1, 0))
    put = api.put("/config", fresh.admin, body=_thresholds(below, 0, 100))
    assert put.status == 200, put.body
    assert put.body["thresholds"] == {"qualified": below, "low_priority": 0, "high_priority": 100}
    assert api.get("/config", fresh.analyst).body["thresholds"]["qualified"] == below
    again = api.post("/score", fresh.integration, body=lead)
    assert again.status == 200 and again.body["score"] == score
    assert again.body["qualified"] is True

    # Just above it: not qualified, with the same model and the same inputs.
    above = min(score + 1, 100)
    assert api.put("/config", fresh.admin, body=_thresholds(above, 0, 100)).status == 200
    third = api.post("/score", fresh.integration, body=lead)
    assert third.status == 200 and third.body["score"] == score
    assert third.body["qualified"] is False

    decisions = sorted((i for i in tables.audit(fresh.client_id) if i["type"] == "decision"), key=lambda i: i["event_key"])
    assert [float(d["threshold"]) for d in decisions] == [50.0, below, above]
    assert [d["qualified"] for d in decisions] == [first.body["qualified"], True, False]

    changes = _config_changes(tables, fresh.client_id)
    assert len(changes) == changes_before + 2
    last = changes[-1]
    assert last["details"]["change"] == "thresholds updated"
    assert float(last["details"]["before"]["thresholds"]["qualified"]) == below
    assert float(last["details"]["after"]["thresholds"]["qualified"]) == above
    assert last["details"]["before"]["active_model"] == last["details"]["after"]["active_model"] == {"id": MODEL_ID, "version": "1"}
    assert last["actor"].startswith("key_")

    listed = api.get("/audit/events", fresh.analyst, query={"type": "config_change"})
    assert listed.status == 200
    assert listed.body["items"][0]["details"]["after"]["thresholds"]["qualified"] == above


@pytest.mark.parametrize(
    "body",
    [
        _thresholds(80, 90, 95),
        _thresholds(50, 25, 40),
        _thresholds(101, 0, 100),
        _thresholds(-1, 0, 100),
        {"thresholds": {"qualified": "fifty"}},
        {"thresholds": {"qualified": 50, "surprise": 1}},
        {"active_model": {"id": MODEL_ID, "version": "9"}, "thresholds": {}},
        {},
    ],
    ids=["low-above-qualified", "high-below-qualified", "above-100", "negative", "not-a-number", "unknown-field", "model-via-put", "empty"],
)
def test_bad_thresholds_are_422_and_change_nothing(api: Api, fresh: Tenant, tables: Tables, body: dict[str, Any]) -> None:
    config_before = api.get("/config", fresh.admin).body
    audit_before = len(tables.audit(fresh.client_id))
    assert_error(api.put("/config", fresh.admin, body=body), 422, "VALIDATION_ERROR")
    assert api.get("/config", fresh.admin).body == config_before
    assert len(tables.audit(fresh.client_id)) == audit_before


def test_a_model_swap_shows_on_the_next_score(api: Api, fresh: Tenant, tables: Tables, unique: str) -> None:
    registry = wiring.model_registry()
    v1 = registry.get_version(fresh.client_id, MODEL_ID, "1")
    assert v1 is not None
    onnx_bytes, metadata = registry.load_artifact(fresh.client_id, MODEL_ID, "1")
    lead = lead_body(f"swap.{unique}@example.com")
    before = api.post("/score", fresh.integration, body=lead)
    assert before.status == 200 and before.body["model_version"] == "1"

    registry.register(
        fresh.client_id,
        v1.model_copy(update={"version": "2", "name": "Challenger"}),
        onnx_bytes,
        metadata.model_copy(update={"version": "2"}),
    )
    # Registered is not deployed: scoring stays on v1 until activation.
    assert api.post("/score", fresh.integration, body=lead).body["model_version"] == "1"
    wiring.configuration_service().activate(Principal(fresh.client_id, Role.ADMIN, "system"), MODEL_ID, "2")

    after = api.post("/score", fresh.integration, body=lead)
    assert after.status == 200
    assert (after.body["model_id"], after.body["model_version"]) == (MODEL_ID, "2")
    assert api.get(f"/leads/{after.body['id']}", fresh.analyst).body["model_version"] == "2"
    latest = max((i for i in tables.audit(fresh.client_id) if i["type"] == "decision"), key=lambda i: i["event_key"])
    assert (latest["model_version"], latest["lead_id"]) == ("2", after.body["id"])

    models = api.get("/models", fresh.analyst)
    assert models.status == 200
    assert {(m["version"], m["is_active"]) for m in models.body["items"]} == {("1", False), ("2", True)}
    assert api.get("/config", fresh.analyst).body["active_model"] == {"id": MODEL_ID, "version": "2"}
    activation = _config_changes(tables, fresh.client_id)[-1]
    assert activation["details"]["change"] == "model activated"
    assert activation["details"]["before"]["active_model"] == {"id": MODEL_ID, "version": "1"}
    assert activation["details"]["after"]["active_model"] == {"id": MODEL_ID, "version": "2"}
