"""Conversion tracking: a lead's progress along new -> contacted -> qualified -> converted, or lost."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from leadscoring.schemas.base import MAX_MAGNITUDE, InputModel, Storable, StoredModel
from leadscoring.schemas.lead import ConversionStatus


class ConversionUpdate(InputModel):
    conversion_status: ConversionStatus
    conversion_date: datetime | None = Field(
        default=None, description="When it happened (default now); not in the future, not before the lead was created"
    )
    revenue: Annotated[float, Field(ge=0, le=MAX_MAGNITUDE), Storable] | None = Field(default=None, description="Only with converted")

    @field_validator("conversion_date")
    @classmethod
    def _timezone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a timezone, e.g. 2026-05-01T12:00:00Z")
        return value


class ConversionChange(StoredModel):
    """One recorded change of a lead's conversion status; no PII."""

    from_status: ConversionStatus
    to_status: ConversionStatus
    at: datetime = Field(description="When it was recorded")
    conversion_date: datetime
    revenue: float | None = None
    actor: str = Field(description="The API key id that recorded it")


class ConversionHistory(StoredModel):
    lead_id: str
    conversion_status: ConversionStatus
    items: list[ConversionChange] = Field(description="Oldest first")
