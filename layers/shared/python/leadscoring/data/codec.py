"""Python values <-> DynamoDB items (numbers travel as Decimal)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def to_item(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(value, default=str), parse_float=Decimal)
    return out


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
