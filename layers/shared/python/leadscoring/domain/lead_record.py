"""What the audit reports read of a stored lead (data/leads.py reads it, services/monitoring.py uses it): a module
of its own, imported only on the reports' path, so scoring's cold start imports no report code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LeadRecord:
    """What the reports read of a stored lead: its decision, outcome and attributes, no contact details."""

    id: str
    source: str
    score: float
    qualified: bool
    conversion_status: str
    created_at: datetime
    scored_at: datetime
    model_id: str | None
    model_version: str | None
    attributes: dict[str, Any]  # by feature name, every family together
