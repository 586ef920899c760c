"""A re-score racing a conversion: the score is decided on a read of the lead, and a conversion recorded between
that read and the write must survive (the write is conditional; the service reads and decides again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadscoring.data.leads import LeadRepository
from leadscoring.domain.auth import Principal
from leadscoring.domain.conversions import ConcurrentUpdate
from leadscoring.routes import Role
from leadscoring.schemas.conversion import ConversionUpdate
from leadscoring.schemas.lead import ConversionStatus, Lead, LeadInput
from leadscoring.services import wiring

from .conftest import Tenant
from .support import Tables, lead_body


@pytest.fixture
def principal(tenant: Tenant) -> Principal:
    return Principal(client_id=tenant.client_id, role=Role.INTEGRATION, key_id="key_race")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Actions run right after the scoring service reads leads, one per read (a conversion landing meanwhile)."""
    actions: list[Any] = []
    running: list[bool] = []  # the action's own reads (the conversion reads the lead too) trigger nothing
    original = LeadRepository.get_many

    def get_many(self: LeadRepository, client_id: str, lead_ids: Any, explained: bool = False) -> Any:
        found = original(self, client_id, lead_ids, explained)
        if actions and not running:
            running.append(True)
            try:
                actions.pop(0)()
            finally:
                running.clear()
        return found

    monkeypatch.setattr(LeadRepository, "get_many", get_many)
    yield actions


def _convert(principal: Principal, lead_id: str, status: ConversionStatus) -> Any:
    return lambda: wiring.conversion_service().record(principal, lead_id, ConversionUpdate(conversion_status=status))


def _scored(principal: Principal, email: str) -> tuple[dict[str, Any], Lead]:
    """A lead's body, and the lead as its first score stored it."""
    body = lead_body(email)
    return body, wiring.scoring_service().score_lead(principal, LeadInput.model_validate(body))


def test_a_conversion_between_the_read_and_the_write_of_a_rescore_is_kept(
    principal: Principal, tables: Tables, unique: str, reads: list[Any]
) -> None:
    body, first = _scored(principal, f"race.{unique}@example.com")
    decisions = len([e for e in tables.audit(principal.client_id) if e.get("lead_id") == first.id])

    reads.append(_convert(principal, first.id, "contacted"))  # lands after the re-score has read "new"
    again = wiring.scoring_service().score_lead(principal, LeadInput.model_validate({**body, "name": "Renamed"}))

    assert again.conversion_status == "contacted" and again.name == "Renamed"
    stored = wiring.lead_repository().get(principal.client_id, first.id)
    assert stored is not None and (stored.conversion_status, stored.name) == ("contacted", "Renamed")
    events = [e for e in tables.audit(principal.client_id) if e.get("lead_id") == first.id]
    assert sum(e["type"] == "decision" for e in events) == decisions + 1  # the refused write left no decision
    assert sum(e["type"] == "conversion" for e in events) == 1


def test_a_lead_that_keeps_changing_is_a_409_and_changes_nothing(
    principal: Principal, tables: Tables, unique: str, reads: list[Any]
) -> None:
    body, first = _scored(principal, f"race2.{unique}@example.com")
    before = wiring.lead_repository().get(principal.client_id, first.id)
    reads.extend(_convert(principal, first.id, status) for status in ("contacted", "qualified", "converted"))

    with pytest.raises(ConcurrentUpdate):
        wiring.scoring_service().score_lead(principal, LeadInput.model_validate({**body, "name": "Never"}))

    assert reads == []  # every attempt read again, and lost its race again
    stored = wiring.lead_repository().get(principal.client_id, first.id)
    assert before is not None and stored is not None and (stored.name, stored.score) == (before.name, before.score)
    assert stored.conversion_status == "converted"


def test_a_race_in_a_later_chunk_rewrites_only_the_rest(principal: Principal, tables: Tables, unique: str, reads: list[Any]) -> None:
    bodies = [lead_body(f"chunks{i}.{unique}@example.com") for i in range(60)]  # two transactions of at most 50 leads
    _, raced = _scored(principal, bodies[55]["email"])
    reads.append(_convert(principal, raced.id, "qualified"))  # lands after the 60 leads were read

    leads = wiring.scoring_service().score_valid(principal, [LeadInput.model_validate(b) for b in bodies])

    assert [lead.email for lead in leads] == [b["email"] for b in bodies] and leads[55].conversion_status == "qualified"
    stored = wiring.lead_repository().get_many(principal.client_id, [lead.id for lead in leads])
    assert len(stored) == 60 and stored[raced.id].conversion_status == "qualified"
    decisions = [e for e in tables.audit(principal.client_id) if e.get("type") == "decision" and e.get("lead_id") in stored]
    assert len(decisions) == 61  # one per lead, plus the raced lead's first score: the first chunk was not written twice
