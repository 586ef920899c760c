"""One page of a DynamoDB query that may carry a filter: read on until the page is full, within a bound."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadscoring.domain.errors import MalformedRequest

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


def merged_page(
    table: Any,
    shard_queries: dict[str, dict[str, Any]],
    limit: int,
    start: dict[str, Any] | None,
    key_of: Callable[[dict[str, Any]], dict[str, Any]],
    order: Callable[[dict[str, Any]], Any],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to `limit` items, newest (largest `order`) first, of a query split over write shards: `shard_queries`
    holds each shard's query (its KeyConditionExpression names the shard; all descending). `start` is the
    position this returns for the next page: each shard's last key taken, None for a shard that is done.

    Each shard is read for up to `limit` items from its own position and the answers merged; what a shard gave
    beyond the page is read again next time (an index entry is small: reading a few pages' worth costs less than a
    write). Returns the items and the next position (None when every shard is done)."""
    positions: dict[str, Any] = dict(start or {shard: {} for shard in shard_queries})
    if set(positions) != set(shard_queries) or not all(p is None or isinstance(p, dict) for p in positions.values()):
        raise MalformedRequest(
            "cursor is not valid", [{"field": "cursor", "message": "not a cursor for this query", "type": "invalid_cursor"}]
        )
    pooled: list[tuple[str, dict[str, Any]]] = []
    resume: dict[str, dict[str, Any] | None] = {}  # where each shard read up to (None: its end)
    for shard, query in shard_queries.items():
        if positions.get(shard) is None:
            continue
        items, last_key = query_page(table, query, limit, positions[shard] or None, key_of)
        pooled.extend((shard, item) for item in items)
        resume[shard] = last_key
    pooled.sort(key=lambda pair: order(pair[1]), reverse=True)  # stable: each shard's own order is kept
    taken = pooled[:limit]
    for shard, last_key in resume.items():
        mine = [item for s, item in taken if s == shard]
        if len(mine) == sum(1 for s, _ in pooled if s == shard):  # all it gave is on this page: on from where it read
            positions[shard] = last_key
        else:
            positions[shard] = key_of(mine[-1]) if mine else positions[shard]
    done = all(position is None for position in positions.values())
    return [item for _, item in taken], None if done else positions
