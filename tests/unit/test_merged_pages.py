"""A listing over write shards: every item once, newest first, whatever the page size, ties and filters."""

import random
from typing import Any

import pytest

from leadscoring.data.pages import merged_page, packed_positions, unpacked_positions
from leadscoring.domain.errors import MalformedRequest


class ShardedIndex:
    """An index queried as DynamoDB does: one shard per KeyConditionExpression, descending by `sort` (ties in key
    order), Limit counted before the FilterExpression, ExclusiveStartKey resuming after an item's key."""

    def __init__(self, items: dict[str, list[dict[str, Any]]]) -> None:
        self.items = {shard: sorted(rows, key=lambda r: (r["sort"], r["id"]), reverse=True) for shard, rows in items.items()}
        self.reads = 0

    def query(self, **request: Any) -> dict[str, Any]:
        self.reads += 1
        rows = self.items[request["KeyConditionExpression"]]
        start = 0
        if "ExclusiveStartKey" in request:
            start = next(n for n, r in enumerate(rows) if r["id"] == request["ExclusiveStartKey"]["id"]) + 1
        page = rows[start : start + request["Limit"]]
        keep = request.get("FilterExpression") or (lambda _: True)
        answer: dict[str, Any] = {"Items": [r for r in page if keep(r)]}
        if start + request["Limit"] < len(rows):
            answer["LastEvaluatedKey"] = key_of(page[-1])
        return answer


def key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"shard": item["shard"], "id": item["id"], "sort": item["sort"]}


def index_of(rng: random.Random, shards: int, count: int) -> ShardedIndex:
    items: dict[str, list[dict[str, Any]]] = {f"c#{n}": [] for n in range(shards)}
    for n in range(count):
        shard = f"c#{rng.randrange(shards)}"
        items[shard].append({"shard": shard, "id": f"{n:05d}", "sort": rng.randint(0, 20), "odd": n % 3 == 0})
    return ShardedIndex(items)


def every_page(index: ShardedIndex, limit: int, query: dict[str, Any]) -> list[list[dict[str, Any]]]:
    queries = {shard: {**query, "KeyConditionExpression": shard} for shard in index.items}
    pages: list[list[dict[str, Any]]] = []
    position: dict[str, Any] | None = None
    while True:
        # Through the cursor's packed form, as the API hands it out and takes it back.
        resume = unpacked_positions(packed_positions(position, ("id", "sort")), list(queries), ("id", "sort")) if position else None
        items, position = merged_page(index, queries, limit, resume, key_of, lambda i: i["sort"])
        pages.append(items)
        if position is None:
            return pages
        assert len(pages) < 1000, "pagination never ended"


@pytest.mark.parametrize("seed", range(6))
def test_every_item_comes_once_in_order(seed: int) -> None:
    rng = random.Random(seed)
    index = index_of(rng, shards=rng.choice([1, 3, 16]), count=rng.randint(0, 300))
    pages = every_page(index, limit=rng.choice([1, 5, 50]), query={})
    listed = [item["id"] for page in pages for item in page]
    assert sorted(listed) == sorted(r["id"] for rows in index.items.values() for r in rows)
    sorts = [item["sort"] for page in pages for item in page]
    assert sorts == sorted(sorts, reverse=True)  # across pages too: nothing newer comes later


@pytest.mark.parametrize("seed", range(4))
def test_a_filtered_listing_finds_every_match_once(seed: int) -> None:
    rng = random.Random(100 + seed)
    index = index_of(rng, shards=16, count=400)
    pages = every_page(index, limit=7, query={"FilterExpression": lambda r: r["odd"]})
    listed = [item["id"] for page in pages for item in page]
    assert sorted(listed) == sorted(r["id"] for rows in index.items.values() for r in rows if r["odd"])
    assert all(len(page) <= 7 for page in pages)
    for page in pages:
        assert [i["sort"] for i in page] == sorted((i["sort"] for i in page), reverse=True)


def test_a_page_reads_about_what_it_returns() -> None:
    index = index_of(random.Random(7), shards=16, count=2000)
    queries = {shard: {"KeyConditionExpression": shard} for shard in index.items}
    items, _ = merged_page(index, queries, 500, None, key_of, lambda i: i["sort"])
    assert len(items) == 500
    assert index.reads <= 16 + 500 // 10  # one small page per shard, then a page at a time where it is used up


def test_positions_that_are_not_this_querys_are_refused() -> None:
    index = index_of(random.Random(8), shards=3, count=30)
    queries = {shard: {"KeyConditionExpression": shard} for shard in index.items}
    with pytest.raises(MalformedRequest):
        merged_page(index, queries, 5, {"c#0": {}}, key_of, lambda i: i["sort"])
    with pytest.raises(MalformedRequest):
        unpacked_positions([[1, 2]], list(queries), ("id", "sort"))
    with pytest.raises(MalformedRequest):
        unpacked_positions(["x", None, None], list(queries), ("id", "sort"))
