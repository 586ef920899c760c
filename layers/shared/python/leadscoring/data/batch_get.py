"""Reading many DynamoDB items by key: BatchGetItem, 100 keys a request, unprocessed keys retried with backoff."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from leadscoring.data import aws
from leadscoring.domain.errors import StorageError

KEYS_PER_REQUEST = 100  # DynamoDB's limit per BatchGetItem
ATTEMPTS = 8


def batch_get(table: str, keys: Sequence[dict[str, Any]], **options: Any) -> Iterator[dict[str, Any]]:
    """Every item among `keys` that exists (resource format), in no particular order. `options` go beside the
    keys (ConsistentRead, ProjectionExpression...). Raises StorageError if DynamoDB keeps leaving keys unread."""
    resource = aws.dynamodb()
    for start in range(0, len(keys), KEYS_PER_REQUEST):
        request: dict[str, Any] = {table: {"Keys": list(keys[start : start + KEYS_PER_REQUEST]), **options}}
        for attempt in range(ATTEMPTS):
            page = resource.batch_get_item(RequestItems=request)
            yield from page.get("Responses", {}).get(table, [])
            request = page.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))  # back off before retrying throttled keys
        else:
            raise StorageError("DynamoDB kept leaving keys unprocessed")
