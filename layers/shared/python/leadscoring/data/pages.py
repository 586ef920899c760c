"""One page of a DynamoDB query that may carry a filter: read on until the page is full, within a bound."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from leadscoring.domain.cursor import bad_cursor

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
    """Up to `limit` items, largest `order` (the index's sort key) first, of a query split over write shards:
    `shard_queries` holds each shard's query (its KeyConditionExpression names the shard; all descending).
    `start` is the position this returns for the next page: each shard's key to resume after ({} from the
    start), None for a shard that is done.

    A merge that reads each shard a small page at a time, and reads a shard again only when its page is used up,
    so a page costs about `limit` entries plus one small page per shard. Returns the items and the next position
    (None when every shard is done). A filtered shard that matched nothing within query_page's bound is left at
    where it read up to: its later matches come on a later page."""
    positions: dict[str, Any] = dict(start or {shard: {} for shard in shard_queries})
    if set(positions) != set(shard_queries) or not all(p is None or isinstance(p, dict) for p in positions.values()):
        raise bad_cursor()
    size = max(10, -(-limit // len(shard_queries)) + 5)
    buffers: dict[str, deque[dict[str, Any]]] = {}
    resume: dict[str, dict[str, Any] | None] = {}

    def read(shard: str, after: dict[str, Any] | None) -> None:
        items, last_key = query_page(table, shard_queries[shard], size, after or None, key_of)
        buffers[shard], resume[shard] = deque(items), last_key

    for shard, position in positions.items():
        if position is not None:
            read(shard, position)
    taken: list[dict[str, Any]] = []
    last_taken: dict[str, dict[str, Any]] = {}
    while len(taken) < limit:
        ready = [shard for shard, items in buffers.items() if items]
        if not ready:
            break
        best = max(ready, key=lambda shard: order(buffers[shard][0]))  # each shard's own order is kept
        item = buffers[best].popleft()
        taken.append(item)
        last_taken[best] = item
        if not buffers[best] and resume[best] is not None:
            read(best, resume[best])
    for shard, items in buffers.items():
        if items:  # more of it read than the page took: on from its last item taken, or from where it was
            positions[shard] = key_of(last_taken[shard]) if shard in last_taken else positions[shard]
        else:
            positions[shard] = resume[shard]
    done = all(position is None for position in positions.values())
    return taken, None if done else positions


def packed_positions(positions: dict[str, Any] | None, fields: tuple[str, ...]) -> list[Any] | None:
    """Shard positions for a cursor, short: in shard order, each the values of its key's `fields` (None: done, []:
    not started); the shard itself is implied. Sixteen positions as dicts made cursors of over 2 KB."""
    if positions is None:
        return None
    return [None if p is None else [p[f] for f in fields] if p else [] for _, p in sorted(positions.items())]


def unpacked_positions(packed: Any, shards: list[str], fields: tuple[str, ...]) -> dict[str, Any] | None:
    """The positions packed_positions made, for `shards`, each key with its shard (attribute "shard") back in."""
    if packed is None:
        return None
    if not isinstance(packed, list) or len(packed) != len(shards):
        raise bad_cursor()
    positions: dict[str, Any] = {}
    for shard, p in zip(sorted(shards), packed, strict=True):
        if p is not None and (not isinstance(p, list) or len(p) not in (0, len(fields))):
            raise bad_cursor()
        positions[shard] = None if p is None else {"shard": shard, **dict(zip(fields, p, strict=True))} if p else {}
    return positions
