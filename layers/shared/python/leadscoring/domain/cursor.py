"""Opaque pagination cursors: signed, and bound to the tenant and the query that issued them.

A cursor is `<payload>.<tag>`, both base64url: the payload is the JSON of the query's fingerprint and DynamoDB's
start key, the tag its HMAC-SHA256 (128 bits) under the cursor key (leadscoring.settings.cursor_key). The tag is checked
before anything in the cursor is read, so a start key only ever reaches DynamoDB as DynamoDB returned it: a
cursor altered in any way, made up, or signed with another key is a 400 INVALID_CURSOR, as is a genuine one
sent by another tenant or with other filters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any

from leadscoring.domain.errors import InvalidCursor
from leadscoring.settings import cursor_key

_PURPOSE = b"leadscoring pagination cursor v1\n"  # what the key signs here, should it ever sign anything else
TAG_BYTES = 16  # HMAC-SHA256 truncated to 128 bits: 22 characters on every cursor
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def query_fingerprint(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_cursor(last_key: dict[str, Any] | None, query: dict[str, Any]) -> str | None:
    if not last_key:
        return None
    payload = json.dumps({"q": query_fingerprint(query), "k": last_key}, sort_keys=True, default=_plain).encode()
    return f"{_encode(payload)}.{_encode(_tag(payload))}"


def decode_cursor(cursor: str | None, client_id: str, query: dict[str, Any]) -> dict[str, Any] | None:
    """The DynamoDB start key inside a cursor; refused unless this API signed it, for this tenant and this query."""
    if not cursor:
        return None
    encoded_payload, _, encoded_tag = cursor.partition(".")
    payload, tag = _decode(encoded_payload), _decode(encoded_tag)
    if payload is None or tag is None or not hmac.compare_digest(tag, _tag(payload)):
        raise bad_cursor()
    body = json.loads(payload, parse_float=Decimal, parse_int=Decimal)  # signed: what encode_cursor wrote
    key = body.get("k") if isinstance(body, dict) else None
    if not isinstance(key, dict) or key.get("client_id") != client_id or body.get("q") != query_fingerprint(query):
        raise bad_cursor()
    return key


def _tag(payload: bytes) -> bytes:
    return hmac.new(cursor_key(), _PURPOSE + payload, hashlib.sha256).digest()[:TAG_BYTES]


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> bytes | None:
    """The bytes of canonical unpadded base64url text (the one spelling _encode gives), else None."""
    if not _BASE64URL.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _encode(raw) == text else None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def bad_cursor() -> InvalidCursor:
    """The one answer to a cursor this API did not issue for this tenant and query (also for its shard positions)."""
    return InvalidCursor(
        "cursor is not valid", [{"field": "cursor", "message": "not a cursor this API issued for this query", "type": "invalid_cursor"}]
    )
