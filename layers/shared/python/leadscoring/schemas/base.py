from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

# Bounds every store and model can hold exactly: DynamoDB numbers (38 digits, 1e-130..1e125) and float32.
MAX_MAGNITUDE = 1e15
MIN_MAGNITUDE = 1e-30


def in_attribute_range(value: float) -> bool:
    """Within the bounds above: finite, at most MAX_MAGNITUDE, 0 or at least MIN_MAGNITUDE in magnitude."""
    magnitude = abs(value)
    return math.isfinite(magnitude) and magnitude <= MAX_MAGNITUDE and not (0 < magnitude < MIN_MAGNITUDE)


def _storable(value: float) -> float:
    if 0 < abs(value) < MIN_MAGNITUDE:
        raise PydanticCustomError("number_range", "must be 0 or at least 1e-30 in magnitude")
    return value


# A number that is stored or queried in DynamoDB: below about 1e-130 its number type cannot hold it (a 500 before).
Storable = AfterValidator(_storable)
StorableFloat = Annotated[float, Storable]


class InputModel(BaseModel):
    """What a caller sends: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartialUpdate(InputModel):
    """An update: send any of the fields, the others keep their values, but send at least one."""

    @model_validator(mode="after")
    def _something(self) -> PartialUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


def refuse_null(value: Any) -> Any:
    """For a PartialUpdate's fields that have no "none" to clear them to (only sent values reach a validator)."""
    if value is None:
        raise ValueError("cannot be null: send a value, or leave the field out to keep it")
    return value


class StoredModel(BaseModel):
    """What the server owns and returns."""

    model_config = ConfigDict(extra="ignore")


def utc_now() -> datetime:
    return datetime.now(UTC)
