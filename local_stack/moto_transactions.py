"""Writes on moto that are atomic, as DynamoDB's are, and transactions at a cost that does not grow with the table.

moto's server answers requests on several threads without serializing writes, so two conditional writes on
the same item can both pass their condition (a lost update DynamoDB never allows); here every write to the
backend holds one lock. And moto (5.2) prepares each TransactWriteItems for rollback by deep-copying every table it touches, stream
records included: O(table) per transaction, so storing thousands of leads (each with its decision, each
conversion, each aggregate update) becomes quadratic and requests start timing out. Here the rollback
snapshot holds only the items the transaction touches (a copy only for an Update, which changes the stored item
in place) and the stream's length, which restores exactly the same state: the touched items as they were, and no
stream records for a cancelled transaction.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_original = DynamoDBBackend.transact_write_items
_installed = False
_writes = threading.RLock()
WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


class _TablesByReference:
    """moto's module-level `copy` inside dynamodb.models: tables are not copied (rollback is item-level, below);
    everything else (an item's old image for the stream) still is."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _key(table: Table, op: dict[str, Any]) -> tuple[DynamoType, DynamoType | None] | None:
    attrs = op.get("Item") or op.get("Key") or {}
    if table.hash_key_attr not in attrs:
        return None
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr and table.range_key_attr in attrs else None
    return DynamoType(attrs[table.hash_key_attr]), range_value


def _restore(table: Table, hash_value: DynamoType, range_value: DynamoType | None, item: Any) -> None:
    items: Any = table.items
    if range_value is None:
        if item is None:
            items.pop(hash_value, None)
        else:
            items[hash_value] = item
    elif item is None:
        items.get(hash_value, {}).pop(range_value, None)
    else:
        items[hash_value][range_value] = item


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    touched: list[tuple[Table, DynamoType, DynamoType | None, Any]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        op: dict[str, Any] = next(iter(entry.values()), {}) if entry else {}
        table = self.tables.get(op.get("TableName", ""))
        key = _key(table, op) if table is not None else None
        if table is None or key is None:
            continue
        try:
            current = table.get_item(*key)
        except Exception:  # noqa: S112  # an invalid key: moto's own validation reports it, with nothing written
            continue
        # Put and Delete replace or drop the stored Item and never change it; only Update changes it in place.
        touched.append((table, key[0], key[1], copy.deepcopy(current) if "Update" in entry else current))
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
    try:
        _original(self, transact_items)
    except Exception:
        for table, hash_value, range_value, item in reversed(touched):
            _restore(table, hash_value, range_value, item)
        for shard, length in streams.values():
            del shard.items[length:]
        raise


def _serialized(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
        with _writes:
            return write(*args, **kwargs)

    return one_at_a_time


def install() -> None:
    """Make moto's writes atomic and its transactions roll back by item (idempotent)."""
    global _installed
    if _installed:
        return
    dynamodb_models.copy = _TablesByReference  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    for name in WRITES:
        setattr(DynamoDBBackend, name, _serialized(getattr(DynamoDBBackend, name)))
    _installed = True
