"""Rows of a batch file go through the API's own scoring path: the same checks, scores and stored leads."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fakes.storage import InMemoryLeadRepository, InMemoryTenants
from leadscoring.data.audit import file_row_event_id
from leadscoring.data.leads import lead_to_item
from leadscoring.demo_data import generate
from leadscoring.domain.auth import Principal
from leadscoring.domain.batch_files import RESULT_COLUMNS
from leadscoring.domain.feature_catalog import default_features
from leadscoring.domain.features import flatten
from leadscoring.routes import Role
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import AttributeValue, ConversionStatus, FeatureFamily, Lead, LeadInput
from leadscoring.schemas.model import ScoringFeature
from leadscoring.services.file_rows import FileRows, ResultRow, RowError, ScoredRows
from leadscoring.training.trainer import TrainedModel, train_model

SCORED_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class RecordingLeads(InMemoryLeadRepository):
    """The in-memory leads, keeping every decision record written."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[AuditEvent] = []

    def save_scored(self, scored: Sequence[tuple[Lead, AuditEvent]], seen: Mapping[str, ConversionStatus | None]) -> set[str]:
        self.records.extend(decision for _, decision in scored)
        return super().save_scored(scored, seen)


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    leads = generate(400, seed=41)
    rows = [flatten(LeadInput.model_validate(d.lead).attributes) for d in leads]
    return train_model(rows, [d.converted for d in leads], default_features(), "m", "1", "n", created_by="t", time_budget_seconds=0)


@pytest.fixture
def leads() -> RecordingLeads:
    return RecordingLeads()


@pytest.fixture
def tenants(trained: TrainedModel, leads: RecordingLeads) -> InMemoryTenants:
    tenants = InMemoryTenants(leads)
    tenants.add("c1", "m", trained.onnx_bytes, trained.metadata, default_features())
    return tenants


@pytest.fixture
def file_rows(tenants: InMemoryTenants) -> FileRows:
    return FileRows(tenants.service(config_cache_seconds=60.0))


def csv_row(body: dict[str, Any]) -> dict[str, str]:
    """A lead as one CSV line reads: every value text, missing ones empty."""
    row = {k: "" if body.get(k) is None else str(body[k]) for k in ("email", "name", "phone", "company", "source", "external_id")}
    for values in body.get("attributes", {}).values():
        for name, value in values.items():
            row[name] = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return row


def score(file_rows: FileRows, rows: list[dict[str, Any]], first_row: int = 1, job_id: str = "job-1") -> ScoredRows:
    return file_rows.score_rows("c1", rows, first_row=first_row, job_id=job_id, scored_at=SCORED_AT, key_id="key_1")


def stored(leads: InMemoryLeadRepository, lead_id: str) -> Lead:
    return leads.leads[("c1", lead_id)]


def test_a_csv_row_is_stored_as_the_api_stores_the_same_lead(tenants: InMemoryTenants, leads: RecordingLeads, file_rows: FileRows) -> None:
    bodies = [d.lead for d in generate(5, seed=42)]
    scored = score(file_rows, [csv_row(b) for b in bodies])
    assert scored.errors == []
    from_file = [lead_to_item(stored(leads, r.lead_id)) for r in scored.results]
    api = tenants.service(config_cache_seconds=60.0)
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    times = ("created_at", "updated_at", "scored_at")  # the API's are now, the file's the job's time
    for body, item, result in zip(bodies, from_file, scored.results, strict=True):
        lead = api.score_lead(principal, LeadInput.model_validate(body))
        assert (result.lead_id, result.score, result.grade, result.priority) == (lead.id, lead.score, lead.grade, lead.priority)
        assert lead.explanation is not None and lead.explanation.top_positive
        strip = {k: v for k, v in lead_to_item(lead).items() if k not in times}
        assert {k: v for k, v in item.items() if k not in times} == strip
        assert item["scored_at"] == "2026-11-26T12:00:00Z"


def test_nested_jsonl_rows_follow_the_api_schema(file_rows: FileRows) -> None:
    body = generate(1, seed=43)[0].lead
    scored = score(file_rows, [body, {**body, "email": "second@example.org", "external_id": None}])
    assert scored.errors == [] and len(scored.results) == 2


def test_a_file_with_no_feature_columns_is_scored(file_rows: FileRows) -> None:
    scored = score(file_rows, [{"email": "only@example.org", "name": "Only Identity", "source": "web"}])
    assert scored.errors == [] and len(scored.results) == 1


def test_bad_rows_get_the_api_messages_and_good_rows_are_scored_regardless(file_rows: FileRows) -> None:
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
    scored = score(file_rows, rows, first_row=11)
    by_row: dict[int, list[RowError]] = {}
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
    assert [r.row for r in scored.results] == [16]


