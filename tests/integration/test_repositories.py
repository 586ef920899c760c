"""The repositories against moto over HTTP: what they write is what they read, page by page, tenant by tenant."""

from __future__ import annotations

import base64
import json
import os
import statistics
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadscoring.data import aws
from leadscoring.data.leads import LeadFilter
from leadscoring.domain.errors import MalformedRequest, StorageError, VersionExists
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.lead import Lead, LeadAttributes
from leadscoring.schemas.model import ActiveModel, ScoringConfig, ScoringModel, Thresholds
from leadscoring.schemas.model_metadata import ModelMetadata
from leadscoring.services import wiring

from .conftest import MODEL_ID, SEEDED_LEADS, Tenant
from .support import Api, Tables, assert_error


def test_the_table_counts_are_exact(tables: Tables, tenant: Tenant) -> None:
    """The cheap counts the suite uses to prove that nothing was written agree with full scans."""
    from leadscoring.resources import AUDIT, LEADS

    assert tables.counts() == (tables.count(LEADS.local_name), tables.count(AUDIT.local_name))
    assert tables.counts()[0] >= SEEDED_LEADS


# -- LeadRepository -------------------------------------------------------------------------------------------


def _lead(client_id: str, at: datetime, **overrides: Any) -> Lead:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "email": "repo.lead@example.com",
        "name": "Repo Lead",
        "phone": "+44 20 7946 0000",
        "company": "Initech",
        "source": "referral",
        "score": 42.5,
        "score_confidence": 0.61,
        "qualified": False,
        "created_at": at,
        "updated_at": at,
        "scored_at": at,
        "external_id": "crm-1",
        "model_id": MODEL_ID,
        "model_version": "1",
        "attributes": LeadAttributes(behavioral={"page_views": 3, "email_open_rate": 0.25}, demographic={"industry": "software"}),
    }
    values.update(overrides)
    return Lead(**values)


def _decision(lead: Lead, event_id: str | None = None) -> AuditEvent:
    return AuditEvent(
        event_id=event_id or f"{lead.scored_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{uuid.uuid4().hex}",
        type="decision",
        at=lead.scored_at,
        actor="key_test",
        lead_id=lead.id,
        model_id=lead.model_id,
        model_version=lead.model_version,
        input_hash="0" * 64,
        score=lead.score,
        threshold=50.0,
        qualified=lead.qualified,
    )


def test_save_scored_then_get_round_trips_the_lead_and_writes_its_decision(tables: Tables, moto_endpoint: str) -> None:
    repo = wiring.lead_repository()
    client_id = f"repo-{uuid.uuid4().hex[:8]}"
    lead = _lead(client_id, datetime.now(UTC))
    repo.save_scored([(lead, _decision(lead))], {lead.id: None})

    assert repo.get(client_id, lead.id) == lead
    assert repo.get(client_id, "no-such-lead") is None
    assert repo.get("another-tenant", lead.id) is None

    [raw] = tables.leads(client_id)
    [decision] = tables.audit(client_id)
    assert raw["shard"].startswith(f"{client_id}#") and raw["decision_key"] == decision["event_key"]  # what the indexes are keyed on
    assert "explanation" not in raw and "updated_at" not in raw  # the decision's, and the scoring time
    assert decision["lead_id"] == lead.id and decision["lead_key"] == f"{client_id}#{lead.id}"
    assert decision["shard"].startswith(f"{client_id}#") and "event_id" not in decision  # its event key is its id
    assert decision["type"] == "decision" and decision["score"] == Decimal("42.5")


def test_a_lead_is_not_written_when_its_decision_record_cannot_be(tables: Tables, moto_endpoint: str) -> None:
    repo = wiring.lead_repository()
    client_id = f"repo-{uuid.uuid4().hex[:8]}"
    lead = _lead(client_id, datetime.now(UTC))
    too_large = _decision(lead).model_copy(update={"details": {"padding": "x" * 410_000}})  # over DynamoDB's 400 KB item

    with pytest.raises(StorageError) as refused:
        repo.save_scored([(lead, too_large)], {lead.id: None})

    assert refused.value.status == 503
    assert repo.get(client_id, lead.id) is None
    assert tables.leads(client_id) == [] and tables.audit(client_id) == []


