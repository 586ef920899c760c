from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from leadscoring.schemas.base import StoredModel

AuditType = Literal["decision", "config_change", "model_change", "conversion", "error", "monitoring_report"]


class AuditEvent(StoredModel):
    """One entry of the audit trail. A decision carries the model, the input hash and the outcome; no PII."""

    event_id: str
    type: AuditType
    at: datetime
    actor: str = Field(description="Who caused it: the API key id or 'system'")
    lead_id: str | None = None
    model_id: str | None = None
    model_version: str | None = None
    input_hash: str | None = None
    score: float | None = None
    threshold: float | None = None
    qualified: bool | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class AuditPage(StoredModel):
    items: list[AuditEvent]
    next_cursor: str | None = None
