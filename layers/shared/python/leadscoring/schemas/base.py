from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """What a caller sends: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StoredModel(BaseModel):
    """What the server owns and returns."""

    model_config = ConfigDict(extra="ignore")


def utc_now() -> datetime:
    return datetime.now(UTC)