def test_a_lead_is_written_only_as_it_was_read(tables: Tables, moto_endpoint: str) -> None:
    repo = wiring.lead_repository()
    client_id = f"repo-{uuid.uuid4().hex[:8]}"
    lead = _lead(client_id, datetime.now(UTC))
    assert repo.save_scored([(lead, _decision(lead))], {lead.id: None}) == set()
    # Read as absent, but another score created it meanwhile: not written, and its id comes back.
    assert repo.save_scored([(lead, _decision(lead))], {lead.id: None}) == {lead.id}
    assert repo.save_scored([(lead, _decision(lead))], {lead.id: "new"}) == set()  # read as it is: written
    repo.set_outcome(client_id, lead.id, "converted", "2026-01-02T03:04:05+00:00", 10.0)
    # Decided on "new", but a conversion landed: the conversion stays.
    assert repo.save_scored([(lead, _decision(lead))], {lead.id: "new"}) == {lead.id}
    stored = repo.get(client_id, lead.id)
    assert stored is not None and stored.conversion_status == "converted"
    # Decision records go first, so each attempt's is there; the service rewrites its own on the next attempt.
    assert len(tables.audit(client_id)) == 4


def test_only_the_changed_leads_of_a_chunk_come_back(tables: Tables, moto_endpoint: str) -> None:
    repo = wiring.lead_repository()
    client_id = f"repo-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    leads = [_lead(client_id, now, email=f"chunk{i}@example.com", external_id=f"crm-chunk-{i}") for i in range(52)]
    repo.save_scored([(leads[40], _decision(leads[40]))], {leads[40].id: None})
    # Lead 40 was read as absent but is stored: it alone is not written.
    assert repo.save_scored([(lead, _decision(lead)) for lead in leads], {lead.id: None for lead in leads}) == {leads[40].id}
    assert len(tables.leads(client_id)) == 52 and len(tables.audit(client_id)) == 53


def test_many_pairs_are_saved_in_chunks_and_read_back_in_batches(tables: Tables, moto_endpoint: str) -> None:
    repo = wiring.lead_repository()
    client_id = f"repo-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    # 51 pairs: three BatchWriteItem requests of decisions (25 each at most); 51 + 50 keys: two batch reads (100 keys each).
    leads = [_lead(client_id, now, email=f"many{i}@example.com", external_id=f"crm-many-{i}", score=float(i)) for i in range(51)]
    repo.save_scored([(lead, _decision(lead)) for lead in leads], {lead.id: None for lead in leads})

    assert len(tables.leads(client_id)) == 51 and len(tables.audit(client_id)) == 51
    wanted = [lead.id for lead in leads] + [f"missing-{i}" for i in range(50)] + [leads[0].id]
    assert repo.get_many(client_id, wanted) == {lead.id: lead for lead in leads}
    assert repo.get_many("someone-else", wanted) == {}


def test_set_outcome_updates_an_existing_lead_only(moto_endpoint: str) -> None:
    repo = wiring.lead_repository()
    client_id = f"repo-{uuid.uuid4().hex[:8]}"
    lead = _lead(client_id, datetime.now(UTC))
    repo.save_scored([(lead, _decision(lead))], {lead.id: None})

    repo.set_outcome(client_id, lead.id, "converted", "2026-01-02T03:04:05+00:00", 1234.5)
    stored = repo.get(client_id, lead.id)
    assert stored is not None
    assert (stored.conversion_status, stored.revenue) == ("converted", 1234.5)
    assert stored.conversion_date == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ClientError):
        repo.set_outcome(client_id, "no-such-lead", "lost", None, None)


def _score(item: dict[str, Any]) -> float:
    return float(item["score"])


# Each case: a name and a function from the tenant's stored leads to the filter under test.
FILTERS: dict[str, Callable[[list[dict[str, Any]]], LeadFilter]] = {
    "none": lambda items: LeadFilter(),
    "min_score": lambda items: LeadFilter(min_score=statistics.median(map(_score, items))),
    "max_score": lambda items: LeadFilter(max_score=statistics.median(map(_score, items))),
    "score_band": lambda items: LeadFilter(
        min_score=statistics.quantiles(map(_score, items), n=4)[0], max_score=statistics.quantiles(map(_score, items), n=4)[2]
    ),
    "qualified": lambda items: LeadFilter(qualified=True),
    "not_qualified": lambda items: LeadFilter(qualified=False),
    "converted": lambda items: LeadFilter(conversion_status="converted"),
    "lost": lambda items: LeadFilter(conversion_status="lost"),
    "new": lambda items: LeadFilter(conversion_status="new"),
    "source": lambda items: LeadFilter(source=Counter(i["source"] for i in items).most_common(1)[0][0]),
    "min_score_and_status": lambda items: LeadFilter(min_score=statistics.quantiles(map(_score, items), n=4)[0], conversion_status="lost"),
    "max_score_and_source": lambda items: LeadFilter(
        max_score=statistics.quantiles(map(_score, items), n=4)[2], source=Counter(i["source"] for i in items).most_common(1)[0][0]
    ),
}


