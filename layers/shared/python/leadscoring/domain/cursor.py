"""Opaque pagination cursors, bound to the tenant and the query that issued them."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from typing import Any

from leadscoring.domain.errors import MalformedRequest


def query_fingerprint(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_cursor(last_key: dict[str, Any] | None, query: dict[str, Any]) -> str | None:
    if not last_key:
        return None
    raw = json.dumps({"q": query_fingerprint(query), "k": last_key}, sort_keys=True, default=_plain)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, client_id: str, query: dict[str, Any]) -> dict[str, Any] | None:
    """The DynamoDB start key inside a cursor; refused if another tenant or another query issued it."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()), parse_float=Decimal, parse_int=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_cursor() from exc
    key = body.get("k") if isinstance(body, dict) else None
    if not isinstance(key, dict) or key.get("client_id") != client_id or body.get("q") != query_fingerprint(query):
        raise _bad_cursor()
    return key


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _bad_cursor() -> MalformedRequest:
    return MalformedRequest(
        "cursor is not valid", [{"field": "cursor", "message": "not a cursor this API issued for this query", "type": "invalid_cursor"}]
    )
