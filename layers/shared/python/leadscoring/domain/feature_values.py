"""Attribute values a model cannot take as sent, converted before inference. Pure: no scikit-learn, no pandas.

A feature whose transformation starts with `days_since` is sent as an ISO 8601 date or date-time string
("2026-03-01", "2026-03-01T09:30:00Z"). ONNX has no date parsing, so the model's input is a number: the days
between that date and a reference time, fractional, positive for dates in the past. Training and scoring use
this same function, so both sides agree:
- scoring: the reference is the scoring time (now, UTC);
- training: the reference is each row's own reference time when the trainer is given one (e.g. when the
  lead was scored), otherwise the training time.

A number is taken as already converted (days): explanation baselines substitute numbers for such features.
The model's metadata marks these inputs in its feature schema with `"input_conversion": "days_since"`, and
their ONNX input type is numerical.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: this module stays free of pydantic
    from leadscoring.schemas.model_metadata import FeatureSchemaEntry

DAYS_SINCE = "days_since"
SECONDS_PER_DAY = 86_400.0


def parse_date(value: Any) -> datetime | None:
    """An aware datetime (UTC when the text has no offset), or None when `value` is not an ISO 8601 date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_error(value: Any) -> str | None:
    """Why `value` cannot feed a days_since feature, or None when it can (None, an ISO date, or a number of days)."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return None
    if parse_date(value) is None:
        return "must be an ISO 8601 date, e.g. 2026-03-01 or 2026-03-01T09:30:00Z"
    return None


def days_since(value: Any, reference: datetime) -> float | None:
    """Days from `value` (an ISO date) to `reference`; a number passes through; None when missing or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    moment = parse_date(value)
    if moment is None:
        return None
    ref = reference if reference.tzinfo else reference.replace(tzinfo=UTC)
    return (ref - moment).total_seconds() / SECONDS_PER_DAY


def model_number(value: Any) -> float:
    """A value for a numeric model input: a number as it is; text that reads as a finite number, that number;
    anything else NaN (missing: the model imputes it). Text only comes when the feature has been made categorical
    since the model was trained; until it is retrained, what the model cannot take as a number is missing to it."""
    if value is None:
        return math.nan
    if isinstance(value, (bool, int, float)):
        return float(value)
    try:
        number = float(str(value))
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def conversions(feature_schema: Iterable[FeatureSchemaEntry]) -> dict[str, str]:
    """The inputs of a model that need converting before inference: {feature name: conversion}."""
    return {f.name: f.input_conversion for f in feature_schema if f.input_conversion}


def prepare_rows(
    rows: Sequence[Mapping[str, Any]],
    converted: Mapping[str, str],
    reference: datetime | Sequence[datetime] | None = None,
) -> list[dict[str, Any]]:
    """Rows with every converted input turned into the number the model takes (other values untouched).

    `converted` is `conversions(metadata.feature_schema)`. `reference` is one time for all rows, one per
    row, or None for now (UTC). Rows are copied only when something needs converting.
    """
    if not converted:
        return [r if isinstance(r, dict) else dict(r) for r in rows]
    if reference is None or isinstance(reference, datetime):
        single = reference or datetime.now(UTC)
        references: Sequence[datetime] = [single] * len(rows)
    else:
        references = reference
        if len(references) != len(rows):
            raise ValueError(f"{len(references)} reference times for {len(rows)} rows")
    out = []
    for row, ref in zip(rows, references, strict=True):
        copy = dict(row)
        for name, conversion in converted.items():
            if conversion != DAYS_SINCE:
                raise ValueError(f"unknown input conversion '{conversion}' for '{name}'")
            copy[name] = days_since(row.get(name), ref)
        out.append(copy)
    return out