def _matches(item: dict[str, Any], f: LeadFilter) -> bool:
    return (
        (f.min_score is None or _score(item) >= f.min_score)
        and (f.max_score is None or _score(item) <= f.max_score)
        and (f.qualified is None or item["qualified"] == f.qualified)
        and (f.conversion_status is None or item["conversion_status"] == f.conversion_status)
        and (f.source is None or item["source"] == f.source)
    )


def _walk(client_id: str, filters: LeadFilter, limit: int) -> list[Lead]:
    repo = wiring.lead_repository()
    seen: list[Lead] = []
    cursor: str | None = None
    for _ in range(200):
        page, cursor = repo.list(client_id, filters, limit, cursor)
        assert len(page) <= limit
        seen.extend(page)
        if cursor is None:
            return seen
    pytest.fail("pagination never ended")


# Small pages for every filter (several pages, and filtered reads that over-fetch); one-page reads for a few.
PAGINGS = [(case, 7) for case in sorted(FILTERS)] + [("none", 100), ("not_qualified", 100), ("score_band", 100)]


@pytest.mark.parametrize(("case", "limit"), PAGINGS, ids=[f"{case}-limit{limit}" for case, limit in PAGINGS])
def test_list_walks_every_page_without_duplicates_or_gaps(case: str, limit: int, tenant: Tenant, tables: Tables) -> None:
    stored = tables.leads(tenant.client_id)
    assert len(stored) >= SEEDED_LEADS
    filters = FILTERS[case](stored)
    expected = {i["id"] for i in stored if _matches(i, filters)}
    assert expected, f"test data has no lead for {filters}"
    if filters != LeadFilter():
        assert len(expected) < len(stored), f"{filters} excludes nothing, so it proves nothing"

    walked = _walk(tenant.client_id, filters, limit)
    ids = [lead.id for lead in walked]

    assert len(ids) == len(set(ids)), "a lead came back on two pages"
    assert set(ids) == expected
    assert len(ids) == len(expected)
    assert all(lead.client_id == tenant.client_id for lead in walked)
    if filters.min_score is not None or filters.max_score is not None:
        assert [lead.score for lead in walked] == sorted((lead.score for lead in walked), reverse=True)
    else:
        assert [lead.created_at for lead in walked] == sorted((lead.created_at for lead in walked), reverse=True)


def test_a_cursor_is_refused_for_another_tenant_or_other_filters(tenant: Tenant, other_tenant: Tenant) -> None:
    repo = wiring.lead_repository()
    filters = LeadFilter(conversion_status="lost")
    page, cursor = repo.list(tenant.client_id, filters, 2, None)
    assert len(page) == 2 and cursor

    with pytest.raises(MalformedRequest):
        repo.list(other_tenant.client_id, filters, 2, cursor)
    with pytest.raises(MalformedRequest):
        repo.list(tenant.client_id, LeadFilter(conversion_status="converted"), 2, cursor)
    with pytest.raises(MalformedRequest):
        repo.list(tenant.client_id, LeadFilter(), 2, cursor)
    # The same query may go on with another page size.
    next_page, _ = repo.list(tenant.client_id, filters, 5, cursor)
    assert {lead.id for lead in next_page}.isdisjoint({lead.id for lead in page})


