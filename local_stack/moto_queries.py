"""moto's Query at the cost of the partition it reads, not of sorting the whole table.

moto (5.2) starts every Query by listing all the table's items sorted by primary key (a Python comparison of
DynamoTypes per step of the sort, over every tenant's items), then keeps the ones the key condition names and sorts
those again: a table query sorts its partition by sort key, an index query sorts by the index's keys and then the
table's. So a tenant's features, read at every score, cost more with every other tenant's registry items, and a
page of leads by score or creation time sorted all 20,000 leads of the table to return 25.

The first sort decides nothing: the second one orders the results completely (primary keys are unique, and an
index's order ends with them). So while a Query runs, the table's item list is the same items unsorted; and for a
table (not index) query with its partition key, it is that partition's items, which are exactly the ones moto's
filter would keep (its `item.hash_key == hash_key` is the same equality the table's dict of partitions uses).
Everything after that (sort, paging, filters, projections) is moto's own. Scans and exports keep the sorted list.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_original_query = Table.query
_original_all_items = Table.all_items
_querying = threading.local()  # (table, partition key or None) while that table's query runs in this thread
_installed = False


def _all_items(self: Table) -> list[Any]:
    current = getattr(_querying, "query", None)
    if current is None or current[0] is not self:
        return _original_all_items(self)
    hash_key = current[1]
    if hash_key is None:  # an index query: every item, once, in no particular order
        partitions = list(self.items.values())
        return [item for p in partitions for item in (list(p.values()) if self.range_key_attr else [p])]
    partition = self.items.get(hash_key)
    if partition is None:
        return []
    return list(partition.values()) if self.range_key_attr else [partition]


def _query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    if hash_key is None and not index_name:
        return _original_query(self, hash_key, *args, **kwargs)
    saved = getattr(_querying, "query", None)
    _querying.query = (self, None if index_name else hash_key)
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        _querying.query = saved


def install() -> None:
    """Let Query read only what it can return (idempotent)."""
    global _installed
    if _installed:
        return
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    _installed = True
