"""POST /score and the lead endpoints through the local API Gateway, the real authorizer and the score function."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import boto3
import numpy as np
import onnxruntime as ort
import pytest

from leadscoring.demo_data import generate
from leadscoring.domain.features import MISSING_CATEGORY
from leadscoring.resources import MODELS_BUCKET

from .conftest import MODEL_ID, Tenant
from .support import Api, Tables, assert_error, lead_body


def _demo_lead(unique: str, index: int = 0, **overrides: Any) -> dict[str, Any]:
    """A realistic lead with every feature family filled in, under a unique identity."""
    body = {k: v for k, v in generate(index + 1, seed=4242)[index].lead.items() if k != "external_id"}
    return {**body, "email": f"lead.{unique}@example.com", "name": f"Lead {unique}", **overrides}


def _flat(attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: value for family in attributes.values() for name, value in family.items()}


def _onnx_probability(client_id: str, version: str, attributes: dict[str, dict[str, Any]]) -> float:
    """The conversion probability straight from the stored ONNX artifact, with onnxruntime and nothing of ours."""
    s3 = boto3.client("s3")
    prefix = f"{client_id}/{MODEL_ID}/{version}/"
    onnx_bytes = s3.get_object(Bucket=MODELS_BUCKET.local_name, Key=prefix + "model.onnx")["Body"].read()
    metadata = json.loads(s3.get_object(Bucket=MODELS_BUCKET.local_name, Key=prefix + "metadata.json")["Body"].read())
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    flat = _flat(attributes)
    feeds: dict[str, np.ndarray] = {}
    for feature in metadata["feature_schema"]:
        value = flat.get(feature["name"])
        if feature["type"] == "categorical":
            feeds[feature["name"]] = np.array([[MISSING_CATEGORY if value is None else str(value)]], dtype=object)
        else:
            feeds[feature["name"]] = np.array([[np.nan if value is None else float(value)]], dtype=np.float32)
    assert set(feeds) == {i.name for i in session.get_inputs()}
    [probabilities] = session.run(["probabilities"], feeds)
    return float(probabilities[0][1])


def _default_grade_and_priority(score: float) -> tuple[str, str]:
    for floor, grade, priority in ((75, "A", "high"), (50, "B", "medium"), (25, "C", "medium")):
        if score >= floor:
            return grade, priority
    return "D", "low"


def _key_id(key: str) -> str:
    return "key_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _decisions(tables: Tables, client_id: str, lead_id: str) -> list[dict[str, Any]]:
    found = [i for i in tables.audit(client_id) if i.get("lead_id") == lead_id and i["type"] == "decision"]
    return sorted(found, key=lambda i: i["event_key"])


def test_score_stores_the_lead_and_its_decision(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    body = _demo_lead(unique, phone="+1 555 010 0199", company="Decision Corp")
    leads_before, audit_before = tables.counts()

    reply = api.post("/score", tenant.integration, body=body)

    assert reply.status == 200, reply.body
    lead = reply.body
    assert lead["client_id"] == tenant.client_id
    assert re.fullmatch(r"[0-9a-f-]{36}", lead["id"])
    assert (lead["email"], lead["name"], lead["phone"], lead["source"]) == (body["email"], body["name"], body["phone"], body["source"])
    assert 0 <= lead["score"] <= 100 and 0 <= lead["score_confidence"] <= 1
    assert (lead["model_id"], lead["model_version"]) == (MODEL_ID, "1")
    # The seeded tenant keeps the default thresholds: qualified 50, high priority 75, low priority 25.
    assert lead["qualified"] is (lead["score"] >= 50.0)
    assert (lead["grade"], lead["priority"]) == _default_grade_and_priority(lead["score"])
    assert lead["conversion_status"] == "new"
    sent = {family: {k: v for k, v in values.items() if v is not None} for family, values in body["attributes"].items()}
    assert lead["attributes"] == sent  # an attribute sent as null is missing, and not kept
    assert tables.counts() == (leads_before + 1, audit_before + 1)

    # The score is the model's probability, on 0-100.
    probability = _onnx_probability(tenant.client_id, "1", body["attributes"])
    assert lead["score"] == pytest.approx(100 * probability, abs=0.005 + 1e-9)

    stored = api.get(f"/leads/{lead['id']}", tenant.analyst)
    assert stored.status == 200 and stored.body == lead
    # As JSON text too: a whole-number baseline or attribute (1.0) reads back as it was answered, not as 1.
    assert json.dumps(stored.body, sort_keys=True) == json.dumps(lead, sort_keys=True)

    [decision] = _decisions(tables, tenant.client_id, lead["id"])
    assert decision["model_id"] == MODEL_ID and decision["model_version"] == "1"
    assert re.fullmatch(r"[0-9a-f]{64}", decision["input_hash"])
    assert float(decision["score"]) == lead["score"]
    assert float(decision["threshold"]) == 50.0
    assert decision["qualified"] is lead["qualified"]
    assert decision["actor"] == _key_id(tenant.integration)
    assert float(decision["details"]["probability"]) == pytest.approx(probability, abs=1e-6)
    record = json.dumps(decision, default=str)
    for personal in (body["email"], body["name"], body["phone"], body["company"]):
        assert personal not in record, "the decision record must carry no PII"

    events = api.get("/audit/events", tenant.analyst, query={"lead_id": lead["id"]})
    assert events.status == 200
    [event] = events.body["items"]
    assert (event["type"], event["input_hash"], event["score"]) == ("decision", decision["input_hash"], lead["score"])


def test_the_same_email_twice_is_one_lead_with_two_decisions(api: Api, tenant: Tenant, tables: Tables, unique: str) -> None:
    first_body = _demo_lead(unique, 0, email=f"Same.Person.{unique}@Example.com")
    second_body = _demo_lead(unique, 1, email=f"same.person.{unique}@example.com", name="Renamed")
    leads_before, audit_before = tables.counts()

    first = api.post("/score", tenant.integration, body=first_body)
    second = api.post("/score", tenant.integration, body=second_body)

    assert first.status == 200 and second.status == 200
    assert second.body["id"] == first.body["id"]
    assert second.body["created_at"] == first.body["created_at"]
    assert second.body["scored_at"] >= first.body["scored_at"]
    assert tables.counts() == (leads_before + 1, audit_before + 2)
    [stored] = [i for i in tables.leads(tenant.client_id) if i["id"] == first.body["id"]]
    assert stored["name"] == "Renamed" and stored["created_at"] == first.body["created_at"]

    decisions = _decisions(tables, tenant.client_id, first.body["id"])
    assert len(decisions) == 2
    assert [d["details"]["updated_existing"] for d in decisions] == [False, True]
    assert decisions[0]["input_hash"] != decisions[1]["input_hash"]  # different attributes, different fingerprint
    assert [float(d["score"]) for d in decisions] == [first.body["score"], second.body["score"]]


def test_the_crm_id_identifies_a_lead_before_its_email(api: Api, tenant: Tenant, unique: str) -> None:
    first = api.post("/score", tenant.integration, body=lead_body(f"a.{unique}@example.com", external_id=f"crm-{unique}"))
    second = api.post("/score", tenant.integration, body=lead_body(f"b.{unique}@example.com", external_id=f"crm-{unique}"))
    assert first.status == 200 and second.status == 200
    assert first.body["id"] == second.body["id"]
    assert second.body["email"] == f"b.{unique}@example.com"


def test_a_lead_scored_for_one_tenant_is_invisible_to_another(api: Api, tenant: Tenant, other_tenant: Tenant, unique: str) -> None:
    body = _demo_lead(unique)
    scored = api.post("/score", tenant.integration, body=body)
    assert scored.status == 200
    lead_id = scored.body["id"]

    assert_error(api.get(f"/leads/{lead_id}", other_tenant.admin), 404, "NOT_FOUND")
    assert lead_id not in _walk_ids(api, other_tenant.admin)
    assert api.get("/audit/events", other_tenant.admin, query={"lead_id": lead_id}).body["items"] == []
    assert lead_id in _walk_ids(api, tenant.analyst)

    # The same person sent to the other tenant is that tenant's own lead; the first tenant's is untouched.
    theirs = api.post("/score", other_tenant.integration, body={**body, "name": "Someone Else's Copy"})
    assert theirs.status == 200 and theirs.body["id"] != lead_id
    assert api.get(f"/leads/{lead_id}", tenant.admin).body["name"] == body["name"]


def _walk_ids(api: Api, key: str, **query: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        params: dict[str, Any] = {"limit": 100, **query, **({"cursor": cursor} if cursor else {})}
        reply = api.get("/leads", key, query=params)
        assert reply.status == 200, reply.body
        ids.extend(i["id"] for i in reply.body["items"])
        cursor = reply.body["next_cursor"]
        if not cursor:
            return ids
    pytest.fail("pagination never ended")


@pytest.mark.parametrize(
    ("query", "holds"),
    [
        ({"qualified": "true"}, lambda i: i["qualified"] is True),
        ({"qualified": "false"}, lambda i: i["qualified"] is False),
        ({"min_score": "30", "max_score": "60.5"}, lambda i: 30 <= i["score"] <= 60.5),
        ({"conversion_status": "converted"}, lambda i: i["conversion_status"] == "converted"),
        ({"source": "referral"}, lambda i: i["source"] == "referral"),
    ],
    ids=["qualified", "not-qualified", "score-band", "converted", "source"],
)
def test_list_filters_over_http(
    api: Api, tenant: Tenant, tables: Tables, query: dict[str, str], holds: Callable[[dict[str, Any]], bool]
) -> None:
    expected = {i["id"] for i in tables.leads(tenant.client_id) if holds({**i, "score": float(i["score"])})}
    assert expected
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        reply = api.get("/leads", tenant.analyst, query={**query, "limit": 10, **({"cursor": cursor} if cursor else {})})
        assert reply.status == 200, reply.body
        items.extend(reply.body["items"])
        cursor = reply.body["next_cursor"]
        if not cursor:
            break
    assert all(holds(i) for i in items)
    assert sorted(i["id"] for i in items) == sorted(expected)


def test_a_tenant_without_a_model_gets_409_and_nothing_is_written(
    api: Api, make_tenant: Callable[..., Tenant], tables: Tables, unique: str
) -> None:
    bare = make_tenant("bare", with_model=False)
    before = tables.counts()
    reply = api.post("/score", bare.admin, body=lead_body(f"x.{unique}@example.com"))
    assert_error(reply, 409, "NO_ACTIVE_MODEL")
    assert tables.counts() == before
    assert api.get("/leads", bare.admin).body == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("method", "path", "query", "send_lead"),
    [("POST", "/score", None, True), ("GET", "/leads", None, False), ("GET", "/leads", {"limit": 0}, False)],
)
def test_api_responses_are_declared_json(
    api: Api, tenant: Tenant, unique: str, method: str, path: str, query: dict[str, Any] | None, send_lead: bool
) -> None:
    sent: dict[str, Any] = {"body": lead_body(f"ct.{unique}@example.com")} if send_lead else {}
    reply = api.call(method, path, tenant.admin, query=query, **sent)
    assert reply.status in (200, 422)
    assert reply.headers.get("Content-Type", "").startswith("application/json")