def test_cursors_over_http_are_bound_to_tenant_and_query(api: Api, tenant: Tenant, other_tenant: Tenant) -> None:
    first = api.get("/leads", tenant.admin, query={"limit": 2, "conversion_status": "lost"})
    assert first.status == 200 and first.body["next_cursor"]
    cursor = first.body["next_cursor"]

    assert_error(
        api.get("/leads", other_tenant.admin, query={"limit": 2, "conversion_status": "lost", "cursor": cursor}), 400, "INVALID_CURSOR"
    )
    assert_error(
        api.get("/leads", tenant.admin, query={"limit": 2, "conversion_status": "converted", "cursor": cursor}), 400, "INVALID_CURSOR"
    )
    assert_error(api.get("/leads", tenant.admin, query={"limit": 2, "cursor": cursor}), 400, "INVALID_CURSOR")
    assert_error(api.get("/leads", tenant.admin, query={"cursor": "not-a-cursor"}), 400, "INVALID_CURSOR")

    # A cursor rewritten to name the other tenant no longer matches its signature.
    payload, tag = cursor.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["k"]["client_id"] = other_tenant.client_id
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=") + "." + tag
    forged_query = {"limit": 2, "conversion_status": "lost", "cursor": forged}
    assert_error(api.get("/leads", other_tenant.admin, query=forged_query), 400, "INVALID_CURSOR")

    second = api.get("/leads", tenant.admin, query={"limit": 2, "conversion_status": "lost", "cursor": cursor})
    assert second.status == 200
    assert {i["id"] for i in second.body["items"]}.isdisjoint({i["id"] for i in first.body["items"]})


# -- AuditRepository ------------------------------------------------------------------------------------------


def _event(at: datetime, type_: str, lead_id: str | None = None) -> AuditEvent:
    return AuditEvent(
        event_id=f"{at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{uuid.uuid4().hex}",
        type=type_,  # type: ignore[arg-type]
        at=at,
        actor="key_test",
        lead_id=lead_id,
        model_id=MODEL_ID if type_ == "decision" else None,
        model_version="1" if type_ == "decision" else None,
        score=10.0 if type_ == "decision" else None,
        details={"n": 1},
    )


def test_audit_append_and_list_by_type_lead_and_page(moto_endpoint: str) -> None:
    audit = wiring.audit_repository()
    client_id = f"audit-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 3, 1, tzinfo=UTC)
    kinds = [("decision", "lead-1"), ("config_change", None), ("decision", "lead-2"), ("decision", "lead-1"), ("model_change", None)]
    events = [_event(start + timedelta(seconds=i), kind, lead) for i, (kind, lead) in enumerate(kinds)]
    for event in events:
        audit.append(client_id, event)
    audit.append("audit-someone-else", _event(start, "decision", "lead-1"))

    everything, cursor = audit.list(client_id, None, None, 100, None)
    assert cursor is None
    assert [e.event_id for e in everything] == [e.event_id for e in reversed(events)]  # newest first
    assert everything[0] == events[-1]

    decisions, _ = audit.list(client_id, "decision", None, 100, None)
    assert [e.event_id for e in decisions] == [events[3].event_id, events[2].event_id, events[0].event_id]
    of_lead, _ = audit.list(client_id, None, "lead-1", 100, None)
    assert [e.event_id for e in of_lead] == [events[3].event_id, events[0].event_id]

    walked: list[str] = []
    cursor = None
    for _ in range(10):
        page, cursor = audit.list(client_id, None, None, 2, cursor)
        walked.extend(e.event_id for e in page)
        if cursor is None:
            break
    assert walked == [e.event_id for e in reversed(events)]

    _, cursor = audit.list(client_id, None, None, 2, None)
    with pytest.raises(MalformedRequest):
        audit.list("audit-someone-else", None, None, 2, cursor)
    with pytest.raises(MalformedRequest):
        audit.list(client_id, "decision", None, 2, cursor)


def test_audit_is_append_only(moto_endpoint: str) -> None:
    audit = wiring.audit_repository()
    client_id = f"audit-{uuid.uuid4().hex[:8]}"
    event = _event(datetime.now(UTC), "decision", "lead-1")
    audit.append(client_id, event)
    with pytest.raises(ClientError) as refused:
        audit.append(client_id, event.model_copy(update={"score": 99.0}))
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    [stored], _ = audit.list(client_id, None, None, 10, None)
    assert stored.score == 10.0


# -- ModelRegistry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    """The seeded model's version 1, registered again under a fresh client."""

    client_id: str
    model: ScoringModel
    onnx_bytes: bytes
    metadata: ModelMetadata


@pytest.fixture
def registered(tenant: Tenant) -> Registered:
    registry = wiring.model_registry()
    model = registry.get_version(tenant.client_id, MODEL_ID, "1")
    assert model is not None
    onnx_bytes, metadata = registry.load_artifact(tenant.client_id, MODEL_ID, "1")
    client_id = f"reg-{uuid.uuid4().hex[:8]}"
    registry.register(client_id, model, onnx_bytes, metadata)
    return Registered(client_id, model, onnx_bytes, metadata)


