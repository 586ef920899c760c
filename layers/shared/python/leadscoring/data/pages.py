"""One page of a DynamoDB query that may carry a filter: read on until the page is full, within a bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# A filtered page may need several reads; this bounds the work one request can cause.
MAX_READS_PER_PAGE = 20
FILTERED_READ = 100  # items read per request when a filter may drop most of them


def query_page(
    table: Any, kwargs: dict[str, Any], limit: int, start: dict[str, Any] | None, key_of: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to `limit` items from where `start` left off, and the key to resume after them (None at the end).

    A FilterExpression applies after DynamoDB's Limit, so a filtered query reads more per request and reads on:
    a rare match among many items still comes back, rather than an empty page with a cursor."""
    filtered = "FilterExpression" in kwargs
    items: list[dict[str, Any]] = []
    last_key = start
    for _ in range(MAX_READS_PER_PAGE):
        request = {**kwargs, "Limit": max(limit, FILTERED_READ) if filtered else limit - len(items)}
        if last_key:
            request["ExclusiveStartKey"] = last_key
        page = table.query(**request)
        found = page.get("Items", [])
        taken = found[: limit - len(items)]
        items.extend(taken)
        if len(taken) < len(found):  # the page filled up inside this read: resume after its last item
            return items, key_of(taken[-1])
        last_key = page.get("LastEvaluatedKey")
        if not last_key or len(items) >= limit:
            break
    return items, last_key