def test_a_repeated_identity_in_one_chunk_is_refused(file_rows: FileRows) -> None:
    row = csv_row(generate(1, seed=45)[0].lead)
    scored = score(file_rows, [row, {**row, "name": "Someone Else"}])
    assert len(scored.results) == 1
    assert [(e.row, e.type, e.message) for e in scored.errors] == [
        (2, "duplicate_in_batch", "the same lead as row 1 (same external_id or email)")
    ]


def test_an_unknown_column_refuses_its_row_with_the_apis_message(file_rows: FileRows) -> None:
    row = {**csv_row(generate(1, seed=50)[0].lead), "shoe_size": "42"}
    assert score(file_rows, [row]).errors == [RowError(1, "shoe_size", "is not a defined feature", "unknown_feature")]
    assert score(file_rows, [{**row, "shoe_size": ""}]).errors == []  # an empty cell sends nothing


def test_decision_records_are_keyed_by_job_and_row_so_a_retry_rewrites_them(leads: RecordingLeads, file_rows: FileRows) -> None:
    rows = [csv_row(d.lead) for d in generate(3, seed=46)]
    score(file_rows, rows, first_row=101)
    score(file_rows, rows, first_row=101)
    records = leads.records
    keys = [d.event_id for d in records]
    assert keys[:3] == keys[3:] and len(set(keys)) == 3
    assert keys[0] == file_row_event_id("job-1", 101, SCORED_AT) == "2026-11-26T12:00:00.000000Z#job-1#000000101"
    assert [d.details["row"] for d in records[:3]] == [101, 102, 103] and {d.details["job_id"] for d in records} == {"job-1"}
    assert all(d.actor == "key_1" and d.at == SCORED_AT for d in records)
    assert [d.details["updated_existing"] for d in records] == [False] * 3 + [True] * 3


def test_a_stored_lead_keeps_its_conversion_state_and_creation_time(
    tenants: InMemoryTenants, leads: RecordingLeads, file_rows: FileRows
) -> None:
    body = generate(1, seed=51)[0].lead
    principal = Principal(client_id="c1", role=Role.INTEGRATION, key_id="key_1")
    earlier = tenants.service(config_cache_seconds=60.0).score_lead(principal, LeadInput.model_validate(body))
    leads.leads[("c1", earlier.id)] = earlier.model_copy(update={"conversion_status": "converted", "revenue": 1200.5})
    [result] = score(file_rows, [csv_row(body)]).results
    item = lead_to_item(stored(leads, result.lead_id))
    assert (item["conversion_status"], item["revenue"]) == ("converted", Decimal("1200.5"))
    assert item["created_at"] == lead_to_item(earlier)["created_at"] and item["scored_at"] == "2026-11-26T12:00:00Z"


def test_a_date_feature_counts_days_up_to_the_jobs_time() -> None:
    features = [
        ScoringFeature(name="page_views", type="numerical", family=FeatureFamily.BEHAVIORAL),
        ScoringFeature(name="last_visit", type="numerical", family=FeatureFamily.ENGAGEMENT, transformation="days_since"),
    ]
    rows: list[dict[str, AttributeValue]] = []
    labels: list[bool] = []
    for i in range(300):
        days = i % 60
        rows.append({"page_views": float(i % 17), "last_visit": (SCORED_AT - timedelta(days=days)).date().isoformat()})
        labels.append(days < 20 if i % 7 else days >= 20)
    trained = train_model(rows, labels, features, "d", "1", "n", created_by="t", time_budget_seconds=0, importance_repeats=1, n_jobs=1)
    leads = InMemoryLeadRepository()
    tenants = InMemoryTenants(leads)
    tenants.add("c1", "d", trained.onnx_bytes, trained.metadata, features)
    service = FileRows(tenants.service(config_cache_seconds=60.0))
    base = {"email": "a@x.org", "name": "A", "source": "web"}
    scored = score(
        service,
        [
            {**base, "page_views": "5", "last_visit": "2026-11-20"},
            {**base, "email": "b@x.org", "page_views": "5", "last_visit": "yesterday"},
            {**base, "email": "c@x.org", "page_views": "5", "last_visit": "2026-09-01T08:00:00Z"},
        ],
    )
    assert [(e.row, e.field, e.type) for e in scored.errors] == [(2, "last_visit", "type_error")]
    model = tenants.service(config_cache_seconds=60.0).active_model("c1")[1]
    expected, _ = model.predict_explained(
        [{"page_views": 5, "last_visit": "2026-11-20"}, {"page_views": 5, "last_visit": "2026-09-01T08:00:00Z"}], SCORED_AT
    )
    assert [r.score for r in scored.results] == [round(float(p) * 100, 2) for p in expected]
    assert stored(leads, scored.results[0].lead_id).attributes.engagement == {"last_visit": "2026-11-20"}


def test_result_rows_are_in_the_results_files_column_order() -> None:
    assert ResultRow._fields == RESULT_COLUMNS  # the worker writes them to the results file as they are