def test_registry_register_list_and_load(registered: Registered) -> None:
    registry = wiring.model_registry()
    assert registry.list_versions(f"reg-{uuid.uuid4().hex[:8]}") == []
    client_id, model, onnx_bytes, metadata = registered.client_id, registered.model, registered.onnx_bytes, registered.metadata
    second = model.model_copy(update={"version": "2", "name": "Second"})
    registry.register(client_id, second, onnx_bytes, metadata.model_copy(update={"version": "2"}))

    versions = registry.list_versions(client_id)
    assert sorted((v.id, v.version) for v in versions) == [(MODEL_ID, "1"), (MODEL_ID, "2")]
    assert registry.get_version(client_id, MODEL_ID, "2") == second
    assert registry.get_version(client_id, MODEL_ID, "3") is None
    assert registry.load_artifact(client_id, MODEL_ID, "1") == (onnx_bytes, metadata)
    assert registry.load_metadata(client_id, MODEL_ID, "2").version == "2"


def impostor(metadata: ModelMetadata) -> ModelMetadata:
    return metadata.model_copy(update={"created_by": "impostor", "feature_schema": []})


def test_registry_refuses_to_register_the_same_version_twice(registered: Registered) -> None:
    registry = wiring.model_registry()
    with pytest.raises(VersionExists):
        registry.register(
            registered.client_id, registered.model.model_copy(update={"name": "Impostor"}), b"not a model", impostor(registered.metadata)
        )

    stored = registry.get_version(registered.client_id, MODEL_ID, "1")
    assert stored is not None and stored.name == registered.model.name


def test_a_refused_re_registration_leaves_the_artifact_untouched(registered: Registered) -> None:
    registry = wiring.model_registry()
    with pytest.raises(VersionExists):
        registry.register(registered.client_id, registered.model, b"not a model", impostor(registered.metadata))

    assert registry.load_artifact(registered.client_id, MODEL_ID, "1") == (registered.onnx_bytes, registered.metadata)


# -- ConfigRepository -----------------------------------------------------------------------------------------


def test_config_defaults_then_round_trips(moto_endpoint: str) -> None:
    configs = wiring.config_repository()
    client_id = f"cfg-{uuid.uuid4().hex[:8]}"
    default = configs.get_config(client_id)
    assert default == ScoringConfig()
    assert default.active_model is None and default.thresholds == Thresholds()

    config = ScoringConfig(
        thresholds=Thresholds(qualified=60, high_priority=85.5, low_priority=20),
        active_model=ActiveModel(id=MODEL_ID, version="7"),
        updated_at=datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC),
        updated_by="key_test",
    )
    configs.put_config(client_id, config)
    assert configs.get_config(client_id) == config
    assert configs.get_config(f"{client_id}-other") == ScoringConfig()


def test_features_are_none_until_defined_then_round_trip(moto_endpoint: str) -> None:
    from leadscoring.domain.feature_catalog import default_features

    configs = wiring.config_repository()
    client_id = f"cfg-{uuid.uuid4().hex[:8]}"
    assert configs.get_features(client_id) is None

    features = default_features()
    configs.put_features(client_id, features)
    stored = configs.get_features(client_id)
    assert stored is not None
    assert {f.name: f for f in stored} == {f.name: f for f in features}
    assert configs.get_config(client_id) == ScoringConfig()  # features and config are separate items


def test_a_registration_that_stored_its_artifact_but_not_its_index_can_be_retried(registered: Registered) -> None:
    registry = wiring.model_registry()
    client_id, model, onnx_bytes, metadata = registered.client_id, registered.model, registered.onnx_bytes, registered.metadata
    # The artifact reached S3, then the index write was lost (say, a timeout): same bytes, no index item.
    aws.dynamodb().Table(os.environ["REGISTRY_TABLE"]).delete_item(Key={"client_id": client_id, "item": f"MODEL#{MODEL_ID}#V#1"})
    assert registry.get_version(client_id, MODEL_ID, "1") is None

    registry.register(client_id, model, onnx_bytes, metadata)

    assert registry.get_version(client_id, MODEL_ID, "1") == model
    with pytest.raises(VersionExists):  # different bytes under the same version are still refused
        registry.register(client_id, model, onnx_bytes + b"!", metadata)
