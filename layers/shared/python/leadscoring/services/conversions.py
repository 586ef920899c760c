"""Conversion tracking: record a lead's progress (with its history) under the transition rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadscoring.data.audit import new_event_id
from leadscoring.data.conversions import ConversionStore, StatusChanged
from leadscoring.data.leads import LeadRepository
from leadscoring.domain.auth import Principal
from leadscoring.domain.conversions import ConcurrentUpdate, InvalidTransition, check_transition
from leadscoring.domain.errors import InvalidInput, NotFound
from leadscoring.schemas.audit import AuditEvent
from leadscoring.schemas.conversion import ConversionChange, ConversionHistory, ConversionUpdate
from leadscoring.schemas.lead import Lead

# Clocks of CRMs and ours differ a little; a date this far ahead is still "now".
CLOCK_SKEW = timedelta(minutes=5)


class ConversionService:
    def __init__(self, leads: LeadRepository, store: ConversionStore) -> None:
        self._leads = leads
        self._store = store

    def _lead(self, client_id: str, lead_id: str) -> Lead:
        lead = self._leads.get(client_id, lead_id)
        if lead is None:
            raise NotFound(f"No lead {lead_id}")  # another tenant's lead looks the same as a missing one
        return lead

    def record(self, principal: Principal, lead_id: str, update: ConversionUpdate, now: datetime | None = None) -> Lead:
        now = now or datetime.now(UTC)
        lead = self._lead(principal.client_id, lead_id)
        if update.revenue is not None and update.conversion_status != "converted":
            raise InvalidInput(
                "revenue is only accepted with conversion_status 'converted'",
                [{"field": "revenue", "message": "only with conversion_status 'converted'", "type": "revenue_not_converted"}],
            )
        if lead.conversion_status == update.conversion_status:
            return self._repeat(lead, update)
        when = update.conversion_date or now
        if when > now + CLOCK_SKEW:
            raise InvalidInput(
                "conversion_date is in the future",
                [{"field": "conversion_date", "message": "must not be in the future", "type": "future_date"}],
            )
        if when < lead.created_at:
            raise InvalidInput(
                "conversion_date is before the lead was created",
                [{"field": "conversion_date", "message": f"must not be before {lead.created_at.isoformat()}", "type": "before_created"}],
            )
        check_transition(lead.conversion_status, update.conversion_status)
        event = AuditEvent(
            event_id=new_event_id(now),
            type="conversion",
            at=now,
            actor=principal.key_id,
            lead_id=lead.id,
            model_id=lead.model_id,
            model_version=lead.model_version,
            score=lead.score,
            qualified=lead.qualified,
            details={
                "from": lead.conversion_status,
                "to": update.conversion_status,
                "conversion_date": when.isoformat(),
                "revenue": update.revenue,
            },
        )
        try:
            self._store.record(
                principal.client_id, lead.id, lead.conversion_status, update.conversion_status, when.isoformat(), update.revenue, event
            )
        except StatusChanged:
            fresh = self._lead(principal.client_id, lead_id)
            if fresh.conversion_status == update.conversion_status:
                return self._repeat(fresh, update)
            raise ConcurrentUpdate(
                f"The lead's status changed to '{fresh.conversion_status}' while this change was being recorded; nothing was changed",
                [{"field": "conversion_status", "message": f"now '{fresh.conversion_status}'", "type": "concurrent_update"}],
            ) from None
        return lead.model_copy(
            update={"conversion_status": update.conversion_status, "conversion_date": when, "revenue": update.revenue, "updated_at": now}
        )

    @staticmethod
    def _repeat(lead: Lead, update: ConversionUpdate) -> Lead:
        """The same status again: a redelivered webhook is a no-op; the same status with other data is a conflict."""
        same_date = update.conversion_date is None or update.conversion_date == lead.conversion_date
        if same_date and update.revenue == lead.revenue:
            return lead
        raise InvalidTransition(
            f"The lead is already '{lead.conversion_status}' with a different conversion_date or revenue; it is not changed",
            [
                {
                    "field": "conversion_status",
                    "message": f"already '{lead.conversion_status}' with other data",
                    "type": "conflicting_repeat",
                }
            ],
        )

    def history(self, client_id: str, lead_id: str) -> ConversionHistory:
        lead = self._lead(client_id, lead_id)
        changes = [
            ConversionChange(
                from_status=e.details["from"],
                to_status=e.details["to"],
                at=e.at,
                conversion_date=e.details["conversion_date"],
                revenue=e.details.get("revenue"),
                actor=e.actor,
            )
            for e in self._store.history(client_id, lead_id)
        ]
        return ConversionHistory(lead_id=lead.id, conversion_status=lead.conversion_status, items=sorted(changes, key=lambda c: c.at))
