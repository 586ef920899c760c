"""Rows of a batch file turned into the lead the API would have received.

A row is what Step Functions' ItemReader yields for one line of the file:
- flat (CSV, or JSONL without `attributes`): identity columns (email, name, phone, company, source,
  external_id) and one column per feature, named `feature` or `family.feature`. "" and null are missing.
  Text is read by the feature's type: numbers ("12", "0.5", "1e3"), booleans (true/false, 1/0, yes/no),
  dates and categories as sent. Text that does not read as its type is kept, so the API's rules reject it
  with the API's message.
- nested (JSONL with `attributes`): exactly the API's LeadInput, typed as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from leadscoring.schemas.lead import FeatureFamily
from leadscoring.schemas.model import ScoringFeature

IDENTITY_COLUMNS = ("email", "name", "phone", "company", "source", "external_id")
REQUIRED_COLUMNS = ("email", "name", "source")
NESTED_KEY = "attributes"
_FAMILIES = {f.value: f for f in FeatureFamily}
INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def is_nested(row: Mapping[str, Any]) -> bool:
    return NESTED_KEY in row


def column_feature(column: str, by_name: Mapping[str, ScoringFeature]) -> tuple[ScoringFeature | None, str | None]:
    """The feature a column names, or None and why not ('unknown_feature' / 'wrong_family' message)."""
    family_name, dot, name = column.rpartition(".")
    feature = by_name.get(name if dot else column)
    if feature is None or (dot and family_name not in _FAMILIES):
        return None, "is not a defined feature"
    if dot and feature.family.value != family_name:
        return None, f"belongs to the {feature.family.value} family"
    return feature, None


def column_problems(columns: Sequence[str], features: Sequence[ScoringFeature]) -> list[dict[str, str]]:
    """What is wrong with a file's columns as a whole: required ones missing, unknown or repeated ones."""
    by_name = {f.name: f for f in features}
    problems: list[dict[str, str]] = []
    present = set(columns)
    nested = NESTED_KEY in present
    for required in REQUIRED_COLUMNS:
        if required not in present:
            problems.append({"field": required, "message": "is a required column", "type": "missing_column"})
    seen: dict[str, str] = {}
    for column in columns:
        if column in IDENTITY_COLUMNS or (nested and column == NESTED_KEY):
            continue
        feature, why = column_feature(column, by_name)
        if feature is None:
            problems.append({"field": column, "message": why or "is not a defined feature", "type": "unknown_column"})
        elif feature.name in seen:
            message = f"names the same feature as column {seen[feature.name]}"
            problems.append({"field": column, "message": message, "type": "duplicate_column"})
        else:
            seen[feature.name] = column
    return problems


def read_text(feature: ScoringFeature, text: str) -> Any:
    """A cell's text as the feature's type; text that does not read as it is returned unchanged."""
    if feature.type == "numerical":  # a days_since feature also takes a number of days; its dates stay text
        stripped = text.strip()
        if INTEGER.fullmatch(stripped):
            # Beyond 18 digits it is out of range anyway; as a float it says so instead of overflowing later.
            return int(stripped) if len(stripped) <= 19 else float(stripped)
        return float(stripped) if NUMBER.fullmatch(stripped) else text
    if feature.type == "boolean":
        lowered = text.strip().lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    return text


def lead_payload(
    row: Mapping[str, Any], by_name: Mapping[str, ScoringFeature]
) -> tuple[dict[str, Any], dict[str, str], list[dict[str, str]]]:
    """The LeadInput payload for a flat row, the column behind each attribute path, and column errors.

    Nested rows pass through unchanged (their fields are the API's own).
    """
    if is_nested(row):
        return dict(row), {}, []
    payload: dict[str, Any] = {}
    attributes: dict[str, dict[str, Any]] = {}
    columns: dict[str, str] = {}
    errors: list[dict[str, str]] = []
    for column, value in row.items():
        if value is None or value == "":
            continue
        if column in IDENTITY_COLUMNS:
            payload[column] = value
            continue
        feature, why = column_feature(column, by_name)
        if feature is None:
            kind = "wrong_family" if why and why.startswith("belongs") else "unknown_feature"
            errors.append({"field": column, "message": why or "is not a defined feature", "type": kind})
            continue
        family = feature.family.value
        attributes.setdefault(family, {})[feature.name] = read_text(feature, value) if isinstance(value, str) else value
        columns[f"attributes.{family}.{feature.name}"] = column
    if attributes:
        payload[NESTED_KEY] = attributes
    return payload, columns, errors
