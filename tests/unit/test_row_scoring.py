"""Rows of a batch file are accepted, refused and scored exactly as POST /score treats the same lead."""

from datetime import UTC, datetime

import pytest

from benchmarks.in_memory_storage import InMemoryTenants
from leadscoring.data.codec import from_item
from leadscoring.data.leads import lead_to_item
from leadscoring.demo_data import generate
from leadscoring.domain.auth import Principal
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.routes import Role
from leadscoring.schemas.lead import Lead, LeadInput
from leadscoring.services.row_scoring import RowError, RowScoring, decision_event_id
from leadscoring.training.trainer import train_model

SCORED_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FEATURES = {f.name: f for f in default_features()}


@pytest.fixture(scope="module")
def trained():
    leads = generate(400, seed=41)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    return train_model(rows, [d.converted for d in leads], default_features(), "m", "1", "n", created_by="t", time_budget_seconds=0)


@pytest.fixture
def tenants(trained):
    tenants = InMemoryTenants()
    tenants.add("c1", "m", trained.onnx_bytes, trained.metadata, default_features())
    return tenants


@pytest.fixture
def rows_service(tenants):
    return RowScoring(tenants.service(config_cache_seconds=60.0), tenants.leads)


def csv_row(body: dict) -> dict[str, str]:
    """A lead as one CSV line reads: every value text, missing ones empty."""
    row = {k: "" if body.get(k) is None else str(body[k]) for k in ("email", "name", "phone", "company", "source", "external_id")}
    for values in body.get("attributes", {}).values():
        for name, value in values.items():
            row[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return row


def without(item: dict, times: tuple[str, ...]) -> dict:
    """An item minus its timestamps, and minus attributes sent as null (an empty cell is simply absent)."""
    attributes = {family: {k: v for k, v in values.items() if v is not None} for family, values in item["attributes"].items()}
    return {**{k: v for k, v in item.items() if k not in times}, "attributes": attributes}


def score(rows_service, rows, first_row=1, job_id="job-1"):
    return rows_service.score_rows("c1", rows, first_row=first_row, job_id=job_id, scored_at=SCORED_AT, key_id="key_1")


def test_a_csv_row_scores_exactly_as_the_api_scores_the_same_lead(tenants, rows_service):
    bodies = [d.lead for d in generate(5, seed=42)]
    scored = score(rows_service, [csv_row(b) for b in bodies])
    assert scored.errors == []
    api = tenants.service(config_cache_seconds=60.0)
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    for body, item, result in zip(bodies, scored.lead_items, scored.results, strict=True):
        lead = api.score_lead(principal, LeadInput.model_validate(body))
        assert (result["lead_id"], result["score"], result["grade"], result["priority"]) == (lead.id, lead.score, lead.grade, lead.priority)
        assert lead.explanation is not None and lead.explanation.top_positive
        times = ("created_at", "updated_at", "scored_at")  # the API's are now, the file's the job's time
        assert without(item, times) == without(lead_to_item(lead), times)
        assert Lead.model_validate(from_item(item)).scored_at == SCORED_AT


def test_nested_jsonl_rows_follow_the_api_schema(rows_service):
    body = generate(1, seed=43)[0].lead
    scored = score(rows_service, [body, {**body, "email": "second@example.org", "external_id": None}])
    assert scored.errors == [] and len(scored.lead_items) == 2


def test_bad_rows_get_the_api_messages_and_good_rows_are_scored_regardless(rows_service):
    good = csv_row(generate(1, seed=44)[0].lead)
    rows = [
        {**good, "email": "not-an-email"},
        {**good, "page_views": "many"},
        {**good, "email_open_rate": "1.5"},
        {**good, "industry": "farming"},
        {**good, "name": ""},
        good,
        {**good, "uses_marketing_automation": "maybe"},
        {**good, "company_size": "1e40"},
    ]
    scored = score(rows_service, rows, first_row=11)
    by_row = {}
    for error in scored.errors:
        by_row.setdefault(error.row, []).append(error)
    assert sorted(by_row) == [11, 12, 13, 14, 15, 17, 18]
    assert by_row[11][0].field == "email" and "email" in by_row[11][0].message
    assert by_row[12] == [RowError(12, "page_views", "must be a number", "type_error")]
    assert by_row[13] == [RowError(13, "email_open_rate", "must be <= 1.0", "rule_max")]
    assert by_row[14][0].type == "rule_allowed_values" and by_row[14][0].field == "industry"
    assert by_row[15] == [RowError(15, "name", "Field required", "missing")]
    assert by_row[17] == [RowError(17, "uses_marketing_automation", "must be true or false", "type_error")]
    assert by_row[18][0].type == "attribute_range"
    assert [r["row"] for r in scored.results] == [16]


def test_a_repeated_identity_in_one_call_is_refused(rows_service):
    row = csv_row(generate(1, seed=45)[0].lead)
    scored = score(rows_service, [row, {**row, "name": "Someone Else"}])
    assert len(scored.results) == 1
    assert [(e.row, e.type) for e in scored.errors] == [(2, "duplicate_in_batch")]


def test_decision_keys_are_the_same_when_a_chunk_is_retried(rows_service):
    rows = [csv_row(d.lead) for d in generate(3, seed=46)]
    first = score(rows_service, rows, first_row=101)
    again = score(rows_service, rows, first_row=101)
    keys = [d["event_key"] for d in first.decision_items]
    assert keys == [d["event_key"] for d in again.decision_items]
    assert keys[0] == decision_event_id("c1", "job-1", 101, SCORED_AT) and len(set(keys)) == 3
    assert [d["details"]["row"] for d in first.decision_items] == [101, 102, 103]
    assert all(d["actor"] == "key_1" and d["at"] == "2026-11-26T12:00:00Z" for d in first.decision_items)


def test_family_qualified_columns_and_column_checks(rows_service):
    row = csv_row(generate(1, seed=47)[0].lead)
    row["behavioral.page_views"] = row.pop("page_views")
    assert score(rows_service, [row]).errors == []
    wrong = {**row, "demographic.bounce_rate": row.pop("bounce_rate")}
    assert score(rows_service, [wrong]).errors == [
        RowError(1, "demographic.bounce_rate", "belongs to the behavioral family", "wrong_family")
    ]

    assert rows_service.check_columns("c1", ["email", "name", "source", "page_views", "behavioral.bounce_rate"]) == []
    problems = rows_service.check_columns("c1", ["email", "page_views", "behavioral.page_views", "shoe_size"])
    assert {(p["field"], p["type"]) for p in problems} == {
        ("name", "missing_column"),
        ("source", "missing_column"),
        ("behavioral.page_views", "duplicate_column"),
        ("shoe_size", "unknown_column"),
    }
